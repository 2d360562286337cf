"""Each adapter maps its helpdesk's own payload shape to the normalised events."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from recovery.intake.delivery import Delivery
from recovery.intake.errors import ShapeError
from recovery.intake.events import (
    AgentRef,
    ComplaintOpened,
    CustomerFlagged,
    CustomerLost,
    DeliveryIgnored,
    IntakeEvent,
    SatisfactionRated,
    TicketAssigned,
    TriggerFired,
)
from recovery.intake.rules import SourceRules
from recovery.intake.sources import adapter
from recovery.workflow_files import load_file

CONFIG = Path(__file__).resolve().parents[2] / "config" / "helpdesk"
STANDARD = load_file(Path(__file__).resolve().parents[2] / "workflows" / "standard.yaml")
RECEIVED = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
RULES = SourceRules()


def parse(kind: str, payload: Any, rules: SourceRules = RULES, **headers: str) -> list[IntakeEvent]:
    """Parse ``payload`` as ``kind`` would receive it."""
    raw = json.dumps(payload).encode()
    named = {k.replace("_", "-"): v for k, v in headers.items()}
    return adapter(kind).parse(payload, rules, Delivery.of(named, raw, RECEIVED))


def kinds(events: list[IntakeEvent]) -> list[str]:
    """Event types with the trigger (or the step's role) named, for short assertions."""
    return [
        (f"trigger:{e.trigger}" if e.trigger else f"role:{e.role}") if isinstance(e, TriggerFired) else e.type
        for e in events
    ]


def render(template: str, values: dict[str, str]) -> Any:
    """A shipped body template with its placeholders filled in, as the helpdesk would send it."""
    text = (CONFIG / template).read_text()
    return json.loads(re.sub(r"\{\{([^}]+)\}\}", lambda m: values.get(m.group(1), ""), text))


ZENDESK_VALUES = {
    "ticket.id": "35436",
    "ticket.title": "Wrong size delivered",
    "ticket.status": "Open",
    "ticket.tags": "complaint recovery-apologize",
    "ticket.updated_at_with_timestamp": "2026-11-25T08:55:00Z",
    "ticket.created_at_with_timestamp": "2026-11-25T08:50:00Z",
    "ticket.requester.id": "2001",
    "ticket.requester.email": "Ann@Example.com",
    "ticket.requester.name": "Ann Smith",
    "current_user.email": "agent@example.com",
}


def test_zendesk_recommended_body_for_a_complaint_ticket_opens_it_and_fires_the_tagged_step() -> None:
    events = parse("zendesk", render("zendesk-webhook-body.json", ZENDESK_VALUES))

    assert kinds(events) == ["complaint.opened", "role:apology"]
    opened = events[0]
    assert isinstance(opened, ComplaintOpened)
    assert (opened.ticket, opened.summary, opened.customer.email) == (
        "35436",
        "Wrong size delivered",
        "Ann@Example.com",
    )
    assert opened.customer.external_id == "2001"
    assert opened.occurred_at == datetime(2026, 11, 25, 8, 55, tzinfo=UTC)
    assert events[1].delivery_id == f"{opened.delivery_id}#1"


def test_zendesk_invocation_id_is_the_delivery_id_when_sent() -> None:
    events = parse("zendesk", render("zendesk-webhook-body.json", ZENDESK_VALUES), x_zendesk_webhook_invocation_id="9")
    assert events[0].delivery_id == "9"


def test_zendesk_satisfaction_rating_good_becomes_a_score_of_five() -> None:
    values = ZENDESK_VALUES | {
        "ticket.tags": "",
        "satisfaction.current_rating": "Good",
        "satisfaction.current_comment": "ok",
    }
    (event,) = parse("zendesk", render("zendesk-webhook-body.json", values))
    assert isinstance(event, SatisfactionRated)
    assert (event.score, event.comment) == (5, "ok")


def test_zendesk_unhappy_customer_tag_becomes_a_flag_by_the_agent_who_set_it() -> None:
    values = ZENDESK_VALUES | {"ticket.tags": "unhappy-customer"}
    (event,) = parse("zendesk", render("zendesk-webhook-body.json", values))
    assert isinstance(event, CustomerFlagged)
    assert event.actor == "agent@example.com"


def test_zendesk_ticket_of_a_configured_type_opens_a_complaint_without_the_tag() -> None:
    rules = SourceRules.from_options({"complaint_tags": [], "complaint_types": ["incident"]})
    values = ZENDESK_VALUES | {"ticket.tags": "", "ticket.ticket_type": "Incident"}
    assert kinds(parse("zendesk", render("zendesk-webhook-body.json", values), rules)) == ["complaint.opened"]


def test_zendesk_status_rule_maps_solved_to_a_trigger() -> None:
    rules = SourceRules.from_options({"status_triggers": {"solved": "withdraw"}}).bind(STANDARD)
    values = ZENDESK_VALUES | {"ticket.tags": "", "ticket.status": "Solved"}
    (event,) = parse("zendesk", render("zendesk-webhook-body.json", values), rules)
    assert isinstance(event, TriggerFired)
    assert (event.trigger, event.reason, event.snapshot) == ("withdraw", "closed at the helpdesk", True)


def test_zendesk_body_without_a_ticket_names_the_field() -> None:
    with pytest.raises(ShapeError) as raised:
        parse("zendesk", {"current_user": {}})
    assert raised.value.field == "ticket"


def test_freshdesk_recommended_body_maps_status_codes_and_tags() -> None:
    values = {
        "ticket.id": "77",
        "ticket.subject": "Broken lamp",
        "ticket.status": "4",
        "ticket.tags": "complaint, recovery-compensate",
        "ticket.requester.email": "bo@example.com",
        "ticket.requester.name": "Bo",
    }
    rules = SourceRules.from_options({"status_triggers": {"resolved": "follow_up"}})
    events = parse("freshdesk", render("freshdesk-webhook-body.json", values), rules)

    assert kinds(events) == ["complaint.opened", "role:compensation", "role:follow_up"]
    compensate = events[1]
    assert isinstance(compensate, TriggerFired)
    assert compensate.compensation == {"kind": "gesture", "value": "0", "description": "recorded from the helpdesk"}
    assert events[0].occurred_at == RECEIVED, "Freshdesk sends no event time: the arrival time stands in"
    assert events[0].delivery_id.startswith("body:sha256:")


def test_zammad_default_payload_opens_a_complaint_for_the_customer() -> None:
    payload = {
        "ticket": {
            "id": 104,
            "number": "31001",
            "title": "Coffee machine leaks",
            "state": "new",
            "tags": ["complaint"],
            "created_at": "2020-11-13T14:34:35.282Z",
            "updated_at": "2020-11-13T14:34:37.366Z",
            "customer": {"id": 8, "email": "emily@example.com", "firstname": "Emily", "lastname": "Adams"},
            "updated_by": {"login": "chris@chrispresso.com", "email": "chris@chrispresso.com"},
        },
        "article": {"id": 104, "body": "It leaks."},
    }
    (event,) = parse("zammad", payload, x_zammad_delivery="a1b2c3")
    assert isinstance(event, ComplaintOpened)
    # The key is the number people see in Zammad, not the internal id.
    assert (event.delivery_id, event.ticket, event.customer.name) == ("a1b2c3", "31001", "Emily Adams")
    assert event.occurred_at == datetime(2020, 11, 13, 14, 34, 37, 366000, tzinfo=UTC)


def test_helpscout_conversation_tags_map_to_triggers_and_ratings_to_scores() -> None:
    conversation = {
        "id": 10,
        "number": 12,
        "subject": "Late parcel",
        "status": "active",
        "createdAt": "2026-11-25T08:00:00Z",
        "userUpdatedAt": "2026-11-25T08:30:00Z",
        "primaryCustomer": {"id": 5, "email": "cy@example.com", "first": "Cy", "last": "Lo"},
        "tags": [{"id": 1, "tag": "recovery-act"}],
        "assignee": {"email": "agent@example.com"},
    }
    assigned, fired = parse("helpscout", conversation, x_helpscout_event="convo.tags")
    rating = {
        "id": 3,
        "rating": "Great",
        "comments": "quick!",
        "conversationId": 10,
        "createdAt": "2026-11-26T08:00:00Z",
    }
    (rated,) = parse("helpscout", rating, x_helpscout_event="satisfaction.ratings")

    assert isinstance(assigned, TicketAssigned)
    assert assigned.assignee == AgentRef("agent@example.com", None, "")
    assert isinstance(fired, TriggerFired)
    assert (fired.role, fired.ticket, fired.actor) == ("action", "10", "agent@example.com")
    assert isinstance(rated, SatisfactionRated)
    assert (rated.ticket, rated.score, rated.comment) == ("10", 5, "quick!")


def test_helpscout_events_other_than_conversations_and_ratings_are_kept_as_ignored_with_why() -> None:
    (event,) = parse("helpscout", {"id": 1}, x_helpscout_event="customer.created")
    assert isinstance(event, DeliveryIgnored)
    assert event.reason == "Help Scout event 'customer.created' carries nothing for complaints"


def test_intercom_notification_event_with_a_complaint_tag_opens_a_complaint() -> None:
    payload = {
        "type": "notification_event",
        "id": "notif_4e3504a3",
        "topic": "conversation_part.tag.created",
        "created_at": 1764060000,
        "data": {
            "type": "notification_event_data",
            "item": {
                "type": "conversation",
                "id": "147",
                "created_at": 1764059000,
                "updated_at": 1764060000,
                "source": {"author": {"type": "user", "id": "u1", "email": "di@example.com", "name": "Di"}},
                "tags": {"type": "tag.list", "tags": [{"type": "tag", "name": "complaint"}]},
                "conversation_parts": {"conversation_parts": [{"author": {"type": "admin", "email": "a@x.com"}}]},
            },
        },
    }
    (event,) = parse("intercom", payload)
    assert isinstance(event, ComplaintOpened)
    assert (event.delivery_id, event.ticket, event.actor) == ("notif_4e3504a3", "147", None)
    assert event.occurred_at == datetime.fromtimestamp(1764060000, UTC)


def test_intercom_ping_is_kept_as_ignored_with_why() -> None:
    (event,) = parse("intercom", {"type": "notification_event", "id": "notif_1", "topic": "ping", "data": {}})
    assert isinstance(event, DeliveryIgnored)
    assert (event.delivery_id, event.ticket) == ("notif_1", "-"), "about no ticket: listed as such"
    assert event.reason == "Intercom topic 'ping' carries nothing for complaints"


def test_front_application_webhook_event_maps_tags_on_the_conversation() -> None:
    event = {
        "id": "evt_55c8c149",
        "type": "tag",
        "emitted_at": 1764060000.5,
        "conversation": {
            "id": "cnv_55c8c149",
            "subject": "Refund please",
            "status": "assigned",
            "recipient": {"handle": "ed@example.com", "name": "Ed"},
            "tags": [{"id": "tag_1", "name": "complaint"}, {"id": "tag_2", "name": "customer-lost"}],
        },
        "source": {"_meta": {"type": "teammate"}, "data": {"email": "agent@example.com"}},
        "target": {"_meta": {"type": "tag"}, "data": {"name": "customer-lost"}},
    }
    events = parse("front", {"type": "tag", "payload": event})
    assert kinds(events) == ["complaint.opened", "customer.lost"]
    assert isinstance(events[1], CustomerLost)
    assert events[0].delivery_id == "evt_55c8c149"


def test_front_sync_validation_request_is_kept_as_ignored() -> None:
    (event,) = parse("front", {"type": "sync", "authorization": {"id": "cmp_abc"}})
    assert isinstance(event, DeliveryIgnored)
    assert event.delivery_id.startswith("ignored:")


def test_generic_event_needs_a_known_type() -> None:
    with pytest.raises(ShapeError) as raised:
        parse(
            "generic", {"id": "e", "type": "complaint.exploded", "occurred_at": "2026-11-25T09:00:00Z", "ticket": "1"}
        )
    assert raised.value.field == "type"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "complaint.opened", "occurred_at": "2026-11-25T09:00:00Z", "ticket": "1"}, "id"),
        ({"id": "e", "type": "satisfaction.rated", "occurred_at": "nope", "ticket": "1", "score": 5}, "occurred_at"),
        ({"id": "e", "type": "satisfaction.rated", "occurred_at": "2026-11-25T09:00:00", "ticket": "1"}, "occurred_at"),
        ({"id": "e", "type": "satisfaction.rated", "occurred_at": "2026-11-25T09:00:00Z", "ticket": "1"}, "score"),
        (
            {"id": "e", "type": "satisfaction.rated", "occurred_at": "2026-11-25T09:00Z", "ticket": "1", "score": 9},
            "score",
        ),
        (
            {"id": "e", "type": "satisfaction.rated", "occurred_at": 1764060000, "ticket": "1", "score": 4},
            "occurred_at",
        ),
        (
            {"id": " ", "type": "satisfaction.rated", "occurred_at": "2026-11-25T09:00Z", "ticket": "1", "score": 4},
            "id",
        ),
        ({"id": "e", "type": "complaint.trigger", "occurred_at": "2026-11-25T09:00:00Z", "ticket": "1"}, "trigger"),
        ({"id": "e", "type": "customer.lost", "occurred_at": "2026-11-25T09:00:00Z", "reason": "moved"}, "customer"),
        ([1, 2], "body"),
    ],
    ids=[
        "no-id",
        "bad-time",
        "naive-time",
        "no-score",
        "score-out-of-range",
        "unix-time",
        "blank-id",
        "no-trigger",
        "no-customer",
        "array",
    ],
)
def test_generic_event_of_the_wrong_shape_names_the_field(payload: Any, field: str) -> None:
    with pytest.raises(ShapeError) as raised:
        parse("generic", payload)
    assert raised.value.field == field


def test_unknown_source_options_are_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="complaint_tag"):
        SourceRules.from_options({"complaint_tag": "x"})
