"""Tracking one segment of a clip: the parent's own share (``run_segment``) and a helper's job (``child_main``).

A helper process imports this module (through ``helper_process``) before it says it is ready, so the
imports here are paid for during the parent's head start, not after the split.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import threading
import time
from collections.abc import Callable, Iterator

from poselab.engine.landmarker import PoseDetector
from poselab.engine.pipeline import OverlayWriter, frame_pool, new_builder, track_frames
from poselab.media.decode import Frame
from poselab.parallel.seams import steered
from poselab.parallel.segments import SegmentJob
from poselab.parallel.spawning import send_failure
from poselab.parallel.videoparts import frames_between
from poselab.sequence import PoseSequence


def child_main(job: SegmentJob, messages: mp.Queue, detector: PoseDetector | None = None) -> None:
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
