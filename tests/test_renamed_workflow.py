"""A workflow may call its steps anything: the engine, the inbox and the helpdesk rules go by roles.

Every state and trigger of a copy of workflows/standard.yaml is renamed; a complaint walked through
the copy, by the CLI and by helpdesk events, ends exactly as one walked through the original.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, func, select

from recovery.bootstrap import configure
from recovery.cli.main import main
from recovery.clock import SettableClock
from recovery.config import Settings
from recovery.core.calendar import BusinessCalendar
from recovery.engine.context import Context
from recovery.engine.inbox import apply_pending
from recovery.engine.registry import WorkflowRegistry
from recovery.intake.deliveries import rows_of, store
from recovery.intake.delivery import Delivery
from recovery.intake.rules import SourceRules
from recovery.intake.sources import adapter
from recovery.store.schema import compensations, complaints, follow_ups
from recovery.workflow_files import load_dir

ROOT = Path(__file__).resolve().parents[1]
STATES = {
    "received": "intake",
    "apologized": "sorry_said",
    "acting": "fixing",
    "empathized": "heard",
    "compensated": "made_good",
    "following_up": "checking_in",
    "resolved": "won",
    "withdrawn": "dropped",
    "lost": "gone",
}
TRIGGERS = {
    "apologize": "say_sorry",
    "act": "fix",
    "empathize": "listen",
    "compensate": "make_good",
    "follow_up": "check_in",
    "resolve": "close_won",
    "reopen": "try_again",
    "withdraw": "drop",
    "defect": "leave",
}
BACK = {new: old for old, new in {**STATES, **TRIGGERS}.items()}


def renamed_copy() -> dict[str, Any]:
    """workflows/standard.yaml with every state and trigger renamed, as a workflow called ``renamed``."""
    document = yaml.safe_load((ROOT / "workflows" / "standard.yaml").read_text())
    document["name"] = "renamed"
    document["initial"] = STATES[document["initial"]]
    document["states"] = [{**state, "name": STATES[state["name"]]} for state in document["states"]]
    document["transitions"] = [
        {
            **t,
            "trigger": TRIGGERS[t["trigger"]],
            "source": t["source"] if t["source"] == "*" else STATES[t["source"]],
            "dest": STATES[t["dest"]],
        }
        for t in document["transitions"]
    ]
    return document


@pytest.fixture
def workflows(tmp_path: Path) -> Path:
    """A workflows directory holding the shipped standard workflow and its renamed copy."""
    directory = tmp_path / "workflows"
    directory.mkdir()
    (directory / "standard.yaml").write_text((ROOT / "workflows" / "standard.yaml").read_text())
    (directory / "renamed.yaml").write_text(yaml.safe_dump(renamed_copy(), sort_keys=False))
    return directory


def test_the_copy_shares_no_step_name_with_the_original(workflows: Path) -> None:
    loaded = load_dir(workflows)
    original, copy = loaded["standard"], loaded["renamed"]
    names = {s.name for s in original.states} | {t.trigger for t in original.transitions}
    assert names.isdisjoint({s.name for s in copy.states} | {t.trigger for t in copy.transitions})
    assert [t.role for t in original.transitions] == [t.role for t in copy.transitions]


# --- by the CLI -------------------------------------------------------------------------------------

CLI_WALK = [
    ["apologize", "--by", "bob"],
    ["act", "--by", "bob"],
    ["empathize", "--by", "bob"],
    ["compensate", "--by", "bob", "--compensation", "gift:0"],
    ["follow_up", "--by", "bob", "--score", "2", "--comment", "still cold"],
    ["reopen", "--by", "bob"],
    ["empathize", "--by", "bob"],
    ["compensate", "--by", "bob", "--compensation", "refund:12.50"],
    ["follow_up", "--by", "bob", "--score", "5", "--comment", "lovely"],
    ["resolve", "--by", "bob"],
]


def cli_walk(tmp_path: Path, workflows: Path, workflow: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """Open and walk one complaint in ``workflow`` by the CLI; its show and history, named as in the original."""
    config = tmp_path / f"{workflow}.toml"
    config.write_text(f'[workflows]\ndir = "{workflows}"\ndefault = "{workflow}"\n[calendar]\nholidays = []\n')
    url = f"sqlite:///{tmp_path / workflow}.db"

    def run(*args: str) -> str:
        capsys.readouterr()
        code = main(["--database-url", url, "--config", str(config), *args])
        out, err = capsys.readouterr()
        assert code == 0, f"{args}: exit {code}\n{out}{err}"
        return out

    run("init")
    run("customer", "add", "ann@example.com", "--name", "Ann")
    run("staff", "add", "bob", "--name", "Bob")
    run("complaint", "open", "--customer", "ann@example.com", "--summary", "cold soup", "--assignee", "bob")
    for step in CLI_WALK:
        trigger = step[0] if workflow == "standard" else TRIGGERS[step[0]]
        run("complaint", "fire", "1", trigger, *step[1:])
    shown = json.loads(run("complaint", "show", "1", "--json"))
    history = json.loads(run("complaint", "history", "1", "--json"))
    return {
        "state": BACK.get(shown["state"], shown["state"]),
        "closed_as": shown["closed_as"],
        "reopen_count": shown["reopen_count"],
        "last_score": shown["last_score"],
        "history": [(BACK.get(h["trigger"], h["trigger"]), h["outcome"], h["note"]) for h in history],
    }


def test_a_complaint_walked_by_the_cli_ends_the_same_in_the_renamed_workflow(
    tmp_path: Path, workflows: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = cli_walk(tmp_path, workflows, "standard", capsys)
    renamed = cli_walk(tmp_path, workflows, "renamed", capsys)
    assert renamed == original
    assert (renamed["state"], renamed["closed_as"], renamed["reopen_count"]) == ("resolved", "resolution", 1)


# --- by helpdesk events ----------------------------------------------------------------------------


def context_for(
    db: Engine, workflows: Path, workflow: str, clock: SettableClock, calendar: BusinessCalendar
) -> Context:
    ctx = Context(db=db, workflows=WorkflowRegistry(load_dir(workflows)), calendar=calendar, clock=clock)
    ctx.default_workflow = workflow
    return configure(ctx, Settings())


def deliver(ctx: Context, kind: str, body: dict[str, Any]) -> None:
    """Parse ``body`` as a ``kind`` source bound to the default workflow would, and store it in the inbox."""
    rules = SourceRules().bind(ctx.workflows.current(ctx.default_workflow))
    raw = json.dumps(body).encode()
    now = ctx.clock.now()
    events = adapter(kind).parse(body, rules, Delivery.of({}, raw, now))
    store(ctx.db, rows_of(kind, events, now, f"body:{len(raw)}"))


def generic(ctx: Context, minute: int, kind: str, ticket: str, **fields: Any) -> dict[str, Any]:
    at = ctx.clock.now() - timedelta(hours=1) + timedelta(minutes=minute)
    return {"id": f"{ticket}-{minute}", "type": kind, "ticket": ticket, "occurred_at": at.isoformat(), **fields}


def zendesk(ctx: Context, ticket: str, email: str, tags: str) -> dict[str, Any]:
    """The shipped Zendesk body template, as a trigger would send it for this ticket."""
    values = {
        "ticket.id": ticket,
        "ticket.title": "Wrong size delivered",
        "ticket.status": "Open",
        "ticket.tags": tags,
        "ticket.updated_at_with_timestamp": (ctx.clock.now() - timedelta(minutes=30)).isoformat(),
        "ticket.created_at_with_timestamp": (ctx.clock.now() - timedelta(minutes=40)).isoformat(),
        "ticket.requester.id": "2001",
        "ticket.requester.email": email,
        "ticket.requester.name": "Cy",
        "current_user.email": "agent@example.com",
    }
    template = (ROOT / "config" / "helpdesk" / "zendesk-webhook-body.json").read_text()
    return dict(json.loads(re.sub(r"\{\{([^}]+)\}\}", lambda m: values.get(m.group(1), ""), template)))


def helpdesk_walk(ctx: Context) -> dict[str, Any]:
    """Walk ticket T-1 to a recovered customer and ticket 88 to a lost one, by events; the outcome."""
    customer = {"email": "ann@example.com", "name": "Ann"}
    deliver(ctx, "generic", generic(ctx, 0, "complaint.opened", "T-1", customer=customer, summary="cold soup"))
    for minute, role in enumerate(["apology", "action", "empathy"], start=1):
        deliver(ctx, "generic", generic(ctx, minute, "complaint.trigger", "T-1", role=role))
    gift = {"kind": "gift", "value": "0"}
    deliver(ctx, "generic", generic(ctx, 4, "complaint.trigger", "T-1", role="compensation", compensation=gift))
    deliver(ctx, "generic", generic(ctx, 5, "satisfaction.rated", "T-1", score=2, comment="meh"))
    deliver(ctx, "generic", generic(ctx, 6, "complaint.trigger", "T-1", role="reopen"))
    deliver(ctx, "generic", generic(ctx, 7, "complaint.trigger", "T-1", role="empathy"))
    deliver(ctx, "generic", generic(ctx, 8, "complaint.trigger", "T-1", role="compensation", compensation=gift))
    deliver(ctx, "generic", generic(ctx, 9, "satisfaction.rated", "T-1", score=5, comment="great"))
    deliver(ctx, "generic", generic(ctx, 10, "complaint.trigger", "T-1", role="resolution"))
    deliver(ctx, "zendesk", zendesk(ctx, "88", "cy@example.com", "complaint recovery-apologize recovery-act"))
    lost = generic(ctx, 20, "customer.lost", "C-1", customer={"email": "cy@example.com"}, reason="moved away")
    deliver(ctx, "generic", lost)
    apply_pending(ctx)
    with ctx.read() as connection:
        rows = connection.execute(select(complaints).order_by(complaints.c.id)).mappings().all()
        scores = connection.execute(select(func.count()).select_from(follow_ups)).scalar_one()
        given = connection.execute(select(func.count()).select_from(compensations)).scalar_one()
    return {
        "complaints": [
            (BACK.get(r["state"], r["state"]), r["closed_as"], r["reopen_count"], r["last_score"]) for r in rows
        ],
        "follow_ups": scores,
        "compensations": given,
    }


def test_a_complaint_walked_by_helpdesk_events_ends_the_same_in_the_renamed_workflow(
    db: Engine, workflows: Path, clock: SettableClock, calendar: BusinessCalendar
) -> None:
    renamed = helpdesk_walk(context_for(db, workflows, "renamed", clock, calendar))
    assert renamed == {
        "complaints": [("resolved", "resolution", 1, 5), ("lost", "defection", 0, None)],
        "follow_ups": 2,
        "compensations": 2,
    }


def test_the_same_events_end_the_same_in_the_original(
    db: Engine, workflows: Path, clock: SettableClock, calendar: BusinessCalendar
) -> None:
    original = helpdesk_walk(context_for(db, workflows, "standard", clock, calendar))
    assert original == {
        "complaints": [("resolved", "resolution", 1, 5), ("lost", "defection", 0, None)],
        "follow_ups": 2,
        "compensations": 2,
    }
