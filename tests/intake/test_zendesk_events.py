"""Zendesk event-subscription webhooks (``zen:event-type:ticket.*``).

No real delivery with provenance was found (tests/fixtures/helpdesk/zendesk/PROVENANCE.md, "Not
found"): these bodies are BUILT here from the shape Zendesk documents on its "Webhook event types"
and "Ticket events" pages — top-level ``type``, ``account_id``, ``id``, ``time``,
``zendesk_event_version``, ``subject`` "zen:ticket:<id>", ``detail`` (ids as strings, status,
priority and type upper-case, ``requester_id`` and ``assignee_id`` but no e-mail) and ``event``
(``current``/``previous``, ``tags_added``/``tags_removed``). Replace them with a real one when found.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from intake.world import World, moment
from recovery.engine.context import Context


def event(kind: str, *, status: str = "OPEN", tags: list[str] | None = None, **changes: Any) -> bytes:
    """A ticket event as documented; ``changes`` fill the ``event`` object."""
    body = {
        "type": f"zen:event-type:ticket.{kind}",
        "account_id": 22129848,
        "id": f"evt-{kind}-{status}",
        "time": "2026-11-25T08:55:00.123456789Z",
        "zendesk_event_version": "2022-11-06",
        "subject": "zen:ticket:5158",
        "detail": {
            "actor_id": "900",
            "assignee_id": "7",
            "brand_id": "1",
            "created_at": "2026-11-25T08:50:00Z",
            "description": "Wrong size delivered",
            "external_id": "",
            "form_id": "0",
            "group_id": "3",
            "id": "5158",
            "is_public": True,
            "organization_id": "0",
            "priority": "LOW",
            "requester_id": "2001",
            "status": status,
            "subject": "Wrong size delivered",
            "submitter_id": "2001",
            "tags": ["complaint"] if tags is None else tags,
            "type": "INCIDENT",
            "updated_at": "2026-11-25T08:55:00Z",
            "via": {"channel": "web_form"},
        },
        "event": changes,
    }
    return json.dumps(body).encode()


@pytest.fixture
def world(ctx: Context) -> World:
    found = World(ctx, "zendesk", {"status_triggers": {"solved": "withdrawal"}, "assignees": {"7": "ann"}})
    found.staff("ann")
    return found


def test_a_created_ticket_opens_a_complaint_for_the_customer_known_by_their_zendesk_id(world: World) -> None:
    world.customer("ann.smith@example.com", "2001")  # `recovery customer add … --external zendesk:2001`

    stored = world.deliver("", event("created"))

    assert [(s.event_type, s.status) for s in stored] == [
        ("complaint.opened", "applied"),
        ("ticket.assigned", "skipped"),
    ]
    complaint = world.ticket("5158")
    assert (complaint["email"], complaint["assignee"], complaint["summary"]) == (
        "ann.smith@example.com",
        "ann",
        "Wrong size delivered",
    )
    assert complaint["opened_at"] == moment("2026-11-25T08:55:00.123456Z")


def test_a_requester_known_only_by_id_fails_with_how_to_add_them(world: World) -> None:
    opened, _ = world.deliver("", event("created"))
    assert opened.status == "failed"
    assert str(opened.error).startswith("customer: no customer has the helpdesk id zendesk:2001")


def test_a_status_change_to_solved_fires_the_status_rule(world: World) -> None:
    world.customer("ann.smith@example.com", "2001")
    world.deliver("", event("created"))

    stored = world.deliver("", event("status_changed", status="SOLVED", current="SOLVED", previous="OPEN"))

    assert ("complaint.trigger", "applied") in [(s.event_type, s.status) for s in stored]
    assert world.ticket("5158")["closed_as"] == "withdrawal"


def test_tags_added_by_a_tags_changed_event_count_as_the_tickets_tags(world: World) -> None:
    world.customer("ann.smith@example.com", "2001")
    (opened, *_) = world.deliver("", event("tags_changed", tags=[], tags_added=["complaint"], tags_removed=[]))
    assert (opened.event_type, opened.status) == ("complaint.opened", "applied")


def test_an_event_about_something_else_than_a_ticket_is_kept_as_ignored(world: World) -> None:
    body = json.loads(event("created"))
    body["type"] = "zen:event-type:user.active_changed"
    (stored,) = world.deliver("", json.dumps(body).encode())
    assert (stored.status, stored.error) == ("ignored", "Zendesk event 'user.active_changed' is not about a ticket")
