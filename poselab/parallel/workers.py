"""Tracking one clip in N processes: split into time segments, track each, stitch them back.

Segment k owns the frames with ``start_k <= time_s < start_k+1``. Its worker starts decoding
``OVERLAP_S`` earlier: those warm-up frames let the tracker settle (VIDEO mode smooths and tracks
from frame to frame) and, being also tracked by segment k-1, tell which of k's person slots is
which of k-1's. Every worker computes a frame's time from its pts exactly as ``iter_frames`` does,
so the owned ranges tile the clip with no frame lost or doubled.

The parent process tracks from the first frame while the children start (spawned: MediaPipe's
threads do not survive ``fork``; one is ready after ~0.5 s of imports and model loading). Only when every child is
ready does the parent split what it has not tracked yet into equal amounts of work, its own share
first: so start-up time and warm-up frames are paid for out of the parent's head start instead of
leaving one process idle at the end. Each segment's annotated video is a separate H.264 part,
remuxed into one file without re-encoding.

A segment that started following other people than the segment before it at the seam is tracked
again here, its warm-up steered to the previous segment's people (``stitch.steered``): results then
follow the same people as one worker, at the cost of tracking that segment twice.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import multiprocessing as mp
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from poselab.engine.landmarker import PoseDetector
from poselab.errors import PoseLabError, raise_if_cancelled
from poselab.media.decode import Frame, Limits
from poselab.parallel.cpus import pinned, plan_cpus
from poselab.parallel.seams import continues_previous, match_slots, permute_slots, steered
from poselab.parallel.segments import SegmentJob, plan_segments, split_remaining
from poselab.parallel.spawning import helper_entry, raise_failure, send_failure, spawn_guard
from poselab.parallel.videoparts import concat_videos, frames_between, render_segment
from poselab.render.overlay import OverlayStyle
from poselab.sequence import PoseSequence, VideoInfo, concat_frames
from poselab.settings import InferenceSettings

# The parent tracks while the children start; tests turn this off for a split that does not
# depend on how fast the machine is.
HEAD_START = True
_POLL_S = 0.2


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
    from poselab.engine import pipeline  # circular at import time: pipeline imports this module lazily

    if len(plan_segments(info.duration_s, workers)) == 1:
        return pipeline.analyze_clip(path, settings, video_out, style, limits, progress, cancel)
    started = time.perf_counter()
    counter = pipeline.FrameCounter(info.frame_count, started, progress)
    with tempfile.TemporaryDirectory(prefix="poselab-parts-", dir=video_out.parent if video_out else None) as tmp:
        first = SegmentJob(0, path, settings, info, -math.inf, -math.inf, math.inf,
                           Path(tmp) / "part00.mp4" if video_out else None, style)
        jobs, parts = _run_jobs(first, workers - 1, counter, cancel)

        def retrack(job: SegmentJob, previous: PoseSequence) -> PoseSequence:
            return run_segment(dataclasses.replace(job, video_part=None), lambda _t: None, cancel, steer=previous)

        sequence, redrawn = stitch(parts, jobs, retrack)
        if video_out is not None:
            videos = [job.video_part for job in jobs]
            for k in redrawn:  # colours follow slots: redraw a part whose slots were renumbered or re-tracked
                videos[k] = Path(tmp) / f"redraw{k:02d}.mp4"
                job = jobs[k]
                render_segment(path, info, style, sequence, job.start_s, job.end_s, videos[k])
            concat_videos(videos, video_out, info)  # type: ignore[arg-type]
    elapsed_s = time.perf_counter() - started
    return pipeline.with_run_info(sequence, info, settings, elapsed_s, workers=len(jobs))


def stitch(parts: list[PoseSequence], jobs: list[SegmentJob],
           retrack: Callable[[SegmentJob, PoseSequence], PoseSequence] | None = None
           ) -> tuple[PoseSequence, list[int]]:
    """One sequence from the segments' results; also the segments whose slots were renumbered or re-tracked.

    ``retrack(job, previous)`` tracks a segment again following ``previous``'s people, for a segment
    that does not continue them at its seam (seams in order: a re-tracked part is the next one's previous).
    """
    kept: list[PoseSequence] = []
    changed = []
    previous = parts[0]
    for k, (part, job) in enumerate(zip(parts, jobs, strict=True)):
        if k:
            order = match_slots(previous, part, job.start_s)
            if retrack is not None and not continues_previous(previous, part, job.start_s, order):
                part = retrack(job, previous)
                order = match_slots(previous, part, job.start_s)
                changed.append(k)
            if order != list(range(part.num_slots)):
                part = permute_slots(part, order)
                changed.append(k)
        owned = int(np.searchsorted(part.time_s, job.start_s, side="left")) if k else 0
        kept.append(part.slice_frames(owned, part.num_frames))
        previous = part
    return concat_frames(kept), sorted(set(changed))


class _Handout:
    """The parent's side of the late split: which helpers are ready, and the jobs once handed out."""

    def __init__(self, first: SegmentJob, inboxes: list) -> None:
        self.first = first
        self.inboxes = inboxes
        self.ready: set[int] = set()
        self.jobs: list[SegmentJob] | None = None
        self.parent_end_s = math.inf

    def all_ready(self) -> bool:
        return len(self.ready) == len(self.inboxes)

    def assign(self, done_s: float) -> None:
        """Splits what follows ``done_s``; helpers left without a segment are told to stop."""
        part = self.first.video_part
        helpers = [
            dataclasses.replace(self.first, index=k + 1, warm_s=warm, start_s=start, end_s=end,
                                video_part=part.with_name(f"part{k + 1:02d}.mp4") if part else None)
            for k, (warm, start, end) in enumerate(split_remaining(done_s, self.first.info.duration_s,
                                                                    len(self.inboxes)))
        ]
        for k, inbox in enumerate(self.inboxes):
            inbox.put(helpers[k] if k < len(helpers) else None)
        self.parent_end_s = helpers[0].start_s if helpers else math.inf
        self.jobs = [dataclasses.replace(self.first, end_s=self.parent_end_s), *helpers]


def _run_jobs(first: SegmentJob, helpers: int, counter: Callable[[int], None], cancel: threading.Event | None
              ) -> tuple[list[SegmentJob], list[PoseSequence]]:
    """Tracks ``first`` here and hands the rest to spawned helpers; the jobs run and their results."""
    context = mp.get_context("spawn")
    messages = context.Queue()
    inboxes = [context.Queue() for _ in range(helpers)]
    cpus = plan_cpus(helpers + 1)
    children = [context.Process(target=helper_entry, args=(k + 1, first.settings, inboxes[k], messages, cpus[k + 1]),
                                daemon=True)
                for k in range(helpers)]
    handout = _Handout(first, inboxes)
    results: dict[int, PoseSequence] = {}
    scratch_dir = Path(tempfile.mkdtemp(prefix="poselab-workers-"))
    with spawn_guard(scratch_dir):
        for child in children:
            child.start()

    def poll(block: bool) -> bool:
        return _drain(messages, results, counter, block, handout.ready)

    def on_own_frame(time_s: float) -> None:
        counter(1)
        poll(False)  # the children's progress and readiness, and their failures early
        if handout.jobs is None and handout.all_ready():
            handout.assign(time_s)

    try:
        while not HEAD_START and not handout.all_ready():
            raise_if_cancelled(cancel)
            if not poll(True) and not all(c.is_alive() for c in children):
                raise PoseLabError("a tracking worker process ended unexpectedly (out of memory?)")
        if not HEAD_START:
            handout.assign(0.0)
        with pinned(cpus[0]):
            results[0] = run_segment(first, on_own_frame, cancel, end_s=lambda: handout.parent_end_s)
        if handout.jobs is None:  # the parent got to the end first: nothing left to hand out
            handout.assign(math.inf)
        jobs = handout.jobs or [first]
        working = [children[job.index - 1] for job in jobs[1:]]
        while any(job.index not in results for job in jobs):
            raise_if_cancelled(cancel)
            if not poll(True) and not any(c.is_alive() for c in working):
                poll(False)
                if any(job.index not in results for job in jobs):
                    raise PoseLabError("a tracking worker process ended unexpectedly (out of memory?)")
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join(timeout=5)
        messages.close()
        shutil.rmtree(scratch_dir, ignore_errors=True)
    return jobs, [results[job.index] for job in jobs]


def _drain(messages: mp.Queue, results: dict, counter: Callable[[int], None], block: bool,
           ready: set[int] | None = None) -> bool:
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
        elif kind == "ready":
            if ready is not None:
                ready.add(index)
        elif kind == "done":
            results[index] = payload
        else:
            raise_failure(payload, f"tracking worker {index}")


def _child_main(job: SegmentJob, messages: mp.Queue, detector: PoseDetector | None = None) -> None:
    """A helper's work: progress in batches, then the result or the error."""
    pending = [0, time.monotonic()]

    def on_frame(_time_s: float) -> None:
        pending[0] += 1
        if time.monotonic() - pending[1] > 0.25:
            messages.put(("frames", job.index, pending[0]))
            pending[:] = [0, time.monotonic()]

    try:
        sequence = run_segment(job, on_frame, detector=detector)
        messages.put(("frames", job.index, pending[0]))
        messages.put(("done", job.index, sequence))
    except BaseException as error:
        send_failure(messages, (job.index,), error)


def run_segment(job: SegmentJob, on_owned_frame: Callable[[float], object],
                cancel: threading.Event | None = None, end_s: Callable[[], float] | None = None,
                detector: PoseDetector | None = None, steer: PoseSequence | None = None) -> PoseSequence:
    """Tracks one segment (warm-up included) and writes its part of the annotated video.

    ``end_s``, when given, is asked before each frame: the parent's end is only known once the
    helpers are ready. ``detector``: a fresh VIDEO-mode detector opened in advance (closed here).
    ``steer``: the previous segment, whose people the warm-up is to lock onto.
    """
    from poselab.engine.pipeline import OverlayWriter, frame_pool, new_builder, track_frames

    builder = new_builder(job.settings, job.info)
    writer = OverlayWriter(job.video_part, job.info, job.style) if job.video_part else None
    with detector or PoseDetector(job.settings, video=True) as detector:
        frames = frames_between(job.path, job.warm_s, job.end_s, frame_pool(job.info))
        if end_s is not None:
            frames = _until(frames, end_s)
        if steer is not None:
            frames = steered(frames, steer, job.start_s)
        track_frames(_counted(frames, job.start_s, on_owned_frame), detector, builder, writer, None, cancel,
                     draw_from_s=job.start_s)
    return builder.build(job.info)


def _until(frames: Iterator[Frame], end_s: Callable[[], float]) -> Iterator[Frame]:
    with contextlib.closing(frames):  # closes the file when we stop early
        for frame in frames:
            if frame.time_s >= end_s():
                return
            yield frame


def _counted(frames: Iterator[Frame], from_s: float, on_frame: Callable[[float], object]) -> Iterator[Frame]:
    """Calls ``on_frame(time_s)`` once each frame from ``from_s`` on is done (warm-up frames are not progress)."""
    for frame in frames:
        yield frame
        if frame.time_s >= from_s:
            on_frame(frame.time_s)
