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
again here, its warm-up steered to the previous segment's people (``seams.steered``): results then
follow the same people as one worker, at the cost of tracking that segment twice.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing as mp
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from poselab.engine.pipeline import FrameCounter, analyze_serial, with_run_info
from poselab.errors import PoseLabError, raise_if_cancelled
from poselab.media.decode import Limits
from poselab.parallel.cpus import pinned, plan_cpus
from poselab.parallel.helper_process import helper_entry
from poselab.parallel.seams import continues_previous, match_slots, permute_slots
from poselab.parallel.segment_run import run_segment
from poselab.parallel.segments import SegmentJob, plan_segments, split_remaining
from poselab.parallel.spawning import raise_failure, spawn_guard
from poselab.parallel.videoparts import concat_videos, render_segment
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
    if len(plan_segments(info.duration_s, workers)) == 1:
        return analyze_serial(path, settings, info, video_out, style, limits, progress, cancel)
    started = time.perf_counter()
    counter = FrameCounter(info.frame_count, started, progress)
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
    return with_run_info(sequence, info, settings, elapsed_s, workers=len(jobs))


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
