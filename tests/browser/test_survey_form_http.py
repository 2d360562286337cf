"""The survey form over plain HTTP against the same real server: every refusal, limit and escape.

No browser is needed, so these run wherever the tests do. Every page is parsed with html5lib's
strict parser and must hold no <script> element, whatever a customer wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import html5lib
import httpx
import pytest
from markupsafe import escape

from browser.pages import strict_page
from browser.site import MAX_BODY, Site, token_of
from recovery.engine.surveys import Invitation
from recovery.intake.survey_texts import texts

INJECTIONS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</textarea><script>alert(2)</script>"]
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


@pytest.fixture
def client(site: Site) -> Iterator[httpx.Client]:
    """A client with its own cookie jar, as one customer's browser."""
    with httpx.Client(base_url=site.url, timeout=10) as session:
        yield session


def page(answer: httpx.Response, status: int, language: str = "en") -> html5lib.treebuilders.etree.Element:
    """The answer's HTML, checked: status, safe headers, strict HTML in ``language``, no script; its tree."""
    tree = strict_page(answer, status, HEADERS)
    assert "unsafe-inline" not in answer.headers["content-security-policy"]
    assert tree.get("lang") == language
    assert tree.findall(".//img") == []
    return tree


def csrf_of(answer: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', answer.text)
    assert found, "no CSRF field on the form"
    return found.group(1)


def open_form(client: httpx.Client, invitation: Invitation) -> str:
    """GET the form as the customer's browser does (its cookie kept); the CSRF field's value."""
    answer = client.get(invitation.url)
    page(answer, 200, invitation.language)
    assert "SameSite=Strict" in answer.headers["set-cookie"]
    assert "HttpOnly" in answer.headers["set-cookie"]
    return csrf_of(answer)


def send(client: httpx.Client, invitation: Invitation, csrf: str | None, **answers: str) -> httpx.Response:
    data = {f"a.{key}": value for key, value in answers.items()}
    if csrf is not None:
        data["csrf"] = csrf
    return client.post(invitation.url, data=data)


def test_every_field_has_a_label_and_every_scale_a_legend(site: Site, client: httpx.Client) -> None:
    invitation = site.invite("follow_up", "de")
    tree = page(client.get(invitation.url), 200, "de")
    labelled = {label.get("for") for label in tree.iter("label")}
    fields = [e for e in tree.iter() if e.tag in ("input", "textarea") and e.get("type") != "hidden"]
    assert fields
    assert [f.get("id") for f in fields if f.get("id") not in labelled] == []
    for fieldset in tree.iter("fieldset"):
        assert fieldset.find("legend") is not None
    assert tree.find(".//meta[@name='viewport']") is not None


def test_a_second_submit_gets_the_already_answered_page_and_stores_nothing_more(
    site: Site, client: httpx.Client
) -> None:
    invitation = site.invite("follow_up", "nl")
    client.headers["accept-language"] = "nl-NL,nl;q=0.9"  # the used link's page speaks the browser's language
    csrf = open_form(client, invitation)
    done = page(send(client, invitation, csrf, satisfaction="5", better="alles goed"), 200, "nl")
    assert done.find(".//h1").text == texts("nl")["done_title"]
    stored = site.count_answers()
    again = page(send(client, invitation, csrf, satisfaction="1", better="toch niet"), 409, "nl")
    assert again.find(".//h1").text == texts("nl")["answered_title"]
    assert site.count_answers() == stored
    assert site.answers(invitation.id) == {"satisfaction": 5, "better": "alles goed"}
    page(client.get(invitation.url), 409, "nl")


def test_an_expired_link_gets_410_on_both_methods(clock_restored: Site, client: httpx.Client) -> None:
    site = clock_restored
    invitation = site.invite("relationship", "de")
    csrf = open_form(client, invitation)
    site.clock.advance(timedelta(days=31))
    headers = {"accept-language": "de-DE,de;q=0.9,en;q=0.5"}
    shown = page(client.get(invitation.url, headers=headers), 410, "de")
    assert shown.find(".//h1").text == texts("de")["expired_title"]
    sent = client.post(invitation.url, data={"csrf": csrf, "a.recommend": "9"}, headers=headers)
    page(sent, 410, "de")
    assert site.answers(invitation.id) == {}


def test_the_expired_and_answered_pages_speak_the_invitations_language_not_the_browsers(
    clock_restored: Site, client: httpx.Client
) -> None:
    site = clock_restored
    answered, expired = site.invite("follow_up", "nl"), site.invite("relationship", "de")
    client.headers["accept-language"] = "en-GB,en;q=0.9"
    csrf = open_form(client, answered)
    send(client, answered, csrf, satisfaction="4")
    assert page(client.get(answered.url), 409, "nl").find(".//h1").text == texts("nl")["answered_title"]
    site.clock.advance(timedelta(days=31))
    assert page(client.get(expired.url), 410, "de").find(".//h1").text == texts("de")["expired_title"]


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), id="signature-changed"),
        pytest.param(lambda t: "x" + t, id="payload-changed"),
        pytest.param(lambda t: "not-a-token", id="garbage"),
        pytest.param(lambda t: "a" * 5000, id="very-long"),
    ],
)
def test_a_forged_link_gets_404_on_both_methods(site: Site, client: httpx.Client, forge: object) -> None:
    invitation = site.invite("follow_up", "en")
    csrf = open_form(client, invitation)
    forged = f"{site.url}/s/{forge(token_of(invitation.url))}"  # type: ignore[operator]
    shown = page(client.get(forged), 404)
    assert shown.find(".//h1").text == texts("en")["invalid_title"]
    page(client.post(forged, data={"csrf": csrf, "a.satisfaction": "4"}), 404)
    assert site.answered_at(invitation.id) is None


