"""The reason taxonomy file on disk: reading YAML and handing the mapping to the core parser."""

from __future__ import annotations

from pathlib import Path

import yaml

from recovery.core.reasons import Taxonomy, taxonomy_from
from recovery.errors import ConfigError

MAX_BYTES = 256 * 1024  # the shipped file is under 20 KiB


def load_taxonomy(path: Path) -> Taxonomy:
    """Read and validate a taxonomy file; ConfigError says ``PATH: KEY: MESSAGE``."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: file: cannot read: {exc.strerror}") from exc
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{path}: file: larger than {MAX_BYTES // 1024} KiB; a taxonomy is a few KiB")
    try:
        document = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: file: not UTF-8 text; save the file as UTF-8") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: file: not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: top: expected a mapping with 'reasons', got {type(document).__name__}")
    try:
        return taxonomy_from(document)
    except ValueError as exc:
        key, _, message = str(exc).partition(": ")
        raise ConfigError(f"{path}: {key}: {message}") from exc
