"""Every real helpdesk payload in tests/fixtures/helpdesk does what an admin expects with the documented setup.

Each file is read from disk as the bytes the helpdesk sent (see tests/fixtures/helpdesk/README.md and
each folder's PROVENANCE.md), parsed by its adapter under the rules docs/helpdesks.md recommends,
stored and applied on a real database; the test then looks at the domain: the complaint opened for
the right customer with the right assignee, the step fired, the score recorded, the flag raised, or
the delivery kept as ignored with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from intake.helpers import SECRET, AppClient, settings_for, signed_headers, source
from intake.world import FIXTURES, World, moment
from recovery.bootstrap import configure
from recovery.engine.context import Context
from recovery.intake.app import create_app

Check = Callable[[World, Callable[..., list]], None]

# The options docs/helpdesks.md recommends, with the tags and labels these payloads happen to carry.
SETUPS: dict[str, dict[str, object]] = {
    "zendesk": {"complaint_types": ["incident"], "status_triggers": {"solved": "withdrawal"}},
    "freshdesk": {
        "complaint_types": ["incident"],
        "status_triggers": {"resolved": "withdrawal"},
        "default_owner": "ann",
    },
    "zammad": {"open_all": True, "status_triggers": {"closed": "withdrawal"}},
    "helpscout": {"complaint_tags": ["tag1"], "flag_tag": "tag2", "status_triggers": {"closed": "withdrawal"}},
    "intercom": {
        "complaint_tags": ["developer"],
        "complaint_types": ["tickets"],
        "complaint_priorities": ["priority"],
        "status_triggers": {"closed": "withdrawal"},
        "assignees": {"9608799": "ann"},
    },
    "front": {"complaint_tags": ["urgent"], "status_triggers": {"archived": "withdrawal"}},
}


def statuses(stored: list) -> list[tuple[str, str]]:
    return [(s.event_type, s.status) for s in stored]


# --- Zendesk: trigger bodies an admin wrote (flat); event-subscription bodies are in test_zendesk_events.py ---


def zendesk_flat_body_without_the_requester(world: World, deliver: Callable[..., list]) -> None:
    (stored,) = deliver()
    assert (stored.event_type, stored.status) == ("ignored", "ignored")
    assert stored.error == (
        "ticket 7 matches complaint_types 'Incident' but the body names no customer email or id "
        "(add the requester's email to the webhook body)"
    )
    assert stored.body["arrival_time"] is True, "'February 3, 2025' has no time of day: the arrival time stands in"
    assert world.find("7") is None


def zendesk_markdown_message(world: World, deliver: Callable[..., list]) -> None:
    (stored,) = deliver()
    assert (stored.event_type, stored.status) == ("ignored", "ignored")
    assert (
        stored.error
        == "no complaint rule matched tags=[]; rules: complaint_tags ['complaint'], complaint_types ['incident']"
    )


# --- Freshdesk: Zulip's documented automation-rule body; no event time, no agent ---


def freshdesk_ticket_created(world: World, deliver: Callable[..., list]) -> None:
    world.staff("ann", "ann@example.com")
    stored = deliver()
    assert statuses(stored) == [("complaint.opened", "applied")]
    complaint = world.ticket("11")
    assert (complaint["email"], complaint["customer_name"], complaint["summary"]) == (
        "requester-bob@example.com",
        "Requester ☃ Bob",
        "Test ticket subject ☃",
    )
    assert complaint["assignee"] == "ann", "no agent in the body: the source's default_owner"
    assert stored[0].body["arrival_time"] is True
    assert [recipient for recipient, _ in world.notices()] == ["ann"]


def freshdesk_after_creation(expected_state: str, closed_as: str | None) -> Check:
    def check(world: World, deliver: Callable[..., list]) -> None:
        world.staff("ann", "ann@example.com")
        world.deliver("rule-ticket-created.json")
        stored = deliver()
        complaint = world.ticket("11")
        assert (complaint["state"], complaint["closed_as"]) == (expected_state, closed_as)
        if closed_as is None:
            assert statuses(stored) == [("complaint.opened", "skipped")]
            assert stored[0].error == f"ticket already has complaint {complaint['id']}"
        else:
            assert statuses(stored) == [("complaint.opened", "skipped"), ("complaint.trigger", "applied")]

    return check


# --- Zammad: the default payload; the Zammad trigger chooses the tickets, so open_all = true ---


def zammad_default_payload_as_published(world: World, deliver: Callable[..., list]) -> None:
    raw = (FIXTURES / "zammad" / "default-payload-ticket-article-docs.json").read_bytes()
    settings = settings_for(source("zammad", **SETUPS["zammad"]))
    app = create_app(configure(world.ctx, settings), settings)
    headers = signed_headers("zammad", raw, world.ctx.clock.now(), SECRET, **{"X-Zammad-Delivery": "d-1"})
    answer = AppClient(app).post("/webhooks/zammad", content=raw, headers=headers)
    assert answer.status_code == 400, answer.text
    assert "malformed JSON" in answer.json()["error"]
    # The page's six trailing commas ("vip": false,}) removed here, and nothing else changed:
    fixed = re.sub(rb",(\s*})", rb"\1", raw)
    world.staff("emma", "emma@chrispresso.com")
    stored = world.deliver("default-payload-ticket-article-docs.json", fixed, **{"X-Zammad-Delivery": "d-1"})
    assert statuses(stored) == [("complaint.opened", "applied"), ("ticket.assigned", "skipped")]
    complaint = world.ticket("10081")  # the number people see, not the internal id 81
    assert (complaint["email"], complaint["customer_name"], complaint["external_id"]) == (
        "emily@example.com",
        "Emily Adams",
        "8",
    )
    assert (complaint["assignee"], complaint["summary"]) == ("emma", "Webhook-Test")
    assert complaint["opened_at"] == moment("2020-11-13T14:34:35.333Z")


# --- Help Scout: v1 conversation objects, a customer event and the Rating object ---


def helpscout_created(world: World, deliver: Callable[..., list]) -> None:
    world.staff("jack", "jack.sprout@gmail.com")
    stored = deliver(**{"X-HelpScout-Event": "convo.created"})
    assert statuses(stored) == [
        ("complaint.opened", "applied"),
        ("ticket.assigned", "skipped"),
        ("customer.flagged", "applied"),
    ]
    complaint = world.ticket("291938")
    assert (complaint["email"], complaint["customer_name"], complaint["external_id"]) == (
        "vbear@mywork.com",
        "Vernon Bear",
        "29418",
    )
    assert (complaint["assignee"], complaint["summary"]) == ("jack", "I need help!")
    assert complaint["opened_at"] == moment("2012-07-24T20:18:33Z"), "modifiedAt, the latest change"
    assert world.flags() == [("jack", "tagged tag2 at the helpdesk")]


def helpscout_assigned(world: World, deliver: Callable[..., list]) -> None:
    world.staff("ann", "ann@example.com")
    world.staff("jack", "jack.sprout@gmail.com")
    world.complaint("291938", assignee="ann")
    stored = deliver(**{"X-HelpScout-Event": "convo.assigned"})
    assert ("ticket.assigned", "applied") in statuses(stored)
    complaint = world.ticket("291938")
    assert complaint["assignee"] == "jack"
    assert [(r, p["email"]) for r, p in world.notices()][-1] == ("jack", "jack.sprout@gmail.com")


def helpscout_closed(world: World, deliver: Callable[..., list]) -> None:
    world.complaint("291938")
    stored = deliver(**{"X-HelpScout-Event": "convo.status"})
    assert ("complaint.trigger", "applied") in statuses(stored)
    complaint = world.ticket("291938")
    assert (complaint["closed_as"], complaint["closed_at"]) == ("withdrawal", moment("2012-07-24T20:18:33Z"))


def helpscout_customer(world: World, deliver: Callable[..., list]) -> None:
    (stored,) = deliver(**{"X-HelpScout-Event": "customer.created"})
    assert (stored.status, stored.error) == (
        "ignored",
        "Help Scout event 'customer.created' carries nothing for complaints",
    )


def helpscout_rating(world: World, deliver: Callable[..., list]) -> None:
    world.complaint("1560011", walk=("apologize", "act", "empathize", "compensate"))
    (stored,) = deliver(**{"X-HelpScout-Event": "satisfaction.ratings"})
    assert (stored.event_type, stored.status) == ("satisfaction.rated", "applied")
    assert stored.body["customer"] == {"email": "john.doe@gmail.com", "name": "John Doe", "external_id": "449379"}
    assert world.scores() == [(5, "he was really helpful")]
    complaint = world.ticket("1560011")
    assert complaint["last_score"] == 5


# --- Intercom: older-version (user, assignee) and current-version (contacts, admin_assignee_id) deliveries ---


def intercom_lead_without_email(world: World, deliver: Callable[..., list]) -> None:
    (stored,) = deliver()
    assert (stored.status, stored.error) == (
        "ignored",
        "no complaint rule matched status='open', tags=[]; rules: complaint_tags ['developer'], "
        "complaint_types ['tickets'], complaint_priorities ['priority']",
    )


def intercom_assigned(world: World, deliver: Callable[..., list]) -> None:
    world.staff("ann", "ann@example.com")
    world.staff("tim", "tim@zulip.com")
    world.complaint("21322009097", assignee="ann")
    stored = deliver()
    assert statuses(stored) == [("ticket.assigned", "applied"), ("ignored", "ignored")]
    complaint = world.ticket("21322009097")
    assert complaint["assignee"] == "tim"
    assert [(r, p["email"]) for r, p in world.notices()][-1] == ("tim", "tim@zulip.com")


def intercom_tagged(world: World, deliver: Callable[..., list]) -> None:
    world.staff("lena", "lena@example.com", role="lead")
    stored = deliver()
    assert statuses(stored) == [("complaint.opened", "applied")]
    complaint = world.ticket("21330067382")
    assert (complaint["email"], complaint["customer_name"], complaint["external_id"]) == (
        "jerryguitarist@gmail.com",
        "Eeshan Garg",
        "5c9553cb27e377f24eed49f7",
    )
    assert complaint["assignee"] is None, "nobody_admin: unassigned, so the overdue scan tells the leads"


def intercom_closed(world: World, deliver: Callable[..., list]) -> None:
    world.complaint("21322009097")
    stored = deliver()
    assert ("complaint.trigger", "applied") in statuses(stored)
    assert ("ticket.assigned", "skipped") in statuses(stored), "cordelia@zulip.com is no staff member"
    complaint = world.ticket("21322009097")
    assert complaint["closed_as"] == "withdrawal"


def intercom_priority_contact(world: World, deliver: Callable[..., list]) -> None:
    world.staff("ann", "ann@example.com")
    world.customer("lead@example.com", "696205460674dbb9050aa7fd")
    stored = deliver()
    assert statuses(stored) == [("complaint.opened", "applied"), ("ticket.assigned", "skipped")]
    complaint = world.ticket("215472621202693")
    assert (complaint["email"], complaint["assignee"]) == ("lead@example.com", "ann"), "admin 9608799 → ann"


def intercom_ticket(world: World, deliver: Callable[..., list]) -> None:
    (stored,) = deliver()
    assert stored.event_type == "complaint.opened"
    assert stored.body["ticket"] == "66040342", "the ticket_id people see, not the internal id"
    assert stored.status == "failed"
    assert str(stored.error).startswith(
        "customer: no customer has the helpdesk id intercom:696346bbaebb5a479d3851a3 and the helpdesk sent no "
        "email to add one: `recovery customer add EMAIL --external intercom:696346bbaebb5a479d3851a3`"
    )


# --- Front: rule webhooks (bare events) ---


def front_tagged(world: World, deliver: Callable[..., list]) -> None:
    stored = deliver()
    assert statuses(stored) == [("complaint.opened", "applied")]
    complaint = world.ticket("cnv_keocka")
    assert (complaint["email"], complaint["external_id"], complaint["assignee"]) == (
        "calculon@momsbot.com",
        "crd_62euuy",
        None,
    )
    assert complaint["opened_at"] == moment("2018-02-11T00:33:59.379Z")


def front_assigned(world: World, deliver: Callable[..., list]) -> None:
    world.staff("bender", "bender@planet-express.com")
    world.complaint("cnv_keocka")
    stored = deliver()
    assert statuses(stored) == [("ticket.assigned", "applied"), ("ignored", "ignored")]
    complaint = world.ticket("cnv_keocka")
    assert complaint["assignee"] == "bender"
    assert [(r, p["email"]) for r, p in world.notices()] == [("bender", "bender@planet-express.com")]


def front_archived(world: World, deliver: Callable[..., list]) -> None:
    world.staff("leela", "leela@planet-express.com")
    world.complaint("cnv_keo696", assignee="leela")
    stored = deliver()
    assert statuses(stored) == [("ticket.assigned", "skipped"), ("complaint.trigger", "applied")]
    complaint = world.ticket("cnv_keo696")
    assert complaint["closed_as"] == "withdrawal"


def front_reopened_after_archive(world: World, deliver: Callable[..., list]) -> None:
    world.staff("leela", "leela@planet-express.com")
    world.complaint("cnv_keo696", assignee="leela")
    world.deliver("rule-event-archive.json")
    stored = deliver()
    assert statuses(stored) == [("ticket.assigned", "skipped"), ("ignored", "ignored")]
    assert "is already assigned to leela" in str(stored[0].error)
    assert str(stored[1].error).startswith("no complaint rule matched status='assigned'")


def front_inbound(world: World, deliver: Callable[..., list]) -> None:
    (stored,) = deliver()
    assert (stored.status, stored.error) == (
        "ignored",
        "no complaint rule matched status='unassigned', tags=[]; rules: complaint_tags ['urgent']",
    )


EXPECTED: dict[str, Check] = {
    "zendesk/trigger-ticket-create-update.json": zendesk_flat_body_without_the_requester,
    "zendesk/trigger-message-with-ticket-id-and-title.json": zendesk_markdown_message,
    "freshdesk/rule-ticket-created.json": freshdesk_ticket_created,
    "freshdesk/rule-status-changed.json": freshdesk_after_creation("received", None),
    "freshdesk/rule-priority-changed.json": freshdesk_after_creation("withdrawn", "withdrawal"),
    "freshdesk/rule-public-note.json": freshdesk_after_creation("received", None),
    "freshdesk/rule-private-note.json": freshdesk_after_creation("received", None),
    "zammad/default-payload-ticket-article-docs.json": zammad_default_payload_as_published,
    "helpscout/convo-created-v1-conversation.json": helpscout_created,
    "helpscout/convo-assigned-v1-conversation.json": helpscout_assigned,
    "helpscout/convo-status-closed-v1-conversation.json": helpscout_closed,
    "helpscout/customer-created-v1-customer.json": helpscout_customer,
    "helpscout/satisfaction-ratings-rating-object.json": helpscout_rating,
    "intercom/conversation-user-created-v1-lead.json": intercom_lead_without_email,
    "intercom/conversation-admin-assigned-v1.json": intercom_assigned,
    "intercom/conversation-part-tag-created-v1.json": intercom_tagged,
    "intercom/conversation-admin-closed-v1.json": intercom_closed,
    "intercom/conversation-priority-updated-v2-contacts.json": intercom_priority_contact,
    "intercom/ticket-created-v2-contacts.json": intercom_ticket,
    "front/rule-event-tag.json": front_tagged,
    "front/rule-event-assign.json": front_assigned,
    "front/rule-event-assign-by-rule.json": front_assigned,
    "front/rule-event-archive.json": front_archived,
    "front/rule-event-reopen.json": front_reopened_after_archive,
    "front/rule-event-inbound.json": front_inbound,
}
PAYLOADS = sorted(p for p in FIXTURES.glob("*/*.json") if p.name != "signatures.json")


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_a_real_payload_does_what_an_admin_expects(ctx: Context, path: Path) -> None:
    name = path.relative_to(FIXTURES).as_posix()
    assert name in EXPECTED, f"{name}: a real payload with no expectation; say what an admin expects of it"
    kind = path.parent.name
    world = World(ctx, kind, SETUPS[kind])

    def deliver(**headers: str) -> list:
        return world.deliver(path.name, **headers)

    EXPECTED[name](world, deliver)


def test_every_expectation_has_its_payload_on_disk() -> None:
    assert sorted(EXPECTED) == [p.relative_to(FIXTURES).as_posix() for p in PAYLOADS]
