"""Survey files on disk: reading YAML and handing the mapping to the core parser.

A file is refused before it can cost much: only a regular UTF-8 file of at most MAX_BYTES, read
with a safe loader. Every problem of every file is reported at once, as ``path: key: message``.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from recovery.core.surveys import Survey, parse_survey
from recovery.errors import ConfigError

MAX_BYTES = 128 * 1024  # the shipped files are under 10 KiB


def load_file(path: Path) -> Survey:
    """Read and validate one survey file; ConfigError names the file and the key inside it."""
    if not path.is_file():
        raise ConfigError(f"{path}: not a regular file")
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_BYTES // 1024} KiB; a survey file is a few KiB")
    try:
        document = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text; save the file as UTF-8") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
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
