"""Which core each process of a parallel run keeps to (``poselab.parallel.cpus``)."""

from __future__ import annotations

import os

import pytest

from poselab.parallel import cpus


def test_each_process_gets_a_usable_core_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {3, 1, 6})
    assert cpus.plan_cpus(2) == [1, 3]
    assert cpus.plan_cpus(3) == [1, 3, 6]


@pytest.mark.parametrize("usable, processes", [({0}, 2), ({0, 1}, 1), ({0, 1}, 3)])
def test_nothing_is_pinned_with_one_process_or_more_processes_than_cores(
        monkeypatch: pytest.MonkeyPatch, usable: set[int], processes: int) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: usable)
    assert cpus.plan_cpus(processes) == [None] * processes


def test_pinning_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})
    monkeypatch.setattr(cpus, "PIN", False)
    assert cpus.plan_cpus(2) == [None, None]


def test_a_pinned_block_restores_the_threads_cores() -> None:
    before = os.sched_getaffinity(0)
    one = max(before)
    with cpus.pinned(one):
        assert os.sched_getaffinity(0) == {one}
    assert os.sched_getaffinity(0) == before
    with cpus.pinned(None):
        assert os.sched_getaffinity(0) == before


def test_a_core_that_is_gone_leaves_the_thread_unpinned() -> None:
    before = os.sched_getaffinity(0)
    with cpus.pinned(4095):  # no such core: sched_setaffinity fails, the work still runs
        assert os.sched_getaffinity(0) == before
    assert os.sched_getaffinity(0) == before
