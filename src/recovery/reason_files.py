"""The reason taxonomy file on disk: reading YAML and handing the mapping to the core parser."""

from __future__ import annotations

from pathlib import Path

from recovery.core.reasons import Taxonomy, taxonomy_from
from recovery.errors import ConfigError
from recovery.yaml_files import read_yaml

MAX_BYTES = 256 * 1024  # the shipped file is under 20 KiB


def load_taxonomy(path: Path) -> Taxonomy:
    """Read and validate a taxonomy file; ConfigError says ``PATH: KEY: MESSAGE``."""
    document = read_yaml(path, max_bytes=MAX_BYTES, kind="a taxonomy", where="file: ")
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: top: expected a mapping with 'reasons', got {type(document).__name__}")
    try:
        return taxonomy_from(document)
    except ValueError as exc:
        key, _, message = str(exc).partition(": ")
        raise ConfigError(f"{path}: {key}: {message}") from exc
