"""``recovery survey list | send | answer | answers | uncoded | code``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from recovery.cli.complaint_params import COMPLAINT
from recovery.cli.params import CUSTOMER, LIMIT, RecordId
from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_json, print_rows

if TYPE_CHECKING:
    from recovery.engine.context import Context

LANGUAGES = ["en", "nl", "de"]
CLASSES = ["dissatisfied", "satisfied", "loyal"]
ANSWER_ID = RecordId("no survey answer {}")
ANSWER_COLUMNS = ["id", "survey", "question", "value", "customer_id", "complaint_id", "source", "answered_at", "coding"]
language_option = click.option("--language", type=click.Choice(LANGUAGES), help="Language (default: the customer's).")


@click.group()
def survey() -> None:
    """Surveys: send them, record answers given by phone, code open answers into reasons."""


@survey.command("list")
@json_option
@pass_runtime
def list_(runtime: Runtime, as_json: bool) -> None:
    """The surveys that can be sent, with their questions."""
    ctx = runtime.context()
    rows = [
        {"name": s.name, "title": s.title["en"], "questions": [f"{q.key} ({q.kind.value})" for q in s.questions]}
        for s in ctx.surveys.surveys().values()
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        click.echo(f"{row['name']}: {row['title']}")
        click.echo(f"  {', '.join(row['questions'])}")


@survey.command("send")
@click.argument("name", metavar="SURVEY")
@click.option("--customer", "customer_refs", multiple=True, type=CUSTOMER, help="A customer (id or email); repeat.")
@click.option("--class", "loyalty_class", type=click.Choice(CLASSES), help="Every customer of this loyalty class.")
@click.option("--by", "staff_id", required=True, help="Staff id of who sends it.")
@language_option
@click.option("--complaint", "complaint_id", type=COMPLAINT, help="The complaint the survey is about.")
@json_option
@pass_runtime
def send(
    runtime: Runtime,
    name: str,
    customer_refs: tuple[str, ...],
    loyalty_class: str | None,
    staff_id: str,
    language: str | None,
    complaint_id: int | None,
    as_json: bool,
) -> None:
    """Send SURVEY to customers: each gets a link of their own by the outbox."""
    if bool(customer_refs) == bool(loyalty_class):
        raise click.UsageError("give --customer (one or more) or --class, not both")
    from recovery.engine.customer_queries import list_customers
    from recovery.engine.surveys import send_survey

    ctx = runtime.context()
    if loyalty_class:
        ids = [c["id"] for c in list_customers(ctx, limit=100_000, loyalty_class=loyalty_class)]
        if not ids:
            click.echo(f"no {loyalty_class} customers: nothing sent")
            return
    else:
        ids = [_customer_id(ctx, ref) for ref in customer_refs]
    sent = send_survey(ctx, name, ids, by=staff_id, language=language, complaint_id=complaint_id)
    if as_json:
        print_json([i.to_json() for i in sent])
        return
    for invitation in sent:
        click.echo(f"invitation {invitation.id} to customer {invitation.customer_id} ({invitation.language})")
    click.echo(f"{name} sent to {len(sent)} customer(s); the links reach them through the outbox")


@survey.command("answer")
@click.argument("name", metavar="SURVEY")
@click.argument("answers", metavar="QUESTION=VALUE...", nargs=-1, required=True)
@click.option("--customer", "customer_ref", required=True, type=CUSTOMER, help="Who answered (id or email).")
@click.option("--by", "staff_id", required=True, help="Staff id of who took the answers.")
@click.option("--complaint", "complaint_id", type=COMPLAINT, help="The complaint the answers are about.")
@click.option("--source", type=click.Choice(["phone", "interview"]), default="phone", show_default=True)
@language_option
@json_option
@pass_runtime
def answer(
    runtime: Runtime,
    name: str,
    answers: tuple[str, ...],
    customer_ref: str,
    staff_id: str,
    complaint_id: int | None,
    source: str,
    language: str | None,
    as_json: bool,
) -> None:
    """Record answers given by phone or in an interview, as QUESTION=VALUE."""
    given = _pairs(answers)
    from recovery.engine.surveys import list_answers, record_answers

    ctx = runtime.context()
    customer_id = _customer_id(ctx, customer_ref)
    ids = record_answers(
        ctx, name, customer_id, given, source=source, by=staff_id, complaint_id=complaint_id, language=language
    )
    if as_json:
        stored = {a["id"]: a for a in list_answers(ctx, survey=name, customer_id=customer_id, limit=len(ids) + 50)}
        print_json([stored[i] for i in ids if i in stored])
        return
    click.echo(f"{len(ids)} answer(s) recorded for customer {customer_id}: {', '.join(map(str, ids))}")


@survey.command("answers")
@click.option("--survey", "name", help="Only answers to this survey.")
@click.option("--customer", "customer_ref", type=CUSTOMER, help="Only this customer's answers (id or email).")
@click.option("--limit", default=100, show_default=True, type=LIMIT)
@json_option
@pass_runtime
def answers_(runtime: Runtime, name: str | None, customer_ref: str | None, limit: int, as_json: bool) -> None:
    """List answers, newest first."""
    from recovery.engine.surveys import list_answers

    ctx = runtime.context()
    customer_id = _customer_id(ctx, customer_ref) if customer_ref is not None else None
    rows = list_answers(ctx, survey=name, customer_id=customer_id, limit=limit)
    print_rows(rows, ANSWER_COLUMNS, empty="no answers match", as_json=as_json)


@survey.command("uncoded")
@click.option("--limit", default=50, show_default=True, type=LIMIT)
@json_option
@pass_runtime
def uncoded_(runtime: Runtime, limit: int, as_json: bool) -> None:
    """Open answers the rules could not code, oldest first: code each with `survey code`."""
    from recovery.engine.surveys import uncoded

    ctx = runtime.context()
    rows = uncoded(ctx, limit)
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("no answers wait to be coded")
        return
    for row in rows:
        click.echo(f"{row['id']:>6}  {row['survey']}.{row['question']} ({row['language']}): {_one_line(row['value'])}")
    click.echo(f"reasons: {', '.join(ctx.surveys.taxonomy().keys)}")


@survey.command("code")
@click.argument("answer_id", metavar="ANSWER_ID", type=ANSWER_ID)
@click.argument("reasons", metavar="REASON...", nargs=-1, required=True)
@click.option("--by", "staff_id", required=True, help="Staff id of who codes it.")
@json_option
@pass_runtime
def code(runtime: Runtime, answer_id: int, reasons: tuple[str, ...], staff_id: str, as_json: bool) -> None:
    """Code an open answer by hand into one or more reasons."""
    from recovery.engine.surveys import code_by_person

    coded = code_by_person(runtime.context(), answer_id, reasons, staff_id)
    if as_json:
        print_json(coded)
        return
    click.echo(f"answer {answer_id} coded by {staff_id}: {', '.join(reasons)}")


def _pairs(answers: tuple[str, ...]) -> dict[str, str]:
    """QUESTION=VALUE arguments as a mapping; a usage error for one without ``=`` or given twice."""
    given: dict[str, str] = {}
    for item in answers:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not QUESTION=VALUE", param_hint="ANSWER")
        if key.strip() in given:
            raise click.BadParameter(f"question {key.strip()!r} is answered twice", param_hint="ANSWER")
        given[key.strip()] = value
    return given


def _one_line(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 100 else text[:99] + "…"


def _customer_id(ctx: Context, ref: str) -> int:
    """The id of the customer ``ref`` (an id or an email) names; NotFoundError otherwise."""
    from recovery.engine.people import find_customer

    with ctx.read() as connection:
        found: int = find_customer(connection, ref)["id"]
    return found
