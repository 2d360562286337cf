"""The workflow loader: every kind of mistake is reported with the file and the path inside it."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from recovery.core.workflow import parse_workflow
from recovery.errors import WorkflowError
from recovery.workflow_files import load_dir, load_file

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
BASE: dict[str, Any] = yaml.safe_load((WORKFLOWS / "standard.yaml").read_text())


def write(tmp_path: Path, document: Any, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def problems_of(tmp_path: Path, document: Any) -> tuple[Path, list[str]]:
    path = write(tmp_path, document)
    with pytest.raises(WorkflowError) as raised:
        load_file(path)
    return path, raised.value.problems


def mistake(tmp_path: Path, change: Any) -> tuple[Path, str]:
    """Load BASE with ``change`` applied; return the file and the one problem reported."""
    document = copy.deepcopy(BASE)
    change(document)
    path, problems = problems_of(tmp_path, document)
    assert len(problems) == 1, problems
    return path, problems[0]


def test_the_shipped_files_are_valid() -> None:
    assert set(load_dir(WORKFLOWS)) == {"standard", "minor", "win_back"}


def test_unknown_state_as_dest(tmp_path: Path) -> None:
    path, problem = mistake(tmp_path, lambda d: d["transitions"][2].update(dest="empathised"))
    assert problem.startswith(f"{path}: transitions[2].dest: unknown state 'empathised'; known: acting, ")


def test_unknown_state_as_source(tmp_path: Path) -> None:
    path, problem = mistake(tmp_path, lambda d: d["transitions"][1].update(source="apologised"))
    assert problem.startswith(f"{path}: transitions[1].source: unknown state 'apologised'; known: ")


def test_unknown_state_in_a_source_list(tmp_path: Path) -> None:
    path, problem = mistake(tmp_path, lambda d: d["transitions"][1].update(source=["apologized", "nowhere"]))
    assert problem.startswith(f"{path}: transitions[1].source: unknown state 'nowhere'")


def test_unknown_initial_state(tmp_path: Path) -> None:
    path, problem = mistake(tmp_path, lambda d: d.update(initial="recieved"))
    assert problem.startswith(f"{path}: initial: unknown state 'recieved'; known: ")


def test_unreachable_state(tmp_path: Path) -> None:
    path, problem = mistake(tmp_path, lambda d: d["states"].insert(3, {"name": "limbo", "sla": "1bd"}))
    assert problem == f"{path}: states[3]: state 'limbo' is unreachable from 'received'"


@pytest.mark.parametrize("source", [None, [], 7], ids=["missing", "empty-list", "not-a-state-name"])
def test_trigger_with_no_source(tmp_path: Path, source: Any) -> None:
    def change(d: dict[str, Any]) -> None:
        if source is None:
            del d["transitions"][0]["source"]
        else:
            d["transitions"][0]["source"] = source

    document = copy.deepcopy(BASE)
    change(document)
    path, problems = problems_of(tmp_path, document)
    assert f"{path}: transitions[0].source: the trigger has no source state" in problems[0]


def test_final_state_with_outgoing_transitions(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["transitions"].append({"trigger": "revive", "source": "resolved", "dest": "acting"})

    path, problem = mistake(tmp_path, change)
    assert problem == f"{path}: transitions[9].source: final state 'resolved' cannot have outgoing transitions"


def test_unknown_guard_name(tmp_path: Path) -> None:
    path, problem = mistake(tmp_path, lambda d: d["transitions"][3].update(guard="has_money"))
    assert problem.startswith(f"{path}: transitions[3].guard: unknown guard 'has_money'; known: customer_dissatisfied")


@pytest.mark.parametrize(
    ("where", "change"),
    [
        pytest.param("states[0].sla", lambda d: d["states"][0].update(sla="4 hours"), id="state-sla"),
        pytest.param("follow_up_after", lambda d: d.update(follow_up_after="soon"), id="follow-up"),
        pytest.param("final_response", lambda d: d.update(final_response="8y"), id="final-response"),
        pytest.param("pause.max", lambda d: d["pause"].update(max="5 days"), id="pause-cap"),
        pytest.param("escalation[1].overdue_by", lambda d: d["escalation"][1].update(overdue_by="-4bh"), id="esc"),
    ],
)
def test_bad_duration(tmp_path: Path, where: str, change: Any) -> None:
    path, problem = mistake(tmp_path, change)
    assert problem.startswith(f"{path}: {where}: bad duration ")
    assert "one of s, m, h, d, w, bh, bd" in problem


def test_duplicate_state(tmp_path: Path) -> None:
    path, problem = mistake(tmp_path, lambda d: d["states"].insert(2, {"name": "received", "sla": "1bh"}))
    assert problem == f"{path}: states[2].name: duplicate state 'received'"


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path, problem = mistake(tmp_path, lambda d: d.update(treshold=4))
    assert problem.startswith(f"{path}: treshold: unknown key; known: ")


def test_unknown_key_in_a_state(tmp_path: Path) -> None:
    path, problem = mistake(tmp_path, lambda d: d["states"][0].update(deadline="4bh"))
    assert problem == f"{path}: states[0].deadline: unknown key; known: final, name, sla, timeout"


@pytest.mark.parametrize("key", ["name", "initial"])
def test_missing_text(tmp_path: Path, key: str) -> None:
    path, problems = problems_of(tmp_path, {k: v for k, v in BASE.items() if k != key})
    assert f"{path}: {key}: required text is missing" in problems


@pytest.mark.parametrize("version", [None, 0, "two", True], ids=["missing", "zero", "text", "boolean"])
def test_bad_or_missing_version(tmp_path: Path, version: Any) -> None:
    document = {k: v for k, v in BASE.items() if k != "version"}
    if version is not None:
        document["version"] = version
    path, problems = problems_of(tmp_path, document)
    assert problems == [f"{path}: version: expected a whole number at least 1, got {version!r}"]


@pytest.mark.parametrize(
    ("where", "severity", "message"),
    [
        pytest.param("severity.high", {"normal": 1, "high": -0.5}, "expected a positive multiplier", id="negative"),
        pytest.param("severity.high", {"normal": 1, "high": "fast"}, "expected a positive multiplier", id="text"),
        pytest.param("severity", {"high": 0.5}, "a 'normal' severity is required", id="no-normal"),
        pytest.param("severity", [0.5], "expected a mapping of severity name", id="not-a-mapping"),
    ],
)
def test_bad_severity(tmp_path: Path, where: str, severity: Any, message: str) -> None:
    path, problem = mistake(tmp_path, lambda d: d.update(severity=severity))
    assert problem.startswith(f"{path}: {where}: {message}")


@pytest.mark.parametrize("notify", [["assignee", "ceo"], [], "manager"], ids=["unknown-role", "nobody", "not-a-list"])
def test_bad_escalation_roles(tmp_path: Path, notify: Any) -> None:
    path, problem = mistake(tmp_path, lambda d: d["escalation"][1].update(notify=notify))
    assert problem.startswith(f"{path}: escalation[1].notify: expected a list of roles from assignee, lead, manager")


def test_escalation_levels_must_increase(tmp_path: Path) -> None:
    path, problem = mistake(tmp_path, lambda d: d["escalation"][2].update(level=1))
    assert problem == f"{path}: escalation[2].level: levels must increase down the list"


@pytest.mark.parametrize(
    ("where", "change", "message"),
    [
        pytest.param("escalation", lambda d: d.update(escalation={"level": 1}), "expected a list", id="esc-not-list"),
        pytest.param("escalation[0]", lambda d: d["escalation"].__setitem__(0, "x"), "expected a mapping", id="esc"),
        pytest.param("satisfaction_threshold", lambda d: d.update(satisfaction_threshold=6), "at most 5", id="thr"),
        pytest.param("warn_at", lambda d: d.update(warn_at=1.5), "expected a fraction", id="warn-at"),
        pytest.param("pause", lambda d: d.update(pause="5bd"), "expected a mapping", id="pause-not-mapping"),
        pytest.param("pause.reasons", lambda d: d["pause"].update(reasons=[]), "non-empty list", id="no-reasons"),
        pytest.param("states[1].final", lambda d: d["states"][1].update(final="yes"), "true or false", id="final"),
        pytest.param("states[6].sla", lambda d: d["states"][6].update(sla="1bd"), "no deadline", id="final-sla"),
        pytest.param("states[2]", lambda d: d["states"].__setitem__(2, "acting"), "with a name", id="state"),
        pytest.param("transitions[0].trigger", lambda d: d["transitions"][0].update(trigger="say sorry"), "a trigger"),
        pytest.param("transitions[0]", lambda d: d["transitions"].__setitem__(0, "x"), "expected a mapping", id="tr"),
    ],
)
def test_other_mistakes_name_their_path(tmp_path: Path, where: str, change: Any, message: str) -> None:
    document = copy.deepcopy(BASE)
    change(document)
    path, problems = problems_of(tmp_path, document)
    assert any(p.startswith(f"{path}: {where}: ") and message in p for p in problems), problems


@pytest.mark.parametrize("key", ["states", "transitions"])
def test_empty_lists(tmp_path: Path, key: str) -> None:
    path, problems = problems_of(tmp_path, {**BASE, key: []})
    assert any(p.startswith(f"{path}: {key}: expected a non-empty list") for p in problems), problems


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    document = copy.deepcopy(BASE)
    del document["name"]
    document["follow_up_after"] = "soon"
    document["transitions"][2]["dest"] = "empathised"
    document["transitions"][3]["guard"] = "has_money"
    document["escalation"][0]["notify"] = ["ceo"]
    path, problems = problems_of(tmp_path, document)
    wheres = [p.removeprefix(f"{path}: ").split(":")[0] for p in problems]
    assert {"name", "follow_up_after", "transitions[2].dest", "transitions[3].guard", "escalation[0].notify"} <= set(
        wheres
    ), problems


def test_the_error_message_joins_every_problem(tmp_path: Path) -> None:
    _, problems = problems_of(tmp_path, {**BASE, "name": "", "warn_at": 2})
    with pytest.raises(WorkflowError) as raised:
        load_file(tmp_path / "broken.yaml")
    assert str(raised.value) == "; ".join(problems)


def test_not_a_mapping(tmp_path: Path) -> None:
    path, problems = problems_of(tmp_path, ["name", "standard"])
    assert problems == [f"{path}: top: a workflow must be a mapping of keys"]


def test_not_valid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(WorkflowError, match=rf"^{path}: not valid YAML"):
        load_file(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(WorkflowError, match=rf"^{path}: cannot read"):
        load_file(path)


def test_load_dir_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match="the workflows directory does not exist"):
        load_dir(tmp_path / "nowhere")


def test_load_dir_reports_a_name_defined_twice(tmp_path: Path) -> None:
    write(tmp_path, BASE, "a.yaml")
    write(tmp_path, BASE, "b.yml")
    with pytest.raises(WorkflowError) as raised:
        load_dir(tmp_path)
    assert raised.value.problems == [f"{tmp_path / 'b.yml'}: name: workflow 'standard' is defined twice"]


def test_load_dir_reports_problems_of_every_file(tmp_path: Path) -> None:
    write(tmp_path, {**BASE, "warn_at": 3}, "a.yaml")
    write(tmp_path, {**BASE, "name": "other", "follow_up_after": "x"}, "b.yaml")
    with pytest.raises(WorkflowError) as raised:
        load_dir(tmp_path)
    assert [p.split(":")[0] for p in raised.value.problems] == [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]


def test_defaults_fill_what_a_file_leaves_out() -> None:
    minimal = {
        "name": "tiny",
        "version": 1,
        "initial": "open",
        "states": [{"name": "open"}, {"name": "closed", "final": True}],
        "transitions": [{"trigger": "close", "source": "open", "dest": "closed"}],
    }
    workflow = parse_workflow(minimal, "tiny.yaml")
    assert (workflow.satisfaction_threshold, str(workflow.follow_up_after), str(workflow.final_response)) == (
        4,
        "3d",
        "8w",
    )
    assert workflow.pause.reasons == ("waiting_on_customer", "third_party", "other")
    assert workflow.escalation == ()


def test_star_source_means_every_non_final_state() -> None:
    workflow = load_file(WORKFLOWS / "standard.yaml")
    withdraw = next(t for t in workflow.transitions if t.trigger == "withdraw")
    assert withdraw.sources == ("received", "apologized", "acting", "empathized", "compensated", "following_up")


def test_equal_rules_have_equal_checksums_whatever_the_key_order() -> None:
    reordered = dict(reversed(list(BASE.items())))
    assert parse_workflow(reordered).checksum == parse_workflow(BASE).checksum
    assert parse_workflow({**BASE, "satisfaction_threshold": 5}).checksum != parse_workflow(BASE).checksum


def test_state_lookup_of_an_unknown_name_raises_key_error() -> None:
    with pytest.raises(KeyError):
        parse_workflow(BASE).state("nowhere")


# Files that would validate and then crash or hang: refused while reading, each in one line naming the file.
BOMB = """\
name: bomb
version: 1
initial: a
description:
  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
