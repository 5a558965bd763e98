"""An analysis in a process of its own at a lower CPU priority, for a server that also streams live.

The dashboard's server runs every browser session, the webcam streams and their WebRTC event loop in
one Python process. An analysis in a thread of it shares the GIL with all of them, and giving that
thread a lower priority (so live streams come first) backfires: when a busy machine leaves the
low-priority thread no CPU while it holds the GIL, the whole server stands still for seconds and
browsers drop their webcam connections. In a process of its own the analysis can be as nice as it
likes; it also returns its memory to the system when it ends.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import shutil
import tempfile
import threading
from pathlib import Path

from poselab.engine.pipeline import DEFAULT_LIMITS, DEFAULT_STYLE, ProgressFn
from poselab.errors import PoseLabError, raise_if_cancelled
from poselab.media.decode import Limits
from poselab.parallel.isolated_process import isolated_entry
from poselab.parallel.spawning import raise_failure, spawn_guard
from poselab.render.overlay import OverlayStyle
from poselab.sequence import PoseSequence
from poselab.settings import InferenceSettings

BATCH_NICENESS_STEPS = 10  # live streams on the same machine come first
_POLL_S = 0.2


def analyze_isolated(
    path: Path,
    settings: InferenceSettings,
    video_out: Path | None = None,
    style: OverlayStyle = DEFAULT_STYLE,
    limits: Limits = DEFAULT_LIMITS,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    workers: int = 1,
    niceness_steps: int = BATCH_NICENESS_STEPS,
) -> PoseSequence:
    """``analyze_clip`` in a spawned process ``niceness_steps`` nicer than this one: same result, same errors.

    The process (and the workers it starts) ends when this returns, raises, or is interrupted.
    """
    context = mp.get_context("spawn")
    messages = context.Queue()
    request = (path, settings, video_out, style, limits, workers)
    child = context.Process(target=isolated_entry, args=(request, niceness_steps, messages), name="poselab-analysis")
    scratch_dir = Path(tempfile.mkdtemp(prefix="poselab-analysis-"))
    try:
        with spawn_guard(scratch_dir):
            child.start()
        return _wait(child, messages, progress, cancel)
    finally:
        if child.is_alive():
            child.terminate()  # the child ends its own workers on SIGTERM
        child.join(timeout=10)
        messages.close()
        shutil.rmtree(scratch_dir, ignore_errors=True)


def _wait(child: mp.process.BaseProcess, messages: mp.Queue, progress: ProgressFn | None,
          cancel: threading.Event | None) -> PoseSequence:
    while True:
        raise_if_cancelled(cancel)
        try:
            kind, payload = messages.get(timeout=_POLL_S)
        except queue.Empty:
            if child.is_alive():
                continue
            try:  # it may have ended right after its last word
                kind, payload = messages.get(timeout=_POLL_S)
            except queue.Empty:
                raise PoseLabError("the analysis process ended unexpectedly (out of memory?)") from None
        if kind == "progress":
            if progress is not None:
                progress(payload)
        elif kind == "done":
            return payload
        else:
            raise_failure(payload, "the analysis process")
