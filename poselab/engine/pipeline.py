"""Decode -> detect -> collect (-> draw -> encode): one clip in, one PoseSequence out.

Drawing and H.264 encoding run on a background thread behind a short bounded queue: inference
never waits for x264 (which releases the GIL). Frames are decoded into a small FramePool and drawn on
in place, so memory stays flat whatever the clip length (no 6 MB array per 1080p frame, see
``framepool`` and ``allocator``).
This is the serial engine: ``parallel/analyze.py`` chooses between it and several processes (``workers``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np

from poselab.engine.allocator import apply_allocator_policy, mmap_threshold_fixed
from poselab.engine.builder import SequenceBuilder
from poselab.engine.landmarker import PoseDetector
from poselab.engine.people import PeopleFinder, open_detector
from poselab.errors import raise_if_cancelled
from poselab.media.decode import Frame, Limits, iter_frames
from poselab.media.encode import H264Writer
from poselab.media.framepool import FramePool
from poselab.render.overlay import OverlayStyle, draw_pose
from poselab.sequence import PoseSequence, VideoInfo
from poselab.settings import InferenceSettings

# Frames waiting for the encoder: enough to ride out x264's bursts, few enough to stay small
# (a 1080p RGB frame is 6 MB).
ENCODE_QUEUE_FRAMES = 4
# The queue, the frame being drawn and encoded, and the one being decoded and detected.
POOL_FRAMES = ENCODE_QUEUE_FRAMES + 2
DEFAULT_STYLE = OverlayStyle()
DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Progress:
    """Where a running analysis is; ``frames_total`` is the container's estimate (0 if unknown)."""

    frames_done: int
    frames_total: int
    elapsed_s: float

    @property
    def fps(self) -> float:
        return self.frames_done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def remaining_s(self) -> float | None:
        if not self.frames_total or not self.fps:
            return None
        return max(self.frames_total - self.frames_done, 0) / self.fps


ProgressFn = Callable[[Progress], None]