def test_the_problem_page_of_an_unknown_link_speaks_the_browsers_language(site: Site, client: httpx.Client) -> None:
    shown = page(client.get("/s/nonsense", headers={"accept-language": "fr;q=1, nl;q=0.8, de;q=0.5"}), 404, "nl")
    assert shown.find(".//h1").text == texts("nl")["invalid_title"]


@pytest.mark.parametrize("missing", ["field", "cookie", "both", "other-form", "other-cookie"])
def test_a_post_without_its_csrf_field_and_cookie_is_refused_with_403(
    site: Site, client: httpx.Client, missing: str
) -> None:
    invitation = site.invite("follow_up", "en")
    csrf = open_form(client, invitation)
    if missing in ("cookie", "both"):
        client.cookies.clear()
    if missing == "other-form":
        csrf = open_form(client, site.invite("follow_up", "en"))  # valid, for another link
    if missing == "other-cookie":
        client.cookies.clear()
        client.cookies.set("recovery_survey", "A" * 32, domain="127.0.0.1", path="/s/")
    answer = send(client, invitation, None if missing in ("field", "both") else csrf, satisfaction="4")
    shown = page(answer, 403)
    assert shown.find(".//h1").text == texts("en")["forbidden_title"]
    assert site.answered_at(invitation.id) is None


def test_an_oversized_answer_is_shown_again_beside_its_field_and_nothing_is_stored(
    site: Site, client: httpx.Client
) -> None:
    invitation = site.invite("follow_up", "de")
    csrf = open_form(client, invitation)
    limit = site.ctx.surveys.max_answer
    answer = send(
        client, invitation, csrf, satisfaction="2", expected="repair", expectation="kurz", better="x" * (limit + 1)
    )
    tree = page(answer, 422, "de")
    error = tree.find(".//p[@id='q-better-error']")
    assert error.text == texts("de")["error_too_long"].format(max=limit, count=limit + 1)
    assert tree.find(".//textarea[@id='q-better']").get("aria-describedby") == "q-better-hint q-better-error"
    assert tree.find(".//textarea[@id='q-expectation']").text == "kurz"  # the other answers are kept
    assert tree.find(".//input[@id='q-satisfaction-1']").get("checked") is not None
    assert tree.find(".//input[@id='q-expected-2']").get("checked") is not None
    assert site.answers(invitation.id) == {}
    assert site.answered_at(invitation.id) is None
    page(send(client, invitation, csrf, satisfaction="2", better="x" * limit), 200, "de")  # at the limit it fits
    assert site.answers(invitation.id) == {"satisfaction": 2, "better": "x" * limit}


