"""The dashboard over plain HTTP against the real server on loopback: sign-in, sessions, CSRF, roles, refusals.

No browser needed. Every page is parsed with html5lib's strict parser and must hold no <script> element,
whatever a customer wrote; the headers allow no script at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import html5lib
import httpx
import pytest

from browser.dashboard_site import SCRIPT, SECRET, Dashboard, dashboard_site
from browser.pages import strict_page
from recovery.intake.dashboard_auth import COOKIE

HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cache-control": "no-store"}
PAGES = ["/", "/complaints", "/customers/at-risk", "/winback", "/retention", "/leaderboard"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    with dashboard_site(tmp_path_factory.mktemp("dashboard"), environ={"RECOVERY_DASHBOARD_SECRET": SECRET}) as served:
        yield served


@pytest.fixture
def client(site: Dashboard) -> Iterator[httpx.Client]:
    """One browser's worth of cookies."""
    with httpx.Client(base_url=site.url, timeout=10) as session:
        yield session


@pytest.fixture
def clock_back(site: Dashboard) -> Iterator[Dashboard]:
    at = site.clock.now()
    yield site
    site.clock.set(at)


def page(answer: httpx.Response, status: int = 200) -> html5lib.treebuilders.etree.Element:
    """The answer's HTML, checked: status, headers, strict HTML, no script, nothing unsafe allowed; its tree."""
    tree = strict_page(answer, status, HEADERS)
    assert "unsafe" not in answer.headers["content-security-policy"]
    return tree


def sign_in(site: Dashboard, client: httpx.Client, who: str, email: str) -> None:
    """Ask for a link as ``who``, open it from the outbox, press the button: signed in."""
    page(client.post("/sign-in", data={"who": who}))
    link = site.sign_in_url(email)
    page(client.get(link))
    answer = client.post(link)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/" in cookie
    assert "Max-Age=43200" in cookie
    assert "Secure" not in cookie  # base_url is http://


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


