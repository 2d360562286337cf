"""Zendesk event-subscription webhooks: ``{"type": "zen:event-type:ticket.…", "time", "detail", "event"}``.

``detail`` is the ticket after the event (ids as strings, status, priority and type upper-case, no
requester or assignee email: only ``requester_id`` and ``assignee_id``); ``event`` holds what changed
(``current``/``previous``, ``tags_added``). Zendesk publishes no satisfaction event type: ratings need
a trigger webhook (``zendesk_triggers``). The customer is found by the Zendesk id the complaint was
opened with, or added beforehand with ``recovery customer add EMAIL --external SOURCE:ID``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recovery.intake.delivery import Delivery
from recovery.intake.events import AgentRef, CustomerRef, DeliveryIgnored, IntakeEvent, fit_key
from recovery.intake.fields import event_time, first_text, get, obj, tag_list, text
from recovery.intake.rules import SourceRules
from recovery.intake.snapshot import TicketSnapshot, ticket_events

PREFIX = "zen:event-type:"


def is_event(body: Mapping[str, Any]) -> bool:
    """Is ``body`` an event-subscription delivery?"""
    kind = body.get("type")
    return isinstance(kind, str) and kind.startswith(PREFIX)


def parse(body: Mapping[str, Any], rules: SourceRules, delivery: Delivery) -> list[IntakeEvent]:
    """A ticket event becomes a snapshot of ``detail``; other domains (users, articles …) carry nothing for us."""
    kind = text(body, "type").removeprefix(PREFIX)
    delivery_id = fit_key(first_text(body, "id")) or delivery.id_from("X-Zendesk-Webhook-Invocation-Id")
    when, arrival = event_time(body, ("time", "detail.updated_at"), delivery.received_at)
    if not kind.startswith("ticket."):
        reason = f"Zendesk event {kind[:60]!r} is not about a ticket"
        return [DeliveryIgnored.about_nothing(delivery_id, reason, when, arrival_time=arrival)]
    detail = obj(body.get("detail"), "detail")
    event = get(body, "event", dict, required=False) or {}
    ticket = first_text(detail, "id") or text(body, "subject").removeprefix("zen:ticket:")
    requester, assignee = first_text(detail, "requester_id"), first_text(detail, "assignee_id")
    actor = first_text(detail, "actor_id")
    snap = TicketSnapshot(
        delivery_id=delivery_id,
        ticket=ticket,
        occurred_at=when,
        arrival_time=arrival,
        customer=CustomerRef("", "", requester) if requester else None,
        summary=first_text(detail, "subject"),
        tags=tuple(_tags(detail, event)),
        status=_status(detail, event, kind),
        ticket_type=first_text(detail, "type") or None,
        form=first_text(detail, "form_id") or None,
        priority=first_text(detail, "priority") or None,
        group=first_text(detail, "group_id") or None,
        actor=(rules.staff_for(actor, "") or actor) or None,
        assignee=AgentRef("", assignee) if assignee not in ("", "0") else None,
    )
    return ticket_events(snap, rules)


def _tags(detail: Mapping[str, Any], event: Mapping[str, Any]) -> list[str]:
    """The ticket's tags, with any the event says were just added (``ticket.tags_changed``)."""
    tags = tag_list(detail.get("tags"), "detail.tags")
    added = tag_list(event.get("tags_added"), "event.tags_added")
    return list(dict.fromkeys([*tags, *added]))


def _status(detail: Mapping[str, Any], event: Mapping[str, Any], kind: str) -> str | None:
    """The status now: ``event.current`` on a status change, else ``detail.status``."""
    if kind == "ticket.status_changed" and isinstance(event.get("current"), str):
        return str(event["current"])
    return first_text(detail, "status") or None
