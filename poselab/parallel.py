"""Tracking one clip in N processes: split into time segments, track each, stitch them back.

Segment k owns the frames with ``start_k <= time_s < start_k+1``. Its worker starts decoding
``OVERLAP_S`` earlier: those warm-up frames let the tracker settle (VIDEO mode smooths and tracks
from frame to frame) and, being also tracked by segment k-1, tell which of k's person slots is
which of k-1's. Every worker computes a frame's time from its pts exactly as ``iter_frames`` does,
so the owned ranges tile the clip with no frame lost or doubled.

The parent process tracks segment 0 itself while the children start (spawned: MediaPipe's threads
do not survive ``fork``). Each segment's annotated video is a separate H.264 part, remuxed into one
file without re-encoding.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from poselab.errors import PoseLabError
from poselab.landmarker import PoseDetector
from poselab.render.overlay import OverlayStyle
from poselab.sequence import PoseSequence, VideoInfo, concat_frames
from poselab.settings import InferenceSettings
from poselab.stitch import match_slots, permute_slots
from poselab.video import Frame, Limits
from poselab.videoparts import concat_videos, frames_between, render_segment

# Warm-up before each seam: MediaPipe's landmark smoothing settles within ~0.5 s; 1 s is safe.
OVERLAP_S = 1.0
# A segment shorter than this is not worth a process (start-up costs ~1-2 s).
MIN_SEGMENT_S = 2.0
MAX_WORKERS = 8
_POLL_S = 0.2


@dataclass(frozen=True)
class SegmentJob:
    """What one worker tracks: frames in [warm_s, end_s), drawn from start_s on."""

    index: int
    path: Path
    settings: InferenceSettings
    info: VideoInfo
    warm_s: float
    start_s: float
    end_s: float
    video_part: Path | None
    style: OverlayStyle


def plan_segments(duration_s: float, workers: int, overlap_s: float = OVERLAP_S) -> list[tuple[float, float, float]]:
    """(warm_s, start_s, end_s) per segment; fewer segments than asked when the clip is short."""
    count = max(1, min(workers, MAX_WORKERS, int(duration_s // MIN_SEGMENT_S)))
    starts = [duration_s * k / count for k in range(count)]
    ends = [*starts[1:], math.inf]
    plan = [(-math.inf, -math.inf, ends[0])]  # segment 0 needs no warm-up: serial runs start cold too
    plan += [(max(0.0, s - overlap_s), s, e) for s, e in zip(starts[1:], ends[1:], strict=True)]
    return plan


def analyze_parallel(
    path: Path,
    settings: InferenceSettings,
    info: VideoInfo,
    workers: int,
    video_out: Path | None,
    style: OverlayStyle,
    limits: Limits,
    progress: Callable | None,
    cancel: threading.Event | None,
) -> PoseSequence:
    """``analyze_clip`` over ``workers`` processes; same result shape, slots consistent across seams."""
    from poselab import pipeline  # circular at import time: pipeline imports this module lazily

    plan = plan_segments(info.duration_s, workers)
    if len(plan) == 1:
        return pipeline.analyze_clip(path, settings, video_out, style, limits, progress, cancel)
    started = time.perf_counter()
    counter = pipeline.FrameCounter(info.frame_count, started, progress)
    with tempfile.TemporaryDirectory(prefix="poselab-parts-", dir=video_out.parent if video_out else None) as tmp:
        jobs = [
            SegmentJob(k, path, settings, info, warm, start, end,
                       Path(tmp) / f"part{k:02d}.mp4" if video_out else None, style)
            for k, (warm, start, end) in enumerate(plan)
        ]
        parts = _run_jobs(jobs, counter, cancel)
        sequence, permuted = stitch(parts, jobs)
        if video_out is not None:
            videos = [job.video_part for job in jobs]
            for k in permuted:  # colours follow slots: redraw a part whose slots were renumbered
                videos[k] = Path(tmp) / f"redraw{k:02d}.mp4"
                job = jobs[k]
                render_segment(path, info, style, sequence, job.start_s, job.end_s, videos[k])
            concat_videos(videos, video_out, info)  # type: ignore[arg-type]
    elapsed_s = time.perf_counter() - started
    return pipeline.with_run_info(sequence, info, settings, elapsed_s, workers=len(jobs))


def stitch(parts: list[PoseSequence], jobs: list[SegmentJob]) -> tuple[PoseSequence, list[int]]:
    """One sequence from the segments' results; also the segments whose slots had to be renumbered."""
    kept: list[PoseSequence] = []
    permuted = []
    previous = parts[0]
    for k, (part, job) in enumerate(zip(parts, jobs, strict=True)):
        if k:
            order = match_slots(previous, part, job.start_s)
            if order != list(range(part.num_slots)):
                part = permute_slots(part, order)
                permuted.append(k)
        owned = int(np.searchsorted(part.time_s, job.start_s, side="left")) if k else 0
        kept.append(part.slice_frames(owned, part.num_frames))
        previous = part
    return concat_frames(kept), permuted


