"""``recovery complaint fire | pause | resume | assign | note``: what a person does to a complaint, by name.

Every command here needs ``--by`` (a staff member, or ``customer``, ``system``, ``helpdesk:SOURCE``)
so that no step reaches the history without someone answerable for it; ``--json`` prints the
complaint as it now is, in the shape of ``complaint show --json``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import click

from recovery.cli.complaint_params import COMPLAINT
from recovery.cli.runtime import Runtime, pass_runtime, print_json
from recovery.cli.times import shown
from recovery.core.vocabulary import EXPECTATIONS

if TYPE_CHECKING:
    from recovery.core.guards import Compensation
    from recovery.engine.context import Context

F = TypeVar("F", bound=Callable[..., Any])


def by_option(function: F) -> F:
    """The required ``--by``: who acts."""
    return click.option(
        "--by",
        "actor",
        required=True,
        help="Who did it: a staff id, or customer, system, helpdesk:SOURCE.",
    )(function)


def result_json_option(function: F) -> F:
    """``--json``: print the resulting complaint as ``complaint show --json`` does."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the resulting complaint as `complaint show --json` does."
    )(function)


def acting(runtime: Runtime, actor: str) -> Context:
    """The engine context, once ``actor`` is known to be someone who may act (NotFoundError otherwise)."""
    from recovery.engine.actors import require_known

    ctx = runtime.context()
    require_known(ctx, actor)
    return ctx


def print_complaint(ctx: Context, complaint_id: int) -> None:
    """The complaint as ``complaint show --json`` prints it."""
    from recovery.engine.queries import get_complaint

    print_json(get_complaint(ctx, complaint_id))


@click.command("fire")
@click.argument("complaint_id", type=COMPLAINT)
@click.argument("trigger")
@by_option
@click.option("--note", default="", help="A note for the history.")
@click.option("--compensation", help="What was given, as KIND:VALUE (gift, discount, refund, service, gesture).")
@click.option("--score", type=click.IntRange(1, 5), help="The customer's satisfaction, 1-5 (follow_up).")
@click.option("--comment", default="", help="The customer's own words at follow-up.")
@click.option("--reason", help="Why (withdraw, defect).")
@click.option("--approved-by", help="Staff id of the lead or manager who approves a compensation above the budget.")
@click.option(
    "--code",
    "codes",
    multiple=True,
    help="A reason the customer gave (`recovery reasons list`; repeatable): an interview.",
)
@click.option("--words", help="The customer's own words (an interview).")
@click.option("--perceived", type=click.Choice(EXPECTATIONS), help="What the customer felt they received (follow_up).")
@click.option("--language", type=click.Choice(["en", "nl", "de"]), help="The language of --words (default: detected).")
@result_json_option
@pass_runtime
def fire(
    runtime: Runtime,
    complaint_id: int,
    trigger: str,
    actor: str,
    note: str,
    compensation: str | None,
    score: int | None,
    comment: str,
    reason: str | None,
    approved_by: str | None,
    codes: tuple[str, ...],
    words: str | None,
    language: str | None,
    perceived: str | None,
    as_json: bool,
) -> None:
    """Fire a trigger of the complaint's workflow (`complaint show` lists the ones allowed next)."""
    from recovery.core.commands import FireTrigger
    from recovery.engine import fire as fire_trigger
    from recovery.engine.triggers import UnknownTrigger, require_trigger

    if approved_by is not None and not compensation:
        raise click.BadParameter("approves a compensation: give --compensation too", param_hint="--approved-by")
    given = parse_compensation(compensation, note, approved_by) if compensation else None
    ctx = acting(runtime, actor)
    try:
        require_trigger(ctx, complaint_id, trigger)
    except UnknownTrigger as exc:  # a typo is bad usage, answered before anything is written
        raise click.UsageError(str(exc)) from None
    command = FireTrigger(complaint_id, trigger, actor, note, given, score, comment, reason)
    fired = fire_trigger(ctx, replace(command, reasons=codes, words=words, language=language, perceived=perceived))
    if as_json:
        print_complaint(ctx, complaint_id)
        return
    click.echo(f"complaint {complaint_id}: {trigger} -> {fired.state}")


