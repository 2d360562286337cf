"""Survey files on disk: reading YAML and handing the mapping to the core parser.

A file is refused before it can cost much: only a regular UTF-8 file of at most MAX_BYTES, read
with a safe loader. Every problem of every file is reported at once, as ``path: key: message``.
"""

from __future__ import annotations

from pathlib import Path

from recovery.core.surveys import Survey, parse_survey
from recovery.errors import ConfigError
from recovery.yaml_files import read_yaml

MAX_BYTES = 128 * 1024  # the shipped files are under 10 KiB


def load_file(path: Path) -> Survey:
    """Read and validate one survey file; ConfigError names the file and the key inside it."""
    if not path.is_file():
        raise ConfigError(f"{path}: not a regular file")
    document = read_yaml(path, max_bytes=MAX_BYTES, kind="a survey file")
    return parse_survey(document, str(path))


def load_surveys(directory: Path) -> dict[str, Survey]:
    """Every ``*.yaml``/``*.yml`` survey in ``directory`` by name; ConfigError lists all problems at once."""
    if not directory.is_dir():
        raise ConfigError(f"{directory}: the surveys directory does not exist")
    found: dict[str, Survey] = {}
    problems: list[str] = []
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            survey = load_file(path)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        if survey.name in found:
            problems.append(f"{path}: name: survey {survey.name!r} is defined twice")
        found[survey.name] = survey
    if problems:
        raise ConfigError("; ".join(problems))
    return found
