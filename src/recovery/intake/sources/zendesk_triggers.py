"""Zendesk trigger and automation webhooks: the JSON body the admin wrote with placeholders.

Two shapes are read: our template (config/helpdesk/zendesk-webhook-body.json: a ``ticket`` object
and ``current_user``) and the flat bodies admins write themselves (``ticket_id``, ``ticket_status``,
``tags``, ``requester_email`` …, as in Zulip's documented body). Zendesk renders an empty placeholder
as "", and ``{{ticket.updated_at}}`` as a date without a clock ("February 3, 2025"): where no field
holds a time with its offset, the arrival time stands in and the event says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recovery.intake.delivery import Delivery
from recovery.intake.errors import ShapeError
from recovery.intake.events import AgentRef, CustomerRef, IntakeEvent
from recovery.intake.fields import event_time, first_text, rating_score, tag_list
from recovery.intake.rules import SourceRules
from recovery.intake.snapshot import TicketSnapshot, ticket_events

# Where each field lives: in our template, and the names admins give it in flat bodies.
NESTED = {
    "ticket": ("ticket.id",),
    "summary": ("ticket.title", "ticket.subject"),
    "status": ("ticket.status",),
    "type": ("ticket.type", "ticket.ticket_type"),
    "form": ("ticket.form", "ticket.ticket_form"),
    "priority": ("ticket.priority",),
    "group": ("ticket.group",),
    "tags": ("ticket.tags",),
    "time": ("ticket.updated_at", "ticket.created_at"),
    "requester_email": ("ticket.requester.email",),
    "requester_name": ("ticket.requester.name",),
    "requester_id": ("ticket.requester.id",),
    "assignee_email": ("ticket.assignee.email",),
    "assignee_id": ("ticket.assignee.id",),
    "assignee_name": ("ticket.assignee.name",),
    "actor": ("current_user.email",),
    "score": ("ticket.satisfaction.score",),
    "comment": ("ticket.satisfaction.comment",),
}
FLAT = {
    "ticket": ("ticket_id", "id"),
    "summary": ("ticket_title", "ticket_subject", "title"),
    "status": ("ticket_status", "status"),
    "type": ("ticket_type", "type"),
    "form": ("ticket_form", "form"),
    "priority": ("ticket_priority", "priority"),
    "group": ("ticket_group", "group"),
    "tags": ("tags", "ticket_tags"),
    "time": ("updated_at", "ticket_updated_at", "created_at"),
    "requester_email": ("requester_email", "ticket_requester_email"),
    "requester_name": ("requester_full_name", "requester_name", "ticket_requester_name"),
    "requester_id": ("requester_id", "ticket_requester_id"),
    "assignee_email": ("assignee_email", "ticket_assignee_email"),
    "assignee_id": ("assignee_id", "ticket_assignee_id"),
    "assignee_name": ("assignee_full_name", "assignee_name"),
    "actor": ("current_user_email", "current_user"),
    "score": ("satisfaction_score", "satisfaction_rating", "satisfaction_current_rating"),
    "comment": ("satisfaction_comment", "satisfaction_current_comment"),
}


def parse(body: Mapping[str, Any], rules: SourceRules, delivery: Delivery) -> list[IntakeEvent]:
    """Map a trigger body, ours or flat, to events; ShapeError when it names no ticket."""
    if isinstance(body.get("ticket"), dict):
        paths = NESTED
    elif "ticket_id" in body or "id" in body:
        paths = FLAT
    else:
        raise ShapeError("ticket", "expected a ticket object (our template) or a ticket_id (a flat trigger body)")

    def read(name: str) -> str:
        return first_text(body, *paths[name])

    ticket = read("ticket")
    if not ticket:
        raise ShapeError(paths["ticket"][0], "is required")
    when, arrival = event_time(body, paths["time"], delivery.received_at)
    snap = TicketSnapshot(
        delivery_id=delivery.id_from("X-Zendesk-Webhook-Invocation-Id"),
        ticket=ticket,
        occurred_at=when,
        arrival_time=arrival,
        customer=_person(read("requester_email"), read("requester_name"), read("requester_id")),
        summary=read("summary"),
        tags=tuple(_tags(body, paths["tags"])),
        status=read("status") or None,
        ticket_type=read("type") or None,
        form=read("form") or None,
        priority=read("priority") or None,
        group=read("group") or None,
        actor=read("actor") or None,
        assignee=AgentRef(read("assignee_email"), read("assignee_id") or None, read("assignee_name")),
        score=rating_score(read("score"), paths["score"][0]),
        comment=read("comment"),
    )
    return ticket_events(snap, rules)


def _person(email: str, name: str, external_id: str) -> CustomerRef | None:
    return CustomerRef(email, name, external_id or None) if email or external_id else None


def _tags(body: Mapping[str, Any], paths: tuple[str, ...]) -> list[str]:
    for path in paths:
        value: Any = body
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value:
            return tag_list(value, path)
    return []