states: [{name: a}, {name: z, final: true}]
transitions: [{trigger: go, source: a, dest: z}]
"""


def test_a_yaml_bomb_is_refused_at_its_first_alias(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    with pytest.raises(WorkflowError) as raised:
        load_file(path)
    assert raised.value.problems == [f"{path}: line 6: YAML aliases (*a) are not allowed in a workflow file"]


def test_a_merge_key_is_an_alias_too(tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    path.write_text("base: &base {name: x}\nstates:\n  - <<: *base\n")
    with pytest.raises(WorkflowError, match=r": line 3: YAML aliases \(\*base\) are not allowed"):
        load_file(path)


def test_deep_nesting_is_refused_without_a_recursion_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("description: " + "[" * 20_000 + "\n")
    with pytest.raises(WorkflowError, match=rf"^{path}: line 1: nested more than 32 levels deep$"):
        load_file(path)


@pytest.mark.parametrize(
    ("where", "change"),
    [
        pytest.param("final_response", lambda d: d.update(final_response="99999999999d"), id="final-response"),
        pytest.param("pause.max", lambda d: d["pause"].update(max="999999999999w"), id="pause-cap"),
        pytest.param("follow_up_after", lambda d: d.update(follow_up_after="3651d"), id="follow-up"),
        pytest.param("states[0].sla", lambda d: d["states"][0].update(sla="20801bh"), id="state-sla"),
        pytest.param("escalation[1].overdue_by", lambda d: d["escalation"][1].update(overdue_by="2601bd"), id="esc"),
    ],
)
def test_a_duration_longer_than_ten_years_names_its_field(tmp_path: Path, where: str, change: Any) -> None:
    path, problem = mistake(tmp_path, change)
    assert problem.startswith(f"{path}: {where}: duration '"), problem
    assert problem.endswith("is too long: at most 10 years (3650d, 521w; in business time 2600bd or 20800bh)")


def test_an_sla_scaled_by_a_severity_must_stay_within_ten_years(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["states"][2]["sla"] = "2000bd"  # allowed alone; the 'low' severity doubles it

    path, problem = mistake(tmp_path, change)
    assert problem.startswith(f"{path}: states[2].sla: duration 2000bd scaled by severity 'low' (x2) is too long")


@pytest.mark.parametrize(
    ("where", "severity"),
    [("severity.low", float("nan")), ("severity.low", float("inf"))],
    ids=["nan", "infinity"],
)
def test_a_multiplier_that_is_not_a_finite_number_is_refused(tmp_path: Path, where: str, severity: float) -> None:
    path, problem = mistake(tmp_path, lambda d: d["severity"].update(low=severity))
    assert problem == f"{path}: {where}: expected a finite number, got {severity}"


def test_too_many_states(tmp_path: Path) -> None:
    document = copy.deepcopy(BASE)
    document["states"] += [{"name": f"extra{i}"} for i in range(100)]
    path, problems = problems_of(tmp_path, document)
    assert problems == [f"{path}: states: {len(document['states'])} entries; at most 100 are allowed"]


def test_too_many_transitions(tmp_path: Path) -> None:
    document = copy.deepcopy(BASE)
    document["transitions"] += [{"trigger": f"t{i}", "source": "*", "dest": "lost"} for i in range(200)]
    path, problems = problems_of(tmp_path, document)
    assert problems == [f"{path}: transitions: {len(document['transitions'])} entries; at most 200 are allowed"]


@pytest.mark.parametrize(
    ("where", "change"),
    [
        pytest.param("version", lambda d: d.update(version=99999999999999999999999), id="version"),
        pytest.param("escalation[2].level", lambda d: d["escalation"][2].update(level=10**12), id="level"),
    ],
)
def test_numbers_stored_in_integer_columns_are_bounded(tmp_path: Path, where: str, change: Any) -> None:
    path, problem = mistake(tmp_path, change)
    assert problem.startswith(f"{path}: {where}: at most 1,000,000, got "), problem


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            "description: 2024-01-01\n", "description: expected text, a number, a list or a mapping, got a date"
        ),
        pytest.param("description: {1: a, b: c}\n", "description: keys must be text, got 1"),
        pytest.param("description: !!binary aGVsbG8=\n", "description: expected text, a number, a list or a mapping"),
    ],
    ids=["date", "number-as-key", "binary"],
)
def test_what_the_stored_json_definition_cannot_hold_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in BASE.items() if k != "description"}) + text)
    with pytest.raises(WorkflowError) as raised:
        load_file(path)
    assert raised.value.problems[0].startswith(f"{path}: {problem}"), raised.value.problems


def test_dev_zero_is_refused_without_reading_it() -> None:
    with pytest.raises(WorkflowError) as raised:
        load_file(Path("/dev/zero"))
    assert raised.value.problems == ["/dev/zero: not a regular file (a workflow cannot be a directory, device or pipe)"]


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_fifo_or_a_directory_is_refused_without_waiting(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "odd.yaml"
    if kind == "fifo":
        os.mkfifo(path)  # opened without O_NONBLOCK, this would wait for a writer forever
    else:
        path.mkdir()
    with pytest.raises(WorkflowError) as raised:
        load_file(path)
    assert raised.value.problems == [f"{path}: not a regular file (a workflow cannot be a directory, device or pipe)"]


def test_load_dir_reports_a_directory_named_like_a_workflow(tmp_path: Path) -> None:
    (tmp_path / "odd.yaml").mkdir()
    write(tmp_path, BASE, "standard.yaml")
    with pytest.raises(WorkflowError, match=r"odd\.yaml: not a regular file"):
        load_dir(tmp_path)


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: standard\ndescription: Caf\u00e9\n".encode("latin-1"))
    with pytest.raises(WorkflowError) as raised:
        load_file(path)
    assert raised.value.problems == [f"{path}: line 2: not UTF-8 text; save the file as UTF-8"]


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(BASE) + "# padding\n" * 30_000)
    with pytest.raises(WorkflowError) as raised:
        load_file(path)
    assert raised.value.problems == [f"{path}: larger than 256 KiB; a workflow file is a few KiB"]


def test_a_file_just_under_the_size_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "padded.yaml"
    text = yaml.safe_dump(BASE)
    path.write_text(text + "#" * (256 * 1024 - len(text.encode()) - 1) + "\n")
    assert load_file(path).name == "standard"


# The cache: a definition is parsed once per content, whatever the path; a changed file is parsed again.
def test_loading_the_same_file_again_returns_the_same_definition(tmp_path: Path) -> None:
    path = write(tmp_path, BASE, "standard.yaml")
    first = load_file(path)
    assert load_file(path) is first
    assert load_file(write(tmp_path, BASE, "copy.yaml")) is first


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = write(tmp_path, BASE, "standard.yaml")
    first = load_file(path)
    write(tmp_path, {**BASE, "satisfaction_threshold": 5}, "standard.yaml")
    second = load_file(path)
    assert (first.satisfaction_threshold, second.satisfaction_threshold) == (4, 5)


def test_a_broken_file_is_never_cached(tmp_path: Path) -> None:
    path = write(tmp_path, {**BASE, "warn_at": 3}, "standard.yaml")
    with pytest.raises(WorkflowError):
        load_file(path)
    with pytest.raises(WorkflowError):
        load_file(path)
    write(tmp_path, BASE, "standard.yaml")
    assert load_file(path).warn_at == 0.75