def parse_compensation(text: str, note: str = "", approved_by: str | None = None) -> Compensation:
    """``gift:0`` or ``refund:25.50`` as a Compensation (approved by a lead when given); BadParameter when malformed."""
    from decimal import Decimal, InvalidOperation

    from recovery.core.guards import Compensation

    kind, sep, value = text.partition(":")
    try:
        amount = Decimal(value or "0")
    except InvalidOperation:
        raise click.BadParameter(
            f"expected KIND:VALUE such as gift:0 or refund:25, got {text!r}", param_hint="--compensation"
        ) from None
    if not kind or (sep and not value) or not amount.is_finite():
        raise click.BadParameter(
            f"expected KIND:VALUE such as gift:0 or refund:25, got {text!r}", param_hint="--compensation"
        )
    return Compensation(kind.strip().lower(), amount, note, approved_by)


@click.command("pause")
@click.argument("complaint_id", type=COMPLAINT)
@click.option("--reason", help="waiting_on_customer, third_party or other (the workflow may name others).")
@by_option
@click.option("--note", default="", help="A note for the history.")
@result_json_option
@pass_runtime
def pause(runtime: Runtime, complaint_id: int, reason: str | None, actor: str, note: str, as_json: bool) -> None:
    """Stop the step clock; paused time does not count against the deadline."""
    from recovery.core.commands import PauseComplaint
    from recovery.engine import pause as pause_complaint

    ctx = acting(runtime, actor)
    pause_complaint(ctx, PauseComplaint(complaint_id, reason, actor, note))
    if as_json:
        print_complaint(ctx, complaint_id)
        return
    click.echo(f"complaint {complaint_id} paused ({reason})")


@click.command("resume")
@click.argument("complaint_id", type=COMPLAINT)
@by_option
@click.option("--note", default="", help="A note for the history.")
@result_json_option
@pass_runtime
def resume(runtime: Runtime, complaint_id: int, actor: str, note: str, as_json: bool) -> None:
    """Restart the step clock; deadlines move later by the paused time."""
    from recovery.core.commands import ResumeComplaint
    from recovery.engine import resume as resume_complaint

    ctx = acting(runtime, actor)
    resumed = resume_complaint(ctx, ResumeComplaint(complaint_id, actor, note))
    if as_json:
        print_complaint(ctx, complaint_id)
        return
    deadline = shown(resumed.timers.deadline, runtime.tz) if resumed.timers.deadline else "none"
    click.echo(f"complaint {complaint_id} resumed; deadline {deadline}")


@click.command("assign")
@click.argument("complaint_id", type=COMPLAINT)
@click.argument("staff_id", metavar="STAFF")
@by_option
@result_json_option
@pass_runtime
def assign(runtime: Runtime, complaint_id: int, staff_id: str, actor: str, as_json: bool) -> None:
    """Make STAFF the complaint's assignee; they are told through the outbox."""
    from recovery.engine import assign as assign_complaint

    ctx = acting(runtime, actor)
    assign_complaint(ctx, complaint_id, staff_id, actor=actor)
    if as_json:
        print_complaint(ctx, complaint_id)
        return
    click.echo(f"complaint {complaint_id} assigned to {staff_id}")


@click.command("note")
@click.argument("complaint_id", type=COMPLAINT)
@click.argument("text")
@by_option
@result_json_option
@pass_runtime
def note(runtime: Runtime, complaint_id: int, text: str, actor: str, as_json: bool) -> None:
    """Add a note to the complaint's history; nothing else changes."""
    from recovery.engine.notes import add_note

    ctx = runtime.context()
    add_note(ctx, complaint_id, text, actor=actor)  # checks the actor in its own transaction
    if as_json:
        print_complaint(ctx, complaint_id)
        return
    click.echo(f"complaint {complaint_id}: note added")


COMMANDS = (fire, pause, resume, assign, note)