def test_a_missing_required_answer_is_said_next_to_its_question(site: Site, client: httpx.Client) -> None:
    invitation = site.invite("relationship", "nl")
    csrf = open_form(client, invitation)
    tree = page(send(client, invitation, csrf, why_buy="de prijs"), 422, "nl")
    assert tree.find(".//p[@id='q-recommend-error']").text == texts("nl")["error_required"]
    assert tree.find(".//textarea[@id='q-why_buy']").text == "de prijs"
    assert site.answered_at(invitation.id) is None


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "streamed"])
def test_an_oversized_body_gets_413(site: Site, client: httpx.Client, chunked: bool) -> None:
    invitation = site.invite("follow_up", "en")
    csrf = open_form(client, invitation)
    body = f"csrf={csrf}&a.satisfaction=4&a.better={'y' * MAX_BODY}".encode()
    content = iter([body[i : i + 8192] for i in range(0, len(body), 8192)]) if chunked else body
    headers = {"content-type": "application/x-www-form-urlencoded"}
    shown = page(client.post(invitation.url, content=content, headers=headers), 413)
    assert shown.find(".//h1").text == texts("en")["too_large_title"]
    assert site.answered_at(invitation.id) is None


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        pytest.param(b'{"a.satisfaction": "4"}', "application/json", 415, id="json"),
        pytest.param(b"a.satisfaction=4&a.satisfaction=5", "application/x-www-form-urlencoded", 400, id="twice"),
        pytest.param(b"a.better=%ff%fe", "application/x-www-form-urlencoded", 400, id="not-utf8"),
    ],
)
def test_a_body_that_is_no_form_is_refused(
    site: Site, client: httpx.Client, content: bytes, content_type: str, status: int
) -> None:
    invitation = site.invite("follow_up", "en")
    open_form(client, invitation)
    page(client.post(invitation.url, content=content, headers={"content-type": content_type}), status)
    assert site.answered_at(invitation.id) is None


@pytest.mark.parametrize("payload", INJECTIONS)
def test_script_in_an_answer_or_a_name_is_escaped_where_it_is_shown_again(
    site: Site, client: httpx.Client, payload: str
) -> None:
    invitation = site.invite("follow_up", "en", name=f"Mallory {payload}")
    answer = client.get(invitation.url)
    tree = page(answer, 200)
    assert payload not in answer.text
    assert str(escape(f"Hello Mallory {payload},")) in answer.text
    again = send(client, invitation, csrf_of(answer), better=payload, expectation=payload)  # no score: re-shown
    tree = page(again, 422)
    assert payload not in again.text
    assert tree.find(".//textarea[@id='q-better']").text == payload  # text in the box, not markup on the page
    assert tree.find(".//textarea[@id='q-expectation']").text == payload
    done = send(client, invitation, csrf_of(again), satisfaction="3", better=payload)
    page(done, 200)
    assert site.answers(invitation.id) == {"satisfaction": 3, "better": payload}  # stored as written


def test_without_a_survey_secret_the_form_says_it_cannot_take_answers_now(site: Site, client: httpx.Client) -> None:
    invitation = site.invite("follow_up", "en")
    secret, site.ctx.surveys.secret = site.ctx.surveys.secret, None
    try:
        shown = page(client.get(invitation.url), 503)
    finally:
        site.ctx.surveys.secret = secret
    assert shown.find(".//h1").text == texts("en")["unavailable_title"]
