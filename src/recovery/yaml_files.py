"""Reading a small YAML file safely: bounded in size, UTF-8, one document; every problem a ConfigError."""

from __future__ import annotations

from pathlib import Path

import yaml

from recovery.errors import ConfigError


def read_yaml(path: Path, *, max_bytes: int, kind: str, where: str = "") -> object:
    """The document in ``path``; ConfigError ``PATH: WHERE problem`` (``kind``, say "a taxonomy", names the file)."""
    try:
        with path.open("rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: {where}cannot read: {exc.strerror}") from exc
    if len(data) > max_bytes:
        raise ConfigError(f"{path}: {where}larger than {max_bytes // 1024} KiB; {kind} is a few KiB")
    try:
        return yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: {where}not UTF-8 text; save the file as UTF-8") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: {where}not valid YAML: {exc}") from exc
