"""The console script pauses the garbage collector for its start-up and freezes what start-up made."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from recovery.cli import collector


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    """Each test leaves this process's collector as it found it: enabled, nothing frozen."""
    yield
    gc.unfreeze()
    gc.enable()
    collector._paused = False


def test_start_up_runs_with_the_collector_paused_and_the_engine_built_resumes_it() -> None:
    with collector.paused_start():
        assert not gc.isenabled()
        collector.started()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0  # what start-up made is never walked again


def test_what_is_left_at_the_end_is_frozen_even_when_start_up_never_ended() -> None:
    with collector.paused_start():
        pass
    assert gc.get_freeze_count() > 0
    assert not gc.isenabled()  # the process is ending: nothing is left to collect for


def test_started_leaves_a_collector_it_did_not_pause_alone() -> None:
    gc.disable()  # paused by someone else, for their own reasons
    collector.started()
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_in_process_runs_leave_the_collector_alone() -> None:
    from recovery.cli.main import main

    assert main(["--version"]) == 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
