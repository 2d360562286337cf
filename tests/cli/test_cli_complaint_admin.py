"""``recovery complaint assign | note``, the listing's filters and CSV, SOURCE:TICKET, ``--json`` results and ``--by``.

In-process, on SQLite and PostgreSQL. People and complaints that need a past moment or a helpdesk
ticket are made through the engine on the same database; everything asserted is what the CLI printed
or what the database holds.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from recovery.clock import SettableClock, SystemClock
from recovery.core.commands import OpenComplaint, PauseComplaint
from recovery.engine import open_complaint, pause
from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff
from recovery.store.schema import audit_log, outbox

Outcome = Any  # tests/cli/conftest.py's Outcome
Run = Callable[..., Outcome]
ErrorLine = Callable[[Outcome], str]


@pytest.fixture
def run(bare: Run, db_url: str, ctx: Context) -> Run:
    """``recovery …`` on the database of ``ctx`` (migrated), with staff bob and ann and customers Ann and jo."""
    add_staff(ctx, "bob", "Bob", "bob@example.com")
    add_staff(ctx, "ann", "Ann Agent", "ann.agent@example.com")
    add_customer(ctx, "ann@example.com", "Ann")
    add_customer(ctx, "jo@example.com")

    def recovery(*args: str) -> Outcome:
        return bare(*args, database_url=db_url)

    return recovery


def opened(run: Run, *args: str) -> int:
    """Open a complaint for Ann by hand (more options in ``args``); its id."""
    result = run("complaint", "open", "--customer", "ann@example.com", "--summary", "late parcel", "--quiet", *args)
    assert result.code == 0, result
    return int(result.out)


def ticketed(ctx: Context, source: str, ticket: str, summary: str = "from the helpdesk") -> int:
    """A complaint opened for Ann from a helpdesk ticket; its id."""
    return open_complaint(ctx, OpenComplaint(1, summary, ticket_source=source, ticket_id=ticket))


def audit_rows(db: Engine, complaint_id: int) -> list[dict[str, Any]]:
    query = select(audit_log).where(audit_log.c.complaint_id == complaint_id).order_by(audit_log.c.id)
    with db.connect() as connection:
        return [dict(r) for r in connection.execute(query).mappings()]


def listed(run: Run, *args: str) -> list[int]:
    """The ids ``complaint list --json`` prints with ``args``."""
    result = run("complaint", "list", "--json", *args)
    assert result.code == 0, result
    return [row["id"] for row in json.loads(result.out)]


def shown(run: Run, ref: str) -> dict[str, Any]:
    result = run("complaint", "show", ref, "--json")
    assert result.code == 0, result
    return dict(json.loads(result.out))


# assign and note


def test_assign_is_audited_with_who_did_it(run: Run, db: Engine) -> None:
    complaint = opened(run, "--assignee", "bob")
    result = run("complaint", "assign", str(complaint), "ann", "--by", "bob")
    assert (result.code, result.out) == (0, f"complaint {complaint} assigned to ann\n"), result
    entry = audit_rows(db, complaint)[-1]
    assert (entry["trigger"], entry["actor"], entry["payload"]) == (
        "assign",
        "bob",
        {"assignee": "ann", "previous": "bob"},
    )


def test_assign_tells_the_new_assignee_through_the_outbox(run: Run, db: Engine) -> None:
    complaint = opened(run, "--assignee", "bob")
    run("complaint", "assign", str(complaint), "ann", "--by", "bob")
    query = select(outbox.c.recipient, outbox.c.payload).where(outbox.c.topic == "complaint.assigned")
    with db.connect() as connection:
        recipient, payload = connection.execute(query.order_by(outbox.c.id.desc())).first() or (None, None)
    assert (recipient, payload["email"], payload["complaint_id"]) == ("ann", "ann.agent@example.com", complaint)


def test_assign_to_someone_not_on_the_staff_is_refused(run: Run, error_line: ErrorLine) -> None:
    complaint = opened(run)
    result = run("complaint", "assign", str(complaint), "zed", "--by", "bob")
    assert result.code == 1, result
    assert error_line(result) == "error: no staff member 'zed'"


def test_a_note_shows_in_the_history_and_changes_nothing_else(run: Run) -> None:
    complaint = opened(run)
    before = shown(run, str(complaint))
    result = run("complaint", "note", str(complaint), "called her back, no answer", "--by", "bob")
    assert (result.code, result.out) == (0, f"complaint {complaint}: note added\n"), result
    history = json.loads(run("complaint", "history", str(complaint), "--json").out)
    last = history[-1]
    assert (last["trigger"], last["actor"], last["note"], last["outcome"]) == (
        "note",
        "bob",
        "called her back, no answer",
        "applied",
    )
    assert (last["source"], last["dest"]) == ("received", "received")
    assert shown(run, str(complaint)) == before


def test_a_blank_note_is_refused(run: Run, error_line: ErrorLine) -> None:
    complaint = opened(run)
    result = run("complaint", "note", str(complaint), "   ", "--by", "bob")
    assert result.code in (1, 2), result
    assert "note" in error_line(result), result


# the listing's filters


def test_list_by_assignee(run: Run) -> None:
    mine = opened(run, "--assignee", "ann")
    opened(run, "--assignee", "bob")
    assert listed(run, "--assignee", "ann") == [mine]


def test_list_by_an_unknown_assignee_names_them(run: Run, error_line: ErrorLine) -> None:
    result = run("complaint", "list", "--assignee", "zed")
    assert result.code == 1, result
    assert error_line(result) == "error: no staff member 'zed'"


@pytest.mark.parametrize("ref", ["jo@example.com", "2"], ids=["email", "id"])
def test_list_by_customer(run: Run, ref: str) -> None:
    opened(run)
    result = run("complaint", "open", "--customer", "jo@example.com", "--summary", "cold soup", "--quiet")
    assert listed(run, "--customer", ref) == [int(result.out)]


def test_list_by_helpdesk_source(run: Run, ctx: Context) -> None:
    from_zendesk = ticketed(ctx, "zendesk", "123")
    ticketed(ctx, "freshdesk", "123")
    opened(run)
    assert listed(run, "--source", "zendesk") == [from_zendesk]


def test_list_overdue_leaves_out_paused_and_on_time_complaints(run: Run, ctx: Context, clock: SettableClock) -> None:
    clock.set(SystemClock().now() - timedelta(days=3))  # a step deadline of hours has long passed since
    late = open_complaint(ctx, OpenComplaint(1, "late"))
    paused = open_complaint(ctx, OpenComplaint(1, "paused"))
    pause(ctx, PauseComplaint(paused, "waiting_on_customer", actor="bob"))
    opened(run)  # now: on time
    assert listed(run, "--overdue") == [late]


def test_list_by_state_repeated(run: Run) -> None:
    first, second, third = opened(run), opened(run), opened(run)
    assert run("complaint", "fire", str(first), "apologize", "--by", "bob").code == 0
    assert run("complaint", "fire", str(third), "defect", "--by", "bob").code == 0
    assert listed(run, "--state", "apologized", "--state", "received") == [second, first]


def test_list_by_severity(run: Run) -> None:
    opened(run)
    critical = opened(run, "--severity", "critical")
    assert listed(run, "--severity", "critical") == [critical]


def test_list_since_a_day(run: Run, ctx: Context, clock: SettableClock) -> None:
    now = SystemClock().now()
    clock.set(now - timedelta(days=3))
    open_complaint(ctx, OpenComplaint(1, "old"))
    recent = opened(run)
    assert listed(run, "--since", f"{now - timedelta(days=1):%Y-%m-%d}") == [recent]


def test_list_search_is_case_insensitive_in_summary_and_ticket(run: Run, ctx: Context) -> None:
    parcel = opened(run, "--summary", "Late PARCEL again")
    ticket = ticketed(ctx, "zendesk", "PARCEL-77", "wrong size")
    opened(run, "--summary", "cold soup")
    assert listed(run, "--search", "parcel") == [ticket, parcel]


@pytest.mark.parametrize(("text", "summary"), [("50%", "50% off was not applied"), ("_", "size_chart wrong")])
def test_list_search_matches_like_wildcards_literally(run: Run, text: str, summary: str) -> None:
    wanted = opened(run, "--summary", summary)
    opened(run, "--summary", "500 off, sizechart")
    assert listed(run, "--search", text) == [wanted]


def test_list_limit(run: Run) -> None:
    ids = [opened(run) for _ in range(3)]
    assert listed(run, "--limit", "2") == ids[:0:-1]


def test_list_shows_the_customers_name_and_email(run: Run) -> None:
    opened(run)
    run("complaint", "open", "--customer", "jo@example.com", "--summary", "cold soup")
    table = run("complaint", "list").out
    assert table.splitlines()[0].split()[:4] == ["id", "state", "severity", "customer"], table
    assert "Ann <ann@example.com>" in table, table
    assert "jo@example.com" in table, table
    rows = json.loads(run("complaint", "list", "--json").out)
    assert [(r["customer_name"], r["customer_email"]) for r in rows] == [
        ("", "jo@example.com"),
        ("Ann", "ann@example.com"),
    ]


def test_list_state_must_be_one_a_workflow_has(run: Run, error_line: ErrorLine) -> None:
    result = run("complaint", "list", "--state", "recieved")
    assert result.code == 2, result
    line = error_line(result)
    assert "unknown state 'recieved'; known: received, apologized," in line, line


def test_list_severity_must_be_one_a_workflow_has(run: Run, error_line: ErrorLine) -> None:
    result = run("complaint", "list", "--severity", "huge")
    assert result.code == 2, result
    assert "unknown severity 'huge'; known: " in error_line(result), result


# CSV


def test_list_csv_parses_back_with_its_header(run: Run) -> None:
    tricky = 'said "never again", then left\nfor good'
    first = opened(run, "--summary", tricky)
    result = run("complaint", "list", "--csv")
    assert result.code == 0, result
    assert result.out.startswith("id,state,workflow,"), result
    rows = list(csv.DictReader(io.StringIO(result.out, newline="")))
    assert [(int(r["id"]), r["summary"], r["customer_email"], r["assignee"]) for r in rows] == [
        (first, tricky, "ann@example.com", "")
    ]


def test_list_csv_with_no_rows_is_the_header_alone(run: Run) -> None:
    result = run("complaint", "list", "--csv")
    assert result.code == 0, result
    assert result.out.startswith("id,state,"), result
    assert result.out.count("\n") == 1, result


def test_history_csv_parses_back(run: Run) -> None:
    complaint = opened(run)
    run("complaint", "note", str(complaint), "asked, for photos", "--by", "bob")
    rows = list(csv.DictReader(io.StringIO(run("complaint", "history", str(complaint), "--csv").out, newline="")))
    assert [(r["trigger"], r["actor"], r["note"]) for r in rows] == [
        ("open", "customer", "late parcel"),
        ("note", "bob", "asked, for photos"),
    ]


def test_json_and_csv_together_is_bad_usage(run: Run) -> None:
    assert run("complaint", "list", "--json", "--csv").code == 2


# SOURCE:TICKET


@pytest.mark.parametrize("command", ["show", "history"])
def test_a_complaint_is_found_by_its_helpdesk_ticket(run: Run, ctx: Context, command: str) -> None:
    ticketed(ctx, "freshdesk", "123")
    complaint = ticketed(ctx, "zendesk", "123")
    by_id = run("complaint", command, str(complaint), "--json")
    by_ticket = run("complaint", command, "zendesk:123", "--json")
    assert (by_ticket.code, by_ticket.out) == (0, by_id.out), by_ticket


@pytest.mark.parametrize(
    "args",
    [
        ["fire", "zendesk:123", "apologize", "--by", "bob"],
        ["assign", "zendesk:123", "ann", "--by", "bob"],
        ["note", "zendesk:123", "called", "--by", "bob"],
        ["pause", "zendesk:123", "--reason", "third_party", "--by", "bob"],
    ],
    ids=["fire", "assign", "note", "pause"],
)
def test_steps_take_a_helpdesk_ticket(run: Run, ctx: Context, db: Engine, args: list[str]) -> None:
    complaint = ticketed(ctx, "zendesk", "123")
    result = run("complaint", *args)
    assert result.code == 0, result
    assert audit_rows(db, complaint)[-1]["trigger"] == args[2 if args[0] == "fire" else 0]


def test_an_unknown_ticket_is_not_found(run: Run, ctx: Context, error_line: ErrorLine) -> None:
    ticketed(ctx, "zendesk", "123")
    result = run("complaint", "show", "zendesk:999")
    assert result.code == 1, result
    assert error_line(result) == "error: no complaint for zendesk:999"


# --json and --quiet


def test_open_quiet_prints_only_the_id(run: Run) -> None:
    result = run("complaint", "open", "--customer", "1", "--summary", "late", "--quiet")
    assert (result.code, result.out) == (0, "1\n"), result


def test_open_json_is_the_show_shape_with_severity_raised(run: Run) -> None:
    result = run("complaint", "open", "--customer", "1", "--summary", "late", "--json")
    assert result.code == 0, result
    data = json.loads(result.out)
    assert data.pop("severity_raised") is None, result
    assert data == shown(run, "1")


@pytest.mark.parametrize(
    "args",
    [
        ["fire", "1", "apologize", "--by", "bob"],
        ["assign", "1", "ann", "--by", "bob"],
        ["note", "1", "called", "--by", "bob"],
        ["pause", "1", "--reason", "third_party", "--by", "bob"],
    ],
    ids=["fire", "assign", "note", "pause"],
)
def test_a_step_json_is_the_show_shape_of_the_result(run: Run, args: list[str]) -> None:
    opened(run)
    result = run("complaint", *args, "--json")
    assert result.code == 0, result
    assert json.loads(result.out) == shown(run, "1")


def test_resume_json_is_the_show_shape_of_the_result(run: Run) -> None:
    opened(run)
    run("complaint", "pause", "1", "--reason", "third_party", "--by", "bob")
    result = run("complaint", "resume", "1", "--by", "bob", "--json")
    assert result.code == 0, result
    data = json.loads(result.out)
    assert (data["paused"], data) == (False, shown(run, "1"))


# --by


@pytest.mark.parametrize(
    "args",
    [
        ["fire", "1", "apologize"],
        ["assign", "1", "ann"],
        ["note", "1", "called"],
        ["pause", "1", "--reason", "third_party"],
        ["resume", "1"],
    ],
    ids=["fire", "assign", "note", "pause", "resume"],
)
def test_by_is_required_where_a_person_acts(run: Run, args: list[str]) -> None:
    opened(run)
    result = run("complaint", *args)
    assert result.code == 2, result
    assert "--by" in result.err, result


@pytest.mark.parametrize(
    "args",
    [
        ["fire", "1", "apologize", "--by", "nobody"],
        ["assign", "1", "ann", "--by", "nobody"],
        ["note", "1", "called", "--by", "nobody"],
        ["pause", "1", "--reason", "third_party", "--by", "nobody"],
        ["open", "--customer", "1", "--summary", "late", "--by", "nobody"],
    ],
    ids=["fire", "assign", "note", "pause", "open"],
)
def test_an_unknown_actor_is_refused_and_nothing_is_written(
    run: Run, db: Engine, error_line: ErrorLine, args: list[str]
) -> None:
    opened(run)
    result = run("complaint", *args)
    assert result.code == 1, result
    assert error_line(result).startswith("error: unknown actor 'nobody': no staff member has that id"), result
    assert [r["trigger"] for r in audit_rows(db, 1)] == ["open"]
    assert listed(run) == [1]


@pytest.mark.parametrize("actor", ["customer", "system", "helpdesk:zendesk"])
def test_a_reserved_actor_may_act(run: Run, db: Engine, actor: str) -> None:
    opened(run)
    assert run("complaint", "fire", "1", "apologize", "--by", actor).code == 0
    assert audit_rows(db, 1)[-1]["actor"] == actor


def test_open_without_by_is_recorded_as_the_customers(run: Run, db: Engine) -> None:
    run("complaint", "open", "--customer", "1", "--summary", "late")
    assert audit_rows(db, 1)[0]["actor"] == "customer"


def test_open_by_staff_records_them(run: Run, db: Engine) -> None:
    run("complaint", "open", "--customer", "1", "--summary", "late", "--by", "ann")
    assert audit_rows(db, 1)[0]["actor"] == "ann"


# unknown triggers


def test_an_unknown_trigger_suggests_the_near_one_exits_2_and_is_not_audited(
    run: Run, db: Engine, error_line: ErrorLine
) -> None:
    opened(run)
    result = run("complaint", "fire", "1", "apologise", "--by", "bob")
    assert result.code == 2, result
    assert "unknown trigger 'apologise'; did you mean 'apologize'?" in error_line(result), result
    assert [r["trigger"] for r in audit_rows(db, 1)] == ["open"]


def test_an_unknown_trigger_with_nothing_near_lists_the_workflows_triggers(run: Run, error_line: ErrorLine) -> None:
    opened(run)
    result = run("complaint", "fire", "1", "fly", "--by", "bob")
    assert result.code == 2, result
    assert "unknown trigger 'fly'; known: apologize, " in error_line(result), result


def test_a_known_trigger_not_allowed_now_is_still_a_refusal(run: Run, db: Engine) -> None:
    opened(run)
    result = run("complaint", "fire", "1", "act", "--by", "bob")
    assert result.code == 1, result
    assert audit_rows(db, 1)[-1]["outcome"] == "refused"
