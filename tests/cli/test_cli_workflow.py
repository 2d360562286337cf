"""``recovery workflow list | show | validate | graph``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

Recovery = Callable[..., Any]  # fixtures of tests/cli/conftest.py
ErrorLine = Callable[[Any], str]
ROOT = Path(__file__).resolve().parents[2]
STANDARD = ROOT / "workflows" / "standard.yaml"


def test_list_table(bare: Recovery) -> None:
    result = bare("workflow", "list")
    assert result.code == 0, result
    assert result.out.splitlines()[0].split() == ["name", "version", "initial", "states", "triggers"], result
    assert len(result.out.splitlines()) == 5, result  # header, rule, minor, standard, win_back


def test_list_json(bare: Recovery) -> None:
    rows = json.loads(bare("workflow", "list", "--json").out)
    assert sorted((r["name"], r["version"], r["states"], r["triggers"]) for r in rows) == [
        ("minor", 1, 9, 9),
        ("standard", 1, 9, 9),
        ("win_back", 1, 6, 5),
    ]


def test_show_table(bare: Recovery) -> None:
    result = bare("workflow", "show", "standard")
    assert result.code == 0, result
    assert result.out.startswith("standard v1: starts at received, resolves at score >= 4\n"), result
    assert "has_compensation" in result.out, result


def test_show_names_each_steps_role(bare: Recovery) -> None:
    lines = bare("workflow", "show", "standard").out.splitlines()
    header = next(line for line in lines if line.startswith("trigger"))
    assert header.split() == ["trigger", "from", "to", "guard", "role"]
    compensate = next(line for line in lines if line.split()[:1] == ["compensate"])
    assert compensate.split()[-2:] == ["has_compensation", "compensation"]


def test_show_json(bare: Recovery) -> None:
    data = json.loads(bare("workflow", "show", "standard", "--json").out)
    assert (data["name"], data["definition"]["initial"], len(data["checksum"])) == ("standard", "received", 64)


def test_show_unknown(bare: Recovery, error_line: ErrorLine) -> None:
    result = bare("workflow", "show", "gold")
    assert result.code == 1, result
    assert error_line(result) == "error: unknown workflow 'gold'; known: minor, standard, win_back"


def test_validate_a_good_file(bare: Recovery) -> None:
    result = bare("workflow", "validate", str(STANDARD))
    assert result.code == 0, result
    assert result.out == f"{STANDARD}: ok (standard v1, 9 states, 9 transitions)\n"


def test_validate_reports_every_problem_on_one_line(bare: Recovery, tmp_path: Path, error_line: ErrorLine) -> None:
    document = yaml.safe_load(STANDARD.read_text())
    document["transitions"][2]["dest"] = "empathised"
    document["follow_up_after"] = "soon"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document))
    result = bare("workflow", "validate", str(path))
    assert result.code == 1, result
    line = error_line(result)
    assert f"{path}: transitions[2].dest: unknown state 'empathised'" in line, result
    assert f"{path}: follow_up_after: bad duration 'soon'" in line, result


def test_validate_a_missing_file(bare: Recovery, tmp_path: Path, error_line: ErrorLine) -> None:
    result = bare("workflow", "validate", str(tmp_path / "absent.yaml"))
    assert result.code == 1, result
    assert "cannot read" in error_line(result)


def test_validate_against_a_database_says_to_raise_the_version(
    recovery: Recovery, tmp_path: Path, error_line: ErrorLine
) -> None:
    recovery("customer", "add", "ann@example.com")
    recovery("complaint", "open", "--customer", "1", "--summary", "late")  # version 1 is now in use
    edited = tmp_path / "standard.yaml"
    edited.write_text(STANDARD.read_text().replace("satisfaction_threshold: 4", "satisfaction_threshold: 5"))
    result = recovery("workflow", "validate", str(edited))
    assert result.code == 1, result
    assert error_line(result) == (
        "error: standard: version: the rules of version 1 changed but complaints already use it; "
        "give the file version 2 (running complaints keep their version)"
    )


def test_validate_against_a_database_accepts_a_raised_version(recovery: Recovery, tmp_path: Path) -> None:
    recovery("customer", "add", "ann@example.com")
    recovery("complaint", "open", "--customer", "1", "--summary", "late")
    edited = tmp_path / "standard.yaml"
    text = STANDARD.read_text().replace("satisfaction_threshold: 4", "satisfaction_threshold: 5")
    edited.write_text(text.replace("version: 1", "version: 2"))
    result = recovery("workflow", "validate", str(edited))
    assert result.code == 0, result


def test_graph_mermaid(bare: Recovery) -> None:
    result = bare("workflow", "graph", "standard")
    assert result.code == 0, result
    assert "stateDiagram" in result.out, result
    assert "received --> apologized: apologize" in result.out, result


def test_graph_dot(bare: Recovery) -> None:
    result = bare("workflow", "graph", "minor", "--format", "dot")
    assert result.code == 0, result
    assert result.out.startswith('digraph "minor v1" {'), result
    assert "received -> apologized" in result.out, result


def test_graph_in_an_unknown_format_is_bad_usage(bare: Recovery) -> None:
    assert bare("workflow", "graph", "standard", "--format", "png").code == 2
