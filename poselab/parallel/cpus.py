"""One core per tracking process: which core each of a parallel run's processes keeps to.

Measured on the 2-core machine (``bench/pipeline_bench.py``, and two bare MediaPipe loops at once):
left to the scheduler, two tracking processes each got 0.90 of a core and ran at 66 fps (lite);
with each kept to its own core they got 1.00 and ran at 79 fps each. Even one loop alone runs faster
kept to a core (64 -> 78 fps). Our reading: a MediaPipe call hands each frame between the caller's
thread and the graph's threads, and a hand-off to a thread on another core (busy, or woken across
cores in a VM) costs more than one that stays on the core.

Serial analyses stay unpinned: several of them at once (dashboard sessions, a shell loop) would all
pick the same core, where the scheduler spreads them.

Linux only (``os.sched_setaffinity``); elsewhere, or with a single usable core, nothing is pinned.
This module imports nothing heavy: a helper process pins itself before it loads MediaPipe, so the
threads MediaPipe and the decoder start later inherit the core.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

# Tests and anyone sharing a machine with other pinned work can turn it off.
PIN = os.environ.get("POSELAB_PIN_WORKERS", "1") != "0"


def plan_cpus(processes: int) -> list[int | None]:
    """A core of its own for each of ``processes`` processes (the parent first), from the cores this
    process may use; all ``None`` when pinning is off, pointless (one process) or would put two on one
    core: the work is split equally, so two processes sharing a pinned core would finish last."""
    usable = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not PIN or processes < 2 or processes > len(usable):
        return [None] * processes
    return usable[:processes]


def pin_this_thread(cpu: int | None) -> None:
    """Keeps the calling thread, and the threads it starts from now on, to ``cpu``."""
    if cpu is not None:
        with contextlib.suppress(OSError):  # the core went away (hotplug, cgroup change): run unpinned
            os.sched_setaffinity(0, {cpu})


@contextlib.contextmanager
def pinned(cpu: int | None) -> Iterator[None]:
    """``pin_this_thread`` for a block, then the thread's previous cores again (in a long-lived process,
    such as the tests or a server, the rest of its work must not stay on one core)."""
    if cpu is None:
        yield
        return
    before = os.sched_getaffinity(0)
    pin_this_thread(cpu)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, before)
