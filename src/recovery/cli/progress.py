"""Progress of a long command (``rewards run``, ``sla scan``, ``purchases import``) for a person watching.

Drawn on stderr, and only when both stdout and stderr are terminals: output that goes to a file or a
pipe is read by a script, which wants the result and no bar. A known total gets click's progress bar
(click is a dependency already; rich and tqdm are not); an unknown one, a running count on one line.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import click


def wanted(stream: TextIO | None = None) -> bool:
    """True when a person is watching: stdout and ``stream`` (stderr) are both terminals."""
    return sys.stdout.isatty() and (stream or sys.stderr).isatty()


class Progress:
    """One command's progress; every method does nothing when nobody is watching."""

    def __init__(self, label: str, total: int | None, unit: str, stream: TextIO, shown: bool) -> None:
        self.label, self.total, self.unit, self.stream = label, total, unit, stream
        self.done = 0
        self._bar: Any = None
        if shown and total:
            self._bar = click.progressbar(
                length=total, label=label, file=stream, show_pos=True, item_show_func=lambda note: note
            )
            self._bar.__enter__()
        self._counting = shown and total is None  # a total of 0: nothing to do, nothing to show

    def update(self, done: int, note: str = "") -> None:
        """Now ``done`` of the total (or so many, with no total), with an optional short note after the bar."""
        step, self.done = done - self.done, done
        if self._bar is not None:
            self._bar.update(max(0, step), note or None)
        elif self._counting:
            click.echo(
                f"\r{self.label}: {done:,} {self.unit}{f' ({note})' if note else ''}", nl=False, file=self.stream
            )

    def close(self) -> None:
        """Finish the line, so that what the command prints next starts on its own."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
        elif self._counting and self.done:
            click.echo(file=self.stream)


@contextmanager
def progress(
    label: str, total: int | None = None, *, unit: str = "", stream: TextIO | None = None
) -> Iterator[Progress]:
    """A Progress for the block, drawn on ``stream`` (stderr) when a person is watching (see ``wanted``)."""
    out = stream or sys.stderr
    shown = Progress(label, total, unit, out, wanted(out))
    try:
        yield shown
    finally:
        shown.close()
