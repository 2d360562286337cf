"""Workflow files on disk: reading YAML and handing the mapping to the core parser.

A file is refused before it can cost much memory or time: only a regular UTF-8 file of at most
MAX_BYTES, YAML without aliases (a billion-laughs bomb expands a few KiB into gigabytes), plain
JSON-like data, and lists no longer than COUNT_LIMITS. Parsed definitions are kept by the hash
of the file's bytes, so a process that loads the directory again only reads and hashes it.
"""

from __future__ import annotations

import hashlib
import math
import os
import stat
from pathlib import Path

import yaml

from recovery.core.durations import check_length
from recovery.core.workflow import Workflow, parse_workflow
from recovery.errors import WorkflowError

MAX_BYTES = 256 * 1024  # the shipped files are under 3 KiB
MAX_DEPTH = 32  # nesting of mappings and lists; a workflow needs four
# Counts, not bytes, bound the work: the parser's grows with states x transitions x sources (100 states
# and 200 "*" transitions parse in about 40 ms, 200 and 200 in about 250 ms), and the scan evaluates
# every escalation step and severity for every due complaint.
COUNT_LIMITS = {"states": 100, "transitions": 200, "escalation": 50, "severity": 50}
# Stored in 32-bit integer columns (workflow_version, escalation_level) on PostgreSQL.
NUMBER_LIMIT = 1_000_000
_CACHE_SIZE = 64

_cache: dict[str, Workflow] = {}


def load_file(path: Path) -> Workflow:
    """Read and validate one workflow file; errors name the file and the path inside it."""
    data = _read(path)
    key = hashlib.sha256(data).hexdigest()
    cached = _cache.get(key)
    if cached is not None:
        return cached
    workflow = _parse(data, str(path))
    if len(_cache) >= _CACHE_SIZE:  # a long-lived process whose files keep changing keeps only recent ones
        _cache.pop(next(iter(_cache)))
    _cache[key] = workflow
    return workflow


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


def _read(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES; never more than MAX_BYTES + 1 are read."""
    try:
        # Non-blocking: opening a FIFO for reading would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise WorkflowError([f"{path}: cannot read: {exc.strerror}"]) from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise WorkflowError([f"{path}: not a regular file (a workflow cannot be a directory, device or pipe)"])
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise WorkflowError([f"{path}: cannot read: {exc.strerror}"]) from exc
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise WorkflowError([f"{path}: larger than {MAX_BYTES // 1024} KiB; a workflow file is a few KiB"])
    return data


def _parse(data: bytes, origin: str) -> Workflow:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise WorkflowError([f"{origin}: line {line}: not UTF-8 text; save the file as UTF-8"]) from exc
    try:
        document = yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except _Refused as exc:
        raise WorkflowError([f"{origin}: {exc}"]) from exc
    except yaml.YAMLError as exc:
        raise WorkflowError([f"{origin}: not valid YAML: {exc}"]) from exc
    problems = _shape_problems(document, origin)
    if problems:
        raise WorkflowError(problems)
    workflow = parse_workflow(document, origin)
    problems = _scaled_sla_problems(workflow, origin)
    if problems:
        raise WorkflowError(problems)
    return workflow


class _Refused(Exception):
    """YAML this loader does not accept; the message names the line."""


class _Loader(yaml.SafeLoader):
    """A SafeLoader that refuses aliases and deep nesting, the two ways a small file grows huge or deep."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """Compose one node, refusing an alias (``*name``) and nesting deeper than MAX_DEPTH."""
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        line = event.start_mark.line + 1 if event.start_mark is not None else "?"
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(f"line {line}: YAML aliases (*{event.anchor}) are not allowed in a workflow file")
        if self.depth >= MAX_DEPTH:
            raise _Refused(f"line {line}: nested more than {MAX_DEPTH} levels deep")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _shape_problems(document: object, origin: str) -> list[str]:
    """What makes ``document`` unsafe to hand to the parser, checked before it runs."""
    if not isinstance(document, dict):
        return []  # the parser says what a workflow must be
    odd = _not_plain(document, "")
    problems = [odd] if odd else []
    for key, limit in COUNT_LIMITS.items():
        value = document.get(key)
        if isinstance(value, list | dict) and len(value) > limit:
            problems.append(f"{key}: {len(value)} entries; at most {limit} are allowed")
    for where, number in _stored_numbers(document):
        if isinstance(number, int) and number > NUMBER_LIMIT:
            problems.append(f"{where}: at most {NUMBER_LIMIT:,}, got {number}")
    return [f"{origin}: {problem}" for problem in problems]


def _stored_numbers(document: dict[object, object]) -> list[tuple[str, object]]:
    """The whole numbers of the file that the database stores in integer columns, with their paths."""
    numbers = [("version", document.get("version"))]
    steps = document.get("escalation")
    for i, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, dict):
            numbers.append((f"escalation[{i}].level", step.get("level")))
    return numbers


def _not_plain(value: object, where: str) -> str | None:
    """Where ``value`` holds what the stored JSON definition cannot: dates, binary, sets, odd keys, NaN."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{where or 'top'}: keys must be text, got {key!r}"
            found = _not_plain(item, f"{where}.{key}" if where else key)
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _not_plain(item, f"{where}[{i}]")
            if found:
                return found
    elif isinstance(value, float) and not math.isfinite(value):
        return f"{where}: expected a finite number, got {value}"
    elif not isinstance(value, str | int | float | bool | None):
        return f"{where}: expected text, a number, a list or a mapping, got a {type(value).__name__} (quote it)"
    return None


def _scaled_sla_problems(workflow: Workflow, origin: str) -> list[str]:
    """A state's deadline is its SLA times a severity multiplier: each product must be a bounded duration too."""
    problems = []
    for i, state in enumerate(workflow.states):
        sla = state.sla
        if sla is None:
            continue
        for name, factor in workflow.severity.items():
            try:
                check_length(sla.scaled(factor), f"{sla} scaled by severity {name!r} (x{factor:g})")
            except ValueError as exc:
                problems.append(f"{origin}: states[{i}].sla: {exc}")
                break
    return problems
