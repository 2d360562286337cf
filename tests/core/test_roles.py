"""Step roles in workflow files: what the parser accepts, what it refuses, and files from before roles."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from recovery.core.roles import LEGACY_ROLES, ROLES, order, with_legacy_roles, without_roles
from recovery.core.workflow import parse_workflow
from recovery.errors import WorkflowError

STANDARD_FILE = Path(__file__).resolve().parents[2] / "workflows" / "standard.yaml"


def standard_document() -> dict[str, Any]:
    return dict(yaml.safe_load(STANDARD_FILE.read_text()))


def with_transition(index: int, **changes: Any) -> dict[str, Any]:
    """The standard document with transition ``index`` changed (a key set to None is removed)."""
    document = standard_document()
    transition = {**document["transitions"][index], **changes}
    document["transitions"][index] = {k: v for k, v in transition.items() if v is not None}
    return document


def problems_of(document: dict[str, Any]) -> list[str]:
    with pytest.raises(WorkflowError) as raised:
        parse_workflow(document, "w.yaml")
    return raised.value.problems


def test_every_transition_of_the_standard_workflow_declares_the_legacy_role_of_its_name() -> None:
    workflow = parse_workflow(standard_document())
    assert {t.trigger: t.role for t in workflow.transitions} == LEGACY_ROLES


def test_the_role_vocabulary_is_in_recovery_order() -> None:
    assert ROLES[:5] == ("apology", "action", "empathy", "compensation", "follow_up")
    assert order("apology") < order("compensation") < order("defection") < order(None)


def test_an_unknown_role_is_named_with_the_known_ones() -> None:
    (problem,) = problems_of(with_transition(0, role="sorry"))
    assert problem.startswith("w.yaml: transitions[0].role: unknown role 'sorry'; known: apology, action")


def test_a_closing_role_must_lead_to_a_final_state() -> None:
    (problem,) = problems_of(with_transition(1, role="resolution"))  # act: apologized -> acting
    assert (
        problem == "w.yaml: transitions[1].role: role 'resolution' closes the complaint: its dest must be a final state"
    )


def test_an_open_role_cannot_lead_to_a_final_state() -> None:
    (problem,) = problems_of(with_transition(6, dest="lost", guard=None))  # reopen -> lost
    assert problem == "w.yaml: transitions[6].role: role 'reopen' cannot lead to the final state 'lost'"


def test_two_transitions_of_one_role_may_not_leave_one_state() -> None:
    document = standard_document()
    document["transitions"].append(
        {"trigger": "say_sorry", "source": "received", "dest": "apologized", "role": "apology"}
    )
    (problem,) = problems_of(document)
    assert problem == "w.yaml: transitions[9].role: state 'received' already has role 'apology' at transitions[0]"


def test_a_score_guard_needs_a_follow_up_step_to_record_the_score() -> None:
    problems = problems_of(with_transition(4, role=None))  # follow_up without its role
    assert problems == [
        "w.yaml: transitions[5].guard: guard 'customer_satisfied' reads what role 'follow_up' records; "
        "declare that role",
        "w.yaml: transitions[6].guard: guard 'customer_dissatisfied' reads what role 'follow_up' records; "
        "declare that role",
    ]


def test_an_unknown_transition_key_is_named() -> None:
    (problem,) = problems_of(with_transition(0, roles="apology"))
    assert problem == "w.yaml: transitions[0].roles: unknown key; known: trigger, source, dest, guard, role"


def test_a_stored_definition_without_roles_is_read_with_the_legacy_ones() -> None:
    bare = without_roles(standard_document())
    assert not any("role" in t for t in bare["transitions"])
    stored = parse_workflow(bare, "stored standard v1", stored=True)
    assert [t.role for t in stored.transitions] == [t.role for t in parse_workflow(standard_document()).transitions]


def test_a_file_without_roles_is_not_given_legacy_ones() -> None:
    # A file must say what its steps mean; only definitions stored before roles existed are read by name.
    problems = problems_of(without_roles(standard_document()))
    assert all("reads what role 'follow_up' records" in p for p in problems)


def test_a_database_holding_the_role_less_file_accepts_the_file_with_the_legacy_roles() -> None:
    bare = without_roles(standard_document())
    checksum_of_bare = hashlib.sha256(json.dumps(bare, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    workflow = parse_workflow(standard_document())
    assert workflow.checksums == (workflow.checksum, checksum_of_bare)
    assert with_legacy_roles(bare) == standard_document()


def test_other_roles_than_the_legacy_ones_accept_only_their_own_checksum() -> None:
    document = with_transition(0, role=None)
    assert len(parse_workflow(document).checksums) == 1


def test_the_follow_up_reminder_belongs_to_the_state_the_follow_up_leaves() -> None:
    workflow = parse_workflow(standard_document())
    assert [s.name for s in workflow.states if workflow.awaits_follow_up(s.name)] == ["compensated"]
    assert workflow.trigger_for("follow_up", "compensated") == "follow_up"
    assert workflow.trigger_for("follow_up", "acting") is None
    assert workflow.triggers_with("defection") == ("defect",)
