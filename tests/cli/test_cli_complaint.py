"""``recovery complaint open | list | show | fire | pause | resume | history``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

Recovery = Callable[..., Any]  # fixtures of tests/cli/conftest.py
ErrorLine = Callable[[Any], str]
COMPLAINT_KEYS = {
    "id",
    "state",
    "workflow",
    "workflow_version",
    "severity",
    "customer_id",
    "assignee",
    "deadline",
    "escalation_level",
    "version",
    "opened_at",
}
HISTORY_KEYS = {"at", "trigger", "source", "dest", "actor", "outcome", "note"}


@pytest.fixture
def opened(shop: Recovery) -> Recovery:
    """``shop`` with complaint 1 opened for Ann, assigned to bob."""
    result = shop("complaint", "open", "--customer", "ann@example.com", "--summary", "late parcel", "--assignee", "bob")
    assert result.out.splitlines()[0] == "complaint 1 opened", result  # then its prescription
    return shop


def fire(recovery: Recovery, *args: str) -> Any:
    """``complaint fire 1 …`` by bob unless the test names someone (--by is required)."""
    by = () if "--by" in args else ("--by", "bob")
    return recovery("complaint", "fire", "1", *args, *by)


def to_compensated(recovery: Recovery) -> None:
    for trigger in ("apologize", "act", "empathize"):
        assert fire(recovery, trigger).code == 0
    assert fire(recovery, "compensate", "--compensation", "gift:0").code == 0


def test_open_by_id_with_options(shop: Recovery) -> None:
    result = shop(
        "complaint", "open", "--customer", "1", "--summary", "rude", "--severity", "critical", "--channel", "phone"
    )
    assert result.code == 0, result
    data = json.loads(shop("complaint", "show", "1", "--json").out)
    assert (data["severity"], data["channel"], data["workflow"]) == ("critical", "phone", "standard")


def test_open_under_another_workflow(shop: Recovery) -> None:
    shop("complaint", "open", "--customer", "1", "--summary", "small", "--workflow", "minor")
    assert json.loads(shop("complaint", "show", "1", "--json").out)["workflow"] == "minor"


def test_open_for_an_unknown_customer(shop: Recovery, error_line: ErrorLine) -> None:
    result = shop("complaint", "open", "--customer", "zed@example.com", "--summary", "late")
    assert result.code == 1, result
    assert error_line(result) == "error: no customer 'zed@example.com' (give an id or an email)"


def test_open_with_an_unknown_assignee(shop: Recovery, error_line: ErrorLine) -> None:
    result = shop("complaint", "open", "--customer", "1", "--summary", "late", "--assignee", "zed")
    assert result.code == 1, result
    assert error_line(result) == "error: no staff member 'zed'"


def test_open_with_a_bad_severity_is_bad_usage(shop: Recovery, error_line: ErrorLine) -> None:
    result = shop("complaint", "open", "--customer", "1", "--summary", "late", "--severity", "huge")
    assert result.code == 2, result
    assert error_line(result).startswith("error: Invalid value for '--severity': 'huge' is not one of"), result


def test_show_json_has_the_documented_keys(opened: Recovery) -> None:
    result = opened("complaint", "show", "1", "--json")
    assert result.code == 0, result
    data = json.loads(result.out)
    assert set(data) >= COMPLAINT_KEYS, result
    assert (data["state"], data["assignee"], data["customer_id"], data["version"]) == ("received", "bob", 1, 1)
    assert data["deadline"].endswith("Z"), result


def test_show_table_names_the_next_triggers(opened: Recovery) -> None:
    result = opened("complaint", "show", "1")
    assert result.code == 0, result
    assert "next triggers: apologize, withdraw, defect" in result.out, result


def test_show_a_closed_complaint_has_no_next_triggers(opened: Recovery) -> None:
    fire(opened, "defect")
    assert "next triggers: none (closed)" in opened("complaint", "show", "1").out


def test_show_unknown(opened: Recovery, error_line: ErrorLine) -> None:
    result = opened("complaint", "show", "7")
    assert result.code == 1, result
    assert error_line(result) == "error: no complaint 7"


def test_list_table(opened: Recovery) -> None:
    result = opened("complaint", "list")
    assert result.code == 0, result
    assert result.out.splitlines()[0].split()[:3] == ["id", "state", "severity"], result
    assert "late parcel" in result.out, result


def test_list_json_by_state_and_customer(opened: Recovery) -> None:
    opened("complaint", "open", "--customer", "1", "--summary", "second")
    fire(opened, "apologize")
    rows = json.loads(opened("complaint", "list", "--json", "--state", "received", "--customer", "ann@example.com").out)
    assert [r["id"] for r in rows] == [2]
    assert all(set(r) >= COMPLAINT_KEYS for r in rows)


def test_list_overdue_when_none_is(opened: Recovery) -> None:
    fire(opened, "defect")
    result = opened("complaint", "list", "--overdue")
    assert (result.code, result.out) == (0, "no complaints match\n"), result


def test_list_with_a_bad_limit_is_bad_usage(opened: Recovery) -> None:
    assert opened("complaint", "list", "--limit", "0").code == 2


def test_fire_walks_the_whole_workflow(opened: Recovery) -> None:
    to_compensated(opened)
    assert (
        fire(opened, "follow_up", "--score", "5", "--comment", "great").out
        == "complaint 1: follow_up -> following_up\n"
    )
    result = fire(opened, "resolve", "--by", "bob", "--note", "done")
    assert (result.code, result.out) == (0, "complaint 1: resolve -> resolved\n"), result


def test_fire_withdraw_with_a_reason(opened: Recovery) -> None:
    result = fire(opened, "withdraw", "--reason", "solved it herself")
    assert (result.code, result.out) == (0, "complaint 1: withdraw -> withdrawn\n"), result


def test_fire_compensation_with_a_money_value(opened: Recovery) -> None:
    for trigger in ("apologize", "act", "empathize"):
        fire(opened, trigger)
    assert fire(opened, "compensate", "--compensation", "refund:25.50").code == 0
    history = json.loads(opened("complaint", "history", "1", "--json").out)
    assert history[-1]["payload"]["compensation"]["value"] == "25.50"


def test_a_refused_trigger_lists_the_allowed_ones(opened: Recovery, error_line: ErrorLine) -> None:
    result = fire(opened, "act")
    assert result.code == 1, result
    assert error_line(result) == (
        "error: complaint 1: 'act' is not allowed from 'received'; allowed: apologize, withdraw, defect"
    )


def test_a_refused_guard_says_what_is_missing(opened: Recovery, error_line: ErrorLine) -> None:
    result = fire(opened, "withdraw")
    assert result.code == 1, result
    assert error_line(result) == "error: complaint 1: 'withdraw' refused: needs a reason"


def test_an_unknown_compensation_kind_is_refused_by_the_guard(opened: Recovery, error_line: ErrorLine) -> None:
    for trigger in ("apologize", "act", "empathize"):
        fire(opened, trigger)
    result = fire(opened, "compensate", "--compensation", "cash:5")
    assert result.code == 1, result
    assert "needs a compensation KIND:VALUE" in error_line(result)


@pytest.mark.parametrize("value", ["gift:lots", "gift:", ":5", "gift:inf"])
def test_a_malformed_compensation_is_bad_usage(opened: Recovery, error_line: ErrorLine, value: str) -> None:
    result = fire(opened, "compensate", "--compensation", value)
    assert result.code == 2, result
    assert error_line(result).startswith("error: Invalid value for --compensation: expected KIND:VALUE"), result


def test_a_score_out_of_range_is_bad_usage(opened: Recovery) -> None:
    assert fire(opened, "follow_up", "--score", "9").code == 2


def test_fire_on_an_unknown_complaint(opened: Recovery, error_line: ErrorLine) -> None:
    result = opened("complaint", "fire", "7", "apologize", "--by", "bob")
    assert result.code == 1, result
    assert error_line(result) == "error: no complaint 7"


def test_pause_and_resume(opened: Recovery) -> None:
    paused = opened("complaint", "pause", "1", "--reason", "waiting_on_customer", "--by", "bob")
    assert (paused.code, paused.out) == (0, "complaint 1 paused (waiting_on_customer)\n"), paused
    assert json.loads(opened("complaint", "show", "1", "--json").out)["paused"] is True
    resumed = opened("complaint", "resume", "1", "--note", "photos arrived", "--by", "bob")
    assert resumed.code == 0, resumed
    assert re.fullmatch(r"complaint 1 resumed; deadline 20\d\d-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d\n", resumed.out), (
        resumed
    )


def test_pause_without_a_reason_is_refused(opened: Recovery, error_line: ErrorLine) -> None:
    result = opened("complaint", "pause", "1", "--by", "bob")
    assert result.code == 1, result
    assert error_line(result) == (
        "error: complaint 1: pause refused: a pause needs a reason: one of waiting_on_customer, third_party, other"
    )


def test_resume_when_not_paused_is_refused(opened: Recovery, error_line: ErrorLine) -> None:
    result = opened("complaint", "resume", "1", "--by", "bob")
    assert result.code == 1, result
    assert error_line(result) == "error: complaint 1: resume refused: it is not paused"


def test_history_json_has_the_documented_keys(opened: Recovery) -> None:
    fire(opened, "apologize", "--by", "bob", "--note", "called")
    fire(opened, "resolve")
    result = opened("complaint", "history", "1", "--json")
    assert result.code == 0, result
    entries = json.loads(result.out)
    assert all(set(e) >= HISTORY_KEYS for e in entries), result
    assert [(e["trigger"], e["outcome"]) for e in entries] == [
        ("open", "applied"),
        ("apologize", "applied"),
        ("resolve", "refused"),
    ]
    assert (entries[1]["actor"], entries[1]["note"], entries[1]["dest"]) == ("bob", "called", "apologized")


def test_history_table(opened: Recovery) -> None:
    fire(opened, "apologize")
    result = opened("complaint", "history", "1")
    assert result.code == 0, result
    assert result.out.splitlines()[0].split() == ["at", "trigger", "source", "dest", "actor", "outcome", "note"]
    assert len(result.out.splitlines()) == 4, result  # header, rule, open, apologize


def test_history_of_an_unknown_complaint(opened: Recovery, error_line: ErrorLine) -> None:
    result = opened("complaint", "history", "7")
    assert result.code == 1, result
    assert error_line(result) == "error: no complaint 7"


def test_a_conflict_is_one_line_and_exit_1(opened: Recovery, error_line: ErrorLine) -> None:
    result = opened("customer", "add", "ann@example.com")
    assert result.code == 1, result
    assert error_line(result).startswith("error: a customer with email ann@example.com"), result
