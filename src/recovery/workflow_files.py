"""Workflow files on disk: reading YAML and handing the mapping to the core parser."""

from __future__ import annotations

from pathlib import Path

import yaml

from recovery.core.workflow import Workflow, parse_workflow
from recovery.errors import WorkflowError


def load_file(path: Path) -> Workflow:
    """Read and validate one workflow file; errors name the file and the path inside it."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WorkflowError([f"{path}: cannot read: {exc.strerror}"]) from exc
    except yaml.YAMLError as exc:
        raise WorkflowError([f"{path}: not valid YAML: {exc}"]) from exc
    return parse_workflow(document, str(path))


def load_dir(directory: Path) -> dict[str, Workflow]:
    """Every ``*.yaml``/``*.yml`` file in ``directory``, by workflow name; all problems reported at once."""
    if not directory.is_dir():
        raise WorkflowError([f"{directory}: the workflows directory does not exist"])
    found: dict[str, Workflow] = {}
    problems: list[str] = []
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            workflow = load_file(path)
        except WorkflowError as exc:
            problems.extend(exc.problems)
            continue
        if workflow.name in found:
            problems.append(f"{path}: name: workflow {workflow.name!r} is defined twice")
        found[workflow.name] = workflow
    if problems:
        raise WorkflowError(problems)
    return found
