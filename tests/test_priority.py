"""Batch analyses run at a lower CPU priority than live streams, threads they start included."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from poselab.priority import lowered_priority

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")


def _niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_the_block_and_threads_started_in_it_run_nicer() -> None:
    before = _niceness()
    seen: list[int] = []
    with lowered_priority(5):
        inside = _niceness()
        worker = threading.Thread(target=lambda: seen.append(_niceness()))
        worker.start()
        worker.join()
    assert inside == min(before + 5, 19)
    assert seen == [inside]  # MediaPipe's and the encoder's threads are created inside the block
    if os.geteuid() == 0:  # only a privileged process may lower its niceness again
        assert _niceness() == before


def test_other_threads_keep_their_priority() -> None:
    seen: list[int] = []
    ready, done = threading.Event(), threading.Event()

    def live() -> None:  # a thread that exists already, like the webcam's media thread
        ready.set()
        done.wait()
        seen.append(_niceness())

    other = threading.Thread(target=live)
    other.start()
    ready.wait()
    before = _niceness()
    with lowered_priority(5):
        done.set()
        other.join()
    assert seen == [before]
