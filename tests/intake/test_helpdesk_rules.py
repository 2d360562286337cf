"""The per-source rules at work through the inbox: ratings against status rules, assignees, what is ignored and why."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from intake.world import World
from recovery.engine.context import Context
from recovery.engine.inbox import list_events
from recovery.intake.rules import SourceRules

TEMPLATE = Path(__file__).resolve().parents[2] / "config" / "helpdesk" / "zendesk-webhook-body.json"
TICKET = {
    "ticket.id": "35436",
    "ticket.title": "Wrong size delivered",
    "ticket.status": "Open",
    "ticket.tags": "complaint",
    "ticket.updated_at_with_timestamp": "2026-11-25T08:55:00Z",
    "ticket.requester.id": "2001",
    "ticket.requester.email": "ann@example.com",
    "ticket.requester.name": "Ann Smith",
}
SOLVED_WITH_A_BAD_RATING = {
    "ticket.status": "Solved",
    "satisfaction.current_rating": "Bad",
    "satisfaction.current_comment": "still the wrong size",
    "ticket.updated_at_with_timestamp": "2026-11-25T09:30:00Z",
}


def zendesk(**values: str) -> bytes:
    """Our Zendesk template as Zendesk renders it for a ticket (empty placeholders become "")."""
    filled = {**TICKET, **values}
    return re.sub(r"\{\{([^}]+)\}\}", lambda m: filled.get(m.group(1), ""), TEMPLATE.read_text()).encode()


def statuses(stored: list[Any]) -> list[tuple[str, str]]:
    return [(s.event_type, s.status) for s in stored]


@pytest.fixture
def world(ctx: Context) -> World:
    """Zendesk with the rule of our own example: a solved ticket withdraws its complaint."""
    found = World(ctx, "zendesk", {"status_triggers": {"solved": "withdrawal"}})
    found.staff("ann", "agent-ann@example.com")
    return found


def test_a_bad_rating_arriving_with_the_solved_status_is_recorded_before_the_withdrawal(world: World) -> None:
    world.deliver("", zendesk())
    world.complaint_walk("35436", ("apologize", "act", "empathize", "compensate"))

    stored = world.deliver("", zendesk(**SOLVED_WITH_A_BAD_RATING))

    assert statuses(stored) == [
        ("complaint.opened", "skipped"),
        ("satisfaction.rated", "applied"),
        ("complaint.trigger", "applied"),
    ]
    assert world.scores() == [(1, "still the wrong size")]
    complaint = world.ticket("35436")
    assert (complaint["last_score"], complaint["closed_as"]) == (1, "withdrawal")


def test_a_rating_that_can_no_longer_apply_fails_with_the_true_reason(world: World) -> None:
    world.deliver("", zendesk())
    world.deliver(
        "", zendesk(**{"ticket.status": "Solved", "ticket.updated_at_with_timestamp": "2026-11-25T09:00:00Z"})
    )

    stored = world.deliver("", zendesk(**SOLVED_WITH_A_BAD_RATING))

    rated = next(s for s in stored if s.event_type == "satisfaction.rated")
    assert (rated.status, rated.error) == ("failed", "'follow_up' is not allowed from 'withdrawn'")
    assert ("satisfaction.rated", "failed") in [
        (e["event_type"], e["status"]) for e in list_events(world.ctx, failed=True)
    ]
    assert world.scores() == []


def test_a_rating_repeated_by_a_later_snapshot_is_skipped_because_it_was_recorded(world: World) -> None:
    world.deliver("", zendesk())
    world.complaint_walk("35436", ("apologize", "act", "empathize", "compensate"))
    world.deliver("", zendesk(**SOLVED_WITH_A_BAD_RATING))

    again = {**SOLVED_WITH_A_BAD_RATING, "ticket.updated_at_with_timestamp": "2026-11-25T10:00:00Z"}
    stored = world.deliver("", zendesk(**again))

    rated = next(s for s in stored if s.event_type == "satisfaction.rated")
    assert (rated.status, rated.error) == ("skipped", "complaint is already withdrawn: 'follow_up' happened before")
    assert world.scores() == [(1, "still the wrong size")]


# --- assignees ---------------------------------------------------------------------------------------


def test_the_ticket_assignee_becomes_the_complaint_assignee_by_email_and_a_reassignment_follows(world: World) -> None:
    world.staff("bob", "bob@example.com")
    world.deliver("", zendesk(**{"ticket.assignee.email": "agent-ann@example.com", "ticket.assignee.id": "7"}))
    assert world.ticket("35436")["assignee"] == "ann"

    later = {"ticket.assignee.email": "bob@example.com", "ticket.updated_at_with_timestamp": "2026-11-25T09:10:00Z"}
    stored = world.deliver("", zendesk(**later))

    assert ("ticket.assigned", "applied") in statuses(stored)
    assert world.ticket("35436")["assignee"] == "bob"
    assert [(r, p["email"]) for r, p in world.notices()] == [
        ("ann", "agent-ann@example.com"),
        ("bob", "bob@example.com"),
    ]


def test_the_assignees_option_maps_a_helpdesk_id_and_default_owner_catches_the_rest(ctx: Context) -> None:
    world = World(ctx, "zendesk", {"assignees": {"7": "ann"}, "default_owner": "lena"})
    world.staff("ann")
    world.staff("lena", "lena@example.com", role="lead")

    world.deliver("", zendesk(**{"ticket.assignee.id": "7", "ticket.id": "1"}))
    world.deliver(
        "", zendesk(**{"ticket.assignee.id": "8", "ticket.assignee.email": "x@example.com", "ticket.id": "2"})
    )
    world.deliver("", zendesk(**{"ticket.id": "3"}))

    assert [world.ticket(t)["assignee"] for t in ("1", "2", "3")] == ["ann", "lena", "lena"]


def test_an_agent_who_is_no_staff_member_leaves_the_assignee_and_says_how_to_fix_it(world: World) -> None:
    world.deliver("", zendesk(**{"ticket.assignee.email": "agent-ann@example.com"}))
    stored = world.deliver("", zendesk(**{"ticket.assignee.email": "eve@example.com", "ticket.assignee.id": "9"}))

    assigned = next(s for s in stored if s.event_type == "ticket.assigned")
    assert assigned.status == "skipped"
    assert assigned.error == (
        "helpdesk agent 'eve@example.com' / '9' is no staff member: add one with that email (`recovery staff add`) "
        "or map the agent's id in the source's assignees option"
    )
    assert world.ticket("35436")["assignee"] == "ann"


def test_an_assignees_option_naming_no_staff_member_fails_the_opening_by_name(ctx: Context) -> None:
    world = World(ctx, "zendesk", {"assignees": {"7": "nobody-here"}})
    (opened, _) = world.deliver("", zendesk(**{"ticket.assignee.id": "7"}))
    assert (opened.status, opened.error) == ("failed", "no staff member 'nobody-here'")


# --- what a delivery that does nothing says ----------------------------------------------------------


def test_a_ticket_that_matches_no_rule_is_ignored_naming_the_values_seen_and_the_rules_tried(ctx: Context) -> None:
    world = World(ctx, "zendesk", {"complaint_types": ["incident"]})
    (stored,) = world.deliver("", zendesk(**{"ticket.tags": "billing", "ticket.ticket_type": "Question"}))
    assert (stored.status, stored.error) == (
        "ignored",
        "no complaint rule matched type='Question', status='Open', tags=['billing']; "
        "rules: complaint_tags ['complaint'], complaint_types ['incident']",
    )


@pytest.mark.parametrize(
    ("options", "matched"),
    [
        ({"open_all": True}, "open_all"),
        ({"complaint_groups": ["Service Desk"]}, "complaint_groups 'service desk'"),
        ({"complaint_priorities": ["2 normal"]}, "complaint_priorities '2 Normal'"),
        ({"complaint_statuses": ["new"]}, "complaint_statuses 'NEW'"),
    ],
    ids=["open-all", "group", "priority", "status"],
)
def test_a_ticket_without_tags_or_type_can_be_matched_by_group_priority_or_status(
    options: dict[str, Any], matched: str
) -> None:
    rules = SourceRules.from_options({"complaint_tags": [], **options})
    fields = {"group": matched.split("'")[1] if "'" in matched else "x", "priority": "2 Normal", "status": "NEW"}
    assert rules.complaint_rule([], fields) == matched
    assert SourceRules.from_options({"complaint_tags": []}).complaint_rule([], fields) is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"open_all": "yes"}, "open_all: expected true or false"),
        ({"assignees": ["7"]}, "assignees: expected a table"),
        ({"default_ownr": "ann"}, "unknown option(s) default_ownr"),
    ],
)
def test_options_of_the_wrong_kind_stop_start_up_by_name(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        SourceRules.from_options(options)


def test_the_stored_event_says_when_its_time_is_the_arrival_time(world: World) -> None:
    (opened,) = world.deliver("", zendesk(**{"ticket.updated_at_with_timestamp": ""}))
    assert opened.body["arrival_time"] is True
    assert json.dumps(opened.body)  # the stored body keeps it
