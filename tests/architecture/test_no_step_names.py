"""The engine and the adapters read step roles, never the names a shipped workflow gives its steps."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "recovery"
CHECKED = [PACKAGE / "engine", PACKAGE / "intake", PACKAGE / "daemon.py", PACKAGE / "notify"]
# Words a helpdesk itself uses that happen to equal a step name: its vocabulary, not ours.
VENDOR_WORDS = {
    ("intake/sources/front.py", "reopen"): "Front's own event type for a reopened conversation",
    ("engine/survey_config.py", "follow_up"): "the name of the shipped follow-up survey, a file, not a step",
}


def step_names() -> set[str]:
    """Every state and trigger name of every shipped workflow."""
    names: set[str] = set()
    for path in sorted((ROOT / "workflows").glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        names |= {state["name"] for state in document["states"]}
        names |= {transition["trigger"] for transition in document["transitions"]}
    return names


def modules() -> list[Path]:
    found: list[Path] = []
    for place in CHECKED:
        found.extend(sorted(place.rglob("*.py")) if place.is_dir() else [place])
    return found


def literals(path: Path) -> list[tuple[int, str]]:
    """String constants in ``path`` with their line, docstrings excluded (prose may name a step)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_the_shipped_workflows_have_step_names_to_look_for() -> None:
    assert {"received", "resolved", "lost", "apologize", "follow_up", "defect"} <= step_names()


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_step_name_is_a_string_literal(path: Path) -> None:
    names = step_names()
    where = str(path.relative_to(PACKAGE))
    found = [
        f"{where}:{line}: {value!r}"
        for line, value in literals(path)
        if value in names and (where, value) not in VENDOR_WORDS
    ]
    assert not found, "step names in the engine or an adapter; read a role instead:\n" + "\n".join(found)