def analyze_serial(
    path: Path,
    settings: InferenceSettings,
    info: VideoInfo,
    video_out: Path | None = None,
    style: OverlayStyle = DEFAULT_STYLE,
    limits: Limits = DEFAULT_LIMITS,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> PoseSequence:
    """Landmarks of every frame of a clip or image (``info``: its probe), in this process; draws the
    annotated H.264 video to ``video_out``."""
    apply_allocator_policy()  # also for callers that are not one of our entry points (notebooks, benches)
    started = time.perf_counter()
    builder = new_builder(settings, info)
    writer = OverlayWriter(video_out, info, style) if video_out and not info.is_image else None
    counter = FrameCounter(info.frame_count, started, progress)
    pool = None if info.is_image else frame_pool(info)
    with open_detector(settings, video=not info.is_image) as detector:
        track_frames(iter_frames(path, limits, pool), detector, builder, writer, counter, cancel)
    meta = {"find_people": detector.stats.to_meta(settings)} if isinstance(detector, PeopleFinder) else {}
    return finish_sequence(builder, info, settings, time.perf_counter() - started, **meta)


def frame_pool(info: VideoInfo) -> FramePool:
    """The buffers one analysis decodes into: POOL_FRAMES frames of the clip's upright size."""
    return FramePool((info.height, info.width, 3), POOL_FRAMES)


def new_builder(settings: InferenceSettings, info: VideoInfo) -> SequenceBuilder:
    mask_size = (info.width, info.height) if settings.segmentation else None
    return SequenceBuilder(settings.num_poses, mask_of_size=mask_size)


def track_frames(
    frames: Iterable[Frame],
    detector: PoseDetector | PeopleFinder,
    builder: SequenceBuilder,
    writer: OverlayWriter | None,
    on_frame: Callable[[], None] | None = None,
    cancel: threading.Event | None = None,
    draw_from_s: float = -np.inf,
) -> None:
    """The serial core: each frame is detected, collected and (from ``draw_from_s`` on) drawn.

    Each frame is released (to its pool, if any) once used: by the writer after encoding it, else here.
    ``writer`` is closed here, also on failure, so a partial video never stays open.
    """
    try:
        for frame in frames:
            try:
                raise_if_cancelled(cancel)
                poses = detector.detect(frame.image_rgb, frame.time_s)
                row = builder.append(frame.time_s, poses)
            except BaseException:
                frame.release()
                raise
            if writer is not None and frame.time_s >= draw_from_s:
                writer.put(frame, row, poses.mask)
            else:
                frame.release()
            if on_frame is not None:
                on_frame()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.close()


def finish_sequence(builder: SequenceBuilder, info: VideoInfo, settings: InferenceSettings,
                    elapsed_s: float, **meta: object) -> PoseSequence:
    """The built sequence with the real frame count and duration, and how long it took."""
    sequence = builder.build(info)
    return with_run_info(sequence, info, settings, elapsed_s, **meta)


def with_run_info(sequence: PoseSequence, info: VideoInfo, settings: InferenceSettings,
                  elapsed_s: float, **meta: object) -> PoseSequence:
    done = sequence.num_frames
    last_s = float(sequence.time_s[-1]) if done else 0.0
    step_s = 1 / info.fps if info.fps else 0.0
    sequence.video = dataclasses.replace(info, frame_count=done, duration_s=max(info.duration_s, last_s + step_s))
    sequence.meta = {
        "settings": settings.to_dict(),
        "elapsed_s": round(elapsed_s, 3),
        "processing_fps": round(done / elapsed_s, 2) if elapsed_s > 0 else 0.0,
        "mmap_threshold_fixed": bool(mmap_threshold_fixed()),  # the allocator policy it ran under
        **meta,
    }
    return sequence


class FrameCounter:
    """Counts frames and reports Progress to the caller's callback."""

    def __init__(self, total: int, started: float, progress: ProgressFn | None) -> None:
        self.done = 0
        self._total = total
        self._started = started
        self._progress = progress

    def __call__(self, frames: int = 1) -> None:
        self.done += frames
        if self._progress is not None:
            self._progress(Progress(self.done, self._total, time.perf_counter() - self._started))


class OverlayWriter:
    """Draws the skeleton and encodes H.264 on a background thread fed by a bounded queue."""

    def __init__(self, path: Path, info: VideoInfo, style: OverlayStyle = DEFAULT_STYLE) -> None:
        self._encoder = H264Writer(path, info.width, info.height, info.fps)
        self._style = style
        self._queue: queue.Queue = queue.Queue(maxsize=ENCODE_QUEUE_FRAMES)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="poselab-encode", daemon=True)
        self._thread.start()

    def put(self, frame: Frame, row: np.ndarray, mask: np.ndarray | None) -> None:
        """Queues one frame and its (P, 33, 8) slot rows; blocks while the encoder is behind.

        The frame is drawn on in place and released once encoded (or dropped after a failure).
        """
        if self._error is not None:
            frame.release()
            raise self._error
        self._queue.put((frame, row, mask))

    def close(self) -> None:
        """Waits for the queued frames, finalises the file; re-raises an encoder failure."""
        self._stop()
        self._encoder.close()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """Stops without re-raising (the caller is already failing)."""
        self._stop()
        with contextlib.suppress(Exception):  # the caller's error matters, not this one
            self._encoder.close()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            frame, row, mask = item
            try:
                if self._error is None:  # else keep draining so the producer never blocks on a dead consumer
                    canvas = draw_pose(frame.image_rgb, row[..., 0:2], row[..., 3], mask, self._style,
                                       in_place=frame.pool is not None)
                    self._encoder.write(canvas, frame.time_s)
            except BaseException as error:  # handed to the producer thread
                self._error = error
            finally:
                frame.release()  # the encoder has copied it: the decoder may reuse the buffer

    def __enter__(self) -> OverlayWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