@pytest.mark.parametrize("path", [*PAGES, "/complaints/1"])
def test_unsigned_access_is_sent_to_the_sign_in_form(client: httpx.Client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in"


def test_the_answer_to_a_sign_in_request_tells_nobody_who_is_on_the_staff(
    site: Dashboard, client: httpx.Client
) -> None:
    before = site.sign_in_messages()
    answers = [
        client.post("/sign-in", data={"who": who}) for who in ("lea@example.com", "nobody@example.com", "max", "")
    ]
    texts = [re.sub(r"\s+", " ", a.text) for a in answers]
    for answer in answers:
        page(answer)
    assert len(set(texts)) == 1, "the answer differs between staff and strangers"
    assert "If you are on the staff, a sign-in link is on its way" in texts[0]
    assert site.sign_in_messages() == before + 1  # lea only: a stranger gets nothing, max has no email


def test_a_staff_id_works_as_well_as_an_email(site: Dashboard, client: httpx.Client) -> None:
    sign_in(site, client, "ann", "ann@example.com")
    tree = page(client.get("/"))
    assert "Ann Agent" in "".join(tree.itertext())


def test_a_used_link_is_refused_with_a_clear_page(site: Dashboard, client: httpx.Client) -> None:
    sign_in(site, client, "LEA@example.com", "lea@example.com")
    link = site.sign_in_url("lea@example.com")
    with httpx.Client(base_url=site.url) as other:
        for answer in (other.get(link), other.post(link)):
            tree = page(answer, 409)
            assert tree.find(".//h1").text == "This sign-in link was used already"
        assert COOKIE not in other.cookies


def test_an_expired_link_is_refused_with_a_clear_page(clock_back: Dashboard, client: httpx.Client) -> None:
    site = clock_back
    page(client.post("/sign-in", data={"who": "bob@example.com"}))
    link = site.sign_in_url("bob@example.com")
    site.clock.set(site.clock.now() + timedelta(minutes=15))
    for answer in (client.get(link), client.post(link)):
        assert page(answer, 410).find(".//h1").text == "This sign-in link has expired"
    assert page(client.get(link[:-3] + "xyz"), 404).find(".//h1").text == "This sign-in link does not work"


def test_a_forged_cookie_is_refused(site: Dashboard, client: httpx.Client) -> None:
    sign_in(site, client, "ann", "ann@example.com")
    value = client.cookies[COOKIE]
    body, signature = value.rsplit(".", 1)
    forged = body.replace(body[:4], "eyJp") + "." + signature[::-1]
    for fake in (forged, "eyJpIjoxLCJzIjoibGVhIiwiYyI6IngifQ.bad", "x" * 500):
        with httpx.Client(base_url=site.url, cookies={COOKIE: fake}) as other:
            answer = other.get("/")
            assert answer.status_code == 303
            assert answer.headers["location"] == "/sign-in"
            assert "Max-Age=0" in answer.headers["set-cookie"]


def test_a_cookie_signed_with_another_key_is_refused(site: Dashboard, client: httpx.Client) -> None:
    from recovery.intake.dashboard_auth import SessionCookies

    other_key = SessionCookies(b"k" * 32, secure=False, lifetime=timedelta(hours=12))
    value = other_key.set_header(1, "lea").split(";", 1)[0].split("=", 1)[1]
    with httpx.Client(base_url=site.url, cookies={COOKIE: value}) as other:
        assert other.get("/").status_code == 303


def test_a_session_ends_after_its_lifetime(clock_back: Dashboard, client: httpx.Client) -> None:
    site = clock_back
    sign_in(site, client, "lea", "lea@example.com")
    site.clock.set(site.clock.now() + timedelta(hours=11, minutes=59))
    page(client.get("/"))
    site.clock.set(site.clock.now() + timedelta(minutes=1))
    answer = client.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in"


def test_sign_out_needs_the_csrf_token_and_ends_the_session(site: Dashboard, client: httpx.Client) -> None:
    sign_in(site, client, "lea", "lea@example.com")
    token = csrf_of(client.get("/").text)
    kept = client.cookies[COOKIE]
    assert page(client.post("/sign-out", data={"csrf": ""}), 403).find(".//h1").text == "You could not be signed out"
    page(client.post("/sign-out", data={"csrf": "0" * 64}), 403)
    page(client.get("/"))  # still signed in
    cross_site = client.post("/sign-out", data={"csrf": token}, headers={"origin": "https://evil.example"})
    page(cross_site, 403)
    answer = client.post("/sign-out", data={"csrf": token})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in"
    with httpx.Client(base_url=site.url, cookies={COOKIE: kept}) as replay:  # the old cookie, kept by a thief
        assert replay.get("/").status_code == 303


def test_a_sign_in_request_from_another_site_is_refused(site: Dashboard, client: httpx.Client) -> None:
    before = site.sign_in_messages()
    page(client.post("/sign-in", data={"who": "lea"}, headers={"sec-fetch-site": "cross-site"}), 403)
    assert site.sign_in_messages() == before


def test_an_agent_sees_only_their_own_complaints(site: Dashboard, client: httpx.Client) -> None:
    sign_in(site, client, "ann", "ann@example.com")
    bobs = site.complaints["bobs"]
    tree = page(client.get(f"/complaints/{bobs}"), 404)
    assert "parcel lost" not in "".join(tree.itertext())
    listed = client.get("/complaints", params={"assignee": "bob", "search": "parcel"}).text
    assert "parcel lost" not in listed
    assert "No complaint matches" in listed
    everything = client.get("/complaints").text
    assert "Soup arrived cold" in everything
    assert "parcel lost" not in everything
    assert "invoice twice" not in everything
    page(client.get(f"/complaints/{site.complaints['late']}"))
    page(client.get("/complaints/999999"), 404)
    page(client.get("/complaints/abc"), 404)


def test_a_lead_sees_every_complaint(site: Dashboard, client: httpx.Client) -> None:
    sign_in(site, client, "lea", "lea@example.com")
    listed = page(client.get("/complaints"))
    text = "".join(listed.itertext())
    assert "parcel lost" in text
    assert "invoice twice" in text
    assert "Soup arrived cold" in text
    page(client.get(f"/complaints/{site.complaints['bobs']}"))
    only_bob = "".join(page(client.get("/complaints", params={"assignee": "bob"})).itertext())
    assert "parcel lost" in only_bob
    assert "Soup arrived cold" not in only_bob


@pytest.mark.parametrize("path", PAGES)
def test_every_page_shows_what_customers_wrote_as_text(site: Dashboard, client: httpx.Client, path: str) -> None:
    sign_in(site, client, "lea", "lea@example.com")
    answer = client.get(path)
    page(answer)
    assert "<script>alert" not in answer.text


def test_the_complaint_page_escapes_the_summary_the_name_and_the_notes(site: Dashboard, client: httpx.Client) -> None:
    sign_in(site, client, "ann", "ann@example.com")
    for key in ("script", "acting"):
        answer = client.get(f"/complaints/{site.complaints[key]}")
        tree = page(answer)
        assert SCRIPT in "".join(tree.itertext())
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text


def test_a_bad_filter_is_a_clear_page_not_an_error(site: Dashboard, client: httpx.Client) -> None:
    sign_in(site, client, "lea", "lea@example.com")
    assert "since" in "".join(page(client.get("/complaints?since=yesterday"), 400).itertext())
    page(client.get("/complaints?limit=0"), 400)
    page(client.get("/leaderboard?period=nov"), 400)
    assert "No complaint matches" in client.get("/complaints?customer=nobody@example.com").text


def test_times_are_shown_in_the_calendar_zone_with_the_offset(site: Dashboard, client: httpx.Client) -> None:
    sign_in(site, client, "lea", "lea@example.com")
    text = "".join(page(client.get(f"/complaints/{site.complaints['script']}")).itertext())
    assert "2026-11-25 10:00 +01:00" in text  # opened at 09:00 UTC


def test_the_stylesheet_is_public_and_cached(site: Dashboard, client: httpx.Client) -> None:
    answer = client.get("/dashboard.css")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/css")
    assert "max-age" in answer.headers["cache-control"]


def test_off_loopback_without_a_secret_the_dashboard_refuses(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with dashboard_site(tmp_path, environ={}, host="0.0.0.0") as site, httpx.Client(base_url=site.url) as client:
        for path in ("/", "/sign-in", "/complaints/1"):
            tree = page(client.get(path), 503)
            assert "RECOVERY_DASHBOARD_SECRET" in "".join(tree.itertext())
        page(client.post("/sign-in", data={"who": "lea"}), 503)
        assert site.sign_in_messages() == 0
    assert any("event=dashboard_refused reason=no_secret" in r.getMessage() for r in caplog.records)


def test_on_loopback_without_a_secret_a_key_of_the_process_is_used(tmp_path: Path) -> None:
    with dashboard_site(tmp_path, environ={}) as site, httpx.Client(base_url=site.url) as client:
        sign_in(site, client, "lea", "lea@example.com")
        page(client.get("/"))


def test_an_https_base_url_makes_the_cookie_secure(tmp_path: Path) -> None:
    environ = {"RECOVERY_DASHBOARD_SECRET": SECRET}
    with (
        dashboard_site(tmp_path, environ=environ, base_url="https://recovery.example") as site,
        httpx.Client(base_url=site.url) as client,
    ):
        page(client.post("/sign-in", data={"who": "lea"}))
        link = site.sign_in_url("lea@example.com")
        assert link.startswith("https://recovery.example/sign-in/")
        answer = client.post(link.removeprefix("https://recovery.example"))  # served over http in the test
        assert answer.status_code == 303
        assert answer.headers["set-cookie"].endswith("; Secure")


def test_a_switched_off_dashboard_is_not_served(tmp_path: Path) -> None:
    with dashboard_site(tmp_path, enabled=False) as site, httpx.Client(base_url=site.url) as client:
        assert client.get("/").status_code == 404
        assert client.get("/sign-in").status_code == 404
