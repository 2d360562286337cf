"""The daily digest: each lead and manager gets the overview once a local day, after the configured time,
as an email with an HTML part, the key chart inline and a plain-text alternative. SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from datetime import time, timedelta
from typing import Any

import html5lib
import pytest
from sqlalchemy import select

from recovery.clock import SettableClock
from recovery.core.commands import OpenComplaint
from recovery.engine import open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff
from recovery.notify.digest import TOPIC, send_digests
from recovery.notify.sinks import Message
from recovery.notify.smtp import compose
from recovery.store.schema import outbox

AT = time(7, 30)  # T0 is 10:00 in Amsterdam: past it


@pytest.fixture
def team(ctx: Context) -> Context:
    """A lead, a manager, an agent and a manager without an email; two complaints, one of them from a prankster."""
    add_staff(ctx, "lena", "Lena", "lena@example.com", "lead")
    add_staff(ctx, "mo", "Mo", "mo@example.com", "manager")
    add_staff(ctx, "ann", "Ann", "ann@example.com", "agent")
    add_staff(ctx, "max", "Max", None, "manager")
    cy = add_customer(ctx, "cy@example.com", "<script>alert(1)</script>")
    open_complaint(ctx, OpenComplaint(cy, "cold soup", assignee="ann", actor="ann"))
    open_complaint(ctx, OpenComplaint(cy, "<b>late</b> parcel", actor="customer"))
    return ctx


def digests(ctx: Context) -> list[Any]:
    with ctx.read() as connection:
        query = select(outbox.c.recipient, outbox.c.payload, outbox.c.dedupe_key).where(outbox.c.topic == TOPIC)
        return list(connection.execute(query.order_by(outbox.c.id)))


def test_nothing_is_sent_before_the_configured_time(team: Context) -> None:
    assert send_digests(team, at=time(11, 0)).queued == 0
    assert digests(team) == []


def test_each_lead_and_manager_with_an_email_gets_one(team: Context) -> None:
    assert send_digests(team, at=AT).queued == 2
    assert sorted(row.recipient for row in digests(team)) == ["lena", "mo"]


def test_a_second_run_the_same_day_sends_nothing_and_the_next_day_sends_again(
    team: Context, clock: SettableClock
) -> None:
    send_digests(team, at=AT)
    assert send_digests(team, at=AT).queued == 0
    clock.advance(timedelta(days=1))
    assert send_digests(team, at=AT).queued == 2
    assert len(digests(team)) == 4


def test_the_subject_and_text_give_the_counts(team: Context) -> None:
    send_digests(team, at=AT)
    payload = digests(team)[0].payload
    assert payload["subject"].endswith(": 2 open, 0 overdue")
    assert "2 open, 0 overdue, 0 escalated; 2 arrived today." in payload["text"]


def test_the_html_parses_has_no_script_and_shows_what_customers_wrote_as_text(
    team: Context, clock: SettableClock
) -> None:
    clock.advance(timedelta(hours=6))  # both complaints past their 4 business hours: listed for attention
    send_digests(team, at=AT)
    html = digests(team)[0].payload["html"]
    tree = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)
    assert tree.find(".//script") is None
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;late&lt;/b&gt; parcel" in html
    assert tree.find(".//img").get("src") == "cid:steps"


def test_the_chart_is_a_png(team: Context) -> None:
    send_digests(team, at=AT)
    png = base64.b64decode(digests(team)[0].payload["images"]["steps"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 5000


def test_the_email_is_text_with_an_html_alternative_and_the_chart_inline(team: Context) -> None:
    send_digests(team, at=AT)
    row = digests(team)[0]
    email = compose(Message(1, row.dedupe_key, TOPIC, row.recipient, row.payload), "recovery@shop.test", "l@x.test")
    kinds = [part.get_content_type() for part in email.walk()]
    assert kinds == ["multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png"]
    image = next(part for part in email.walk() if part.get_content_type() == "image/png")
    assert image["Content-ID"] == "<steps>"
    assert email["Subject"] == row.payload["subject"]
