"""An isolated analysis's process: its entry point, light to import (the child lowers its priority and
puts stand-ins in place before MediaPipe loads), and the analysis it runs (``run_request``)."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import time
from multiprocessing.queues import Queue
from typing import TYPE_CHECKING

from poselab.engine.allocator import apply_allocator_policy
from poselab.parallel.spawning import send_failure, stand_in_for_unused_imports

if TYPE_CHECKING:
    from poselab.engine.pipeline import Progress

PROGRESS_EVERY_S = 0.1


def isolated_entry(request: tuple, niceness_steps: int, messages: Queue) -> None:
    """A whole analysis in this process, ``niceness_steps`` nicer than the parent (threads and workers
    started later inherit it); see ``run_request``."""
    apply_allocator_policy()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_terminate)
    with contextlib.suppress(OSError):
        os.nice(niceness_steps)
    stand_in_for_unused_imports()
    run_request(request, messages)


def _exit_on_terminate(_signal: int, _frame: object) -> None:
    # Unwinds normally, so the analysis ends the workers it started and closes its files.
    raise SystemExit(1)


def run_request(request: tuple, messages: mp.Queue) -> None:
    """The child's side: runs the analysis, reporting progress (throttled), then the result or the error."""
    from poselab.parallel.analyze import analyze_clip  # MediaPipe and friends: after the entry point's set-up

    path, settings, video_out, style, limits, workers = request
    last_s = [0.0]

    def report(done: Progress) -> None:
        now_s = time.monotonic()
        if now_s - last_s[0] >= PROGRESS_EVERY_S or done.frames_done == done.frames_total:
            last_s[0] = now_s
            messages.put(("progress", done))

    try:
        sequence = analyze_clip(path, settings, video_out, style, limits, report, workers=workers)
    except Exception as error:  # not BaseException: SIGTERM's SystemExit must unwind (it ends the workers)
        _plain_kill_from_now_on()
        send_failure(messages, (), error)
    else:
        _plain_kill_from_now_on()
        messages.put(("done", sequence))


def _plain_kill_from_now_on() -> None:
    # No workers are left to end. The parent terminates a child still shutting down once it has the answer,
    # and a SystemExit raised inside the interpreter's shutdown (logging's atexit hook, holding a lock)
    # would print a traceback into the server log.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
