"""One adapter module per helpdesk kind: ``verify`` checks a delivery's credentials, ``parse`` maps its payload.

Each module offers the two functions of ``recovery.intake.delivery.Adapter``; what they share lives
beside this package: ``errors``, ``rules``, ``signing``, ``fields`` and ``snapshot``.
"""

from __future__ import annotations

from importlib import import_module
from typing import get_args

from recovery.config import SourceKind
from recovery.intake.delivery import Adapter

KINDS: tuple[str, ...] = get_args(SourceKind)


def adapter(kind: str) -> Adapter:
    """The adapter module of ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"unknown source kind {kind!r}; known: {', '.join(KINDS)}")
    module: Adapter = import_module(f"recovery.intake.sources.{kind}")
    return module
