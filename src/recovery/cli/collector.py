"""The garbage collector in a command's own process: paused while the start-up's objects are made, then frozen.

Importing SQLAlchemy and our modules makes several hundred thousand objects that live as long as the process.
The cyclic collector walked them over and over while they were made, and all of them once more at exit: about
70 ms of a ``complaint list`` whose own work takes 10 (issue 11.6). So the console script pauses the collector
at start; once the engine is built (``Runtime.context``) what start-up made is frozen, never walked again, and
the collector resumes for the command's own work (a daemon's included); the hundred-odd unreachable objects
start-up leaves behind are frozen with the rest and kept. At exit the rest is frozen as well: the process is
ending and its memory goes with it. Tests call ``main(argv)`` in their own process and are left alone.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_paused = False


@contextmanager
def paused_start() -> Iterator[None]:
    """Run the block with the collector paused until ``started()``, and freeze what is left at its end."""
    global _paused
    gc.disable()
    _paused = True
    try:
        yield
    finally:
        gc.freeze()


def started() -> None:
    """Start-up is over: freeze what it made and collect again, if ``paused_start`` paused the collector."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