_SPAWN_LOCK = threading.Lock()


@contextlib.contextmanager
def _spawn_guard(scratch_dir: Path) -> Iterator[None]:
    """What spawned children inherit while they start, restored afterwards.

    - a bare ``__main__``: children re-run the parent's main file, and under Streamlit that is the page
      script (each script run is installed as ``__main__``), so they would run the page;
    - ``TMPDIR`` = a scratch folder the parent removes: a child terminated mid-import (cancel) can
      otherwise leave third-party temporary files (ctypes runs gcc to find libraries) in /tmp.
    """
    with _SPAWN_LOCK:
        main = sys.modules.get("__main__")
        tmpdir = os.environ.get("TMPDIR")
        sys.modules["__main__"] = types.ModuleType("__main__")
        os.environ["TMPDIR"] = str(scratch_dir)
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main
            if tmpdir is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = tmpdir


def _run_jobs(jobs: list[SegmentJob], counter: Callable[[int], None], cancel: threading.Event | None) -> list:
    """Runs job 0 here and the others in spawned processes; results in job order."""
    context = mp.get_context("spawn")
    messages = context.Queue()
    children = [context.Process(target=_child_entry, args=(job, messages), daemon=True) for job in jobs[1:]]
    results: dict[int, PoseSequence] = {}
    scratch_dir = Path(tempfile.mkdtemp(prefix="poselab-workers-"))
    with _spawn_guard(scratch_dir):
        for child in children:
            child.start()
    try:
        def on_own_frame() -> None:
            counter(1)
            _drain(messages, results, counter, block=False)  # the children's progress, and their failures early

        results[0] = run_segment(jobs[0], on_own_frame, cancel)
        while len(results) < len(jobs):
            if cancel is not None and cancel.is_set():
                from poselab.pipeline import Cancelled

                raise Cancelled("analysis cancelled")
            if not _drain(messages, results, counter, block=True) and not any(c.is_alive() for c in children):
                _drain(messages, results, counter, block=False)
                if len(results) < len(jobs):
                    raise PoseLabError("a tracking worker process ended unexpectedly (out of memory?)")
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join(timeout=5)
        messages.close()
        shutil.rmtree(scratch_dir, ignore_errors=True)
    return [results[k] for k in range(len(jobs))]


def _drain(messages: mp.Queue, results: dict, counter: Callable[[int], None], block: bool) -> bool:
    """Handles the children's messages waiting now (or within a short poll); True if any came."""
    got = False
    while True:
        try:
            kind, index, payload = messages.get(timeout=_POLL_S) if block and not got else messages.get_nowait()
        except queue.Empty:
            return got
        got = True
        if kind == "frames":
            counter(payload)
        elif kind == "done":
            results[index] = payload
        else:
            if isinstance(payload, PoseLabError):
                raise payload
            raise RuntimeError(f"tracking worker {index} failed: {payload} (traceback in the server log)")


def _child_entry(job: SegmentJob, messages: mp.Queue) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it ends the workers
    _child_main(job, messages)


def _child_main(job: SegmentJob, messages: mp.Queue) -> None:
    """Entry point of a spawned worker: progress in batches, then the result or the error."""
    pending = [0, time.monotonic()]

    def on_frame() -> None:
        pending[0] += 1
        if time.monotonic() - pending[1] > 0.25:
            messages.put(("frames", job.index, pending[0]))
            pending[:] = [0, time.monotonic()]

    try:
        sequence = run_segment(job, on_frame)
        messages.put(("frames", job.index, pending[0]))
        messages.put(("done", job.index, sequence))
    except PoseLabError as error:
        messages.put(("error", job.index, error))
    except BaseException as error:  # a bug: the details go to the server log, a one-line reason to the parent
        traceback.print_exc()
        messages.put(("error", job.index, f"{type(error).__name__}: {error}"))


def run_segment(job: SegmentJob, on_owned_frame: Callable[[], object], cancel: threading.Event | None = None
                ) -> PoseSequence:
    """Tracks one segment (warm-up included) and writes its part of the annotated video."""
    from poselab.pipeline import OverlayWriter, new_builder, track_frames

    builder = new_builder(job.settings, job.info)
    writer = OverlayWriter(job.video_part, job.info, job.style) if job.video_part else None
    with PoseDetector(job.settings, video=True) as detector:
        frames = _counted(frames_between(job.path, job.warm_s, job.end_s), job.start_s, on_owned_frame)
        track_frames(frames, detector, builder, writer, None, cancel, draw_from_s=job.start_s)
    return builder.build(job.info)


def _counted(frames: Iterator[Frame], from_s: float, on_frame: Callable[[], object]) -> Iterator[Frame]:
    """Calls ``on_frame`` once each frame from ``from_s`` on is done (warm-up frames are not progress)."""
    for frame in frames:
        yield frame
        if frame.time_s >= from_s:
            on_frame()
