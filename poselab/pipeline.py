"""Decode -> detect -> collect (-> draw -> encode): one clip in, one PoseSequence out."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from poselab.builder import SequenceBuilder
from poselab.encode import H264Writer
from poselab.errors import PoseLabError
from poselab.landmarker import PoseDetector
from poselab.render.overlay import OverlayStyle, draw_pose
from poselab.sequence import PoseSequence
from poselab.settings import InferenceSettings
from poselab.video import Limits, iter_frames, probe


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


class Cancelled(PoseLabError):
    """The caller asked the analysis to stop."""


ProgressFn = Callable[[Progress], None]


def analyze_clip(
    path: Path,
    settings: InferenceSettings,
    video_out: Path | None = None,
    style: OverlayStyle = OverlayStyle(),
    limits: Limits = Limits(),
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> PoseSequence:
    """Landmarks of every frame of a clip or image; draws the annotated H.264 video to ``video_out``."""
    info = probe(path, limits)
    mask_size = (info.width, info.height) if settings.segmentation else None
    builder = SequenceBuilder(settings.num_poses, mask_of_size=mask_size)
    writer = H264Writer(video_out, info.width, info.height, info.fps) if video_out and not info.is_image else None
    started = time.perf_counter()
    done = 0
    try:
        with PoseDetector(settings, video=not info.is_image) as detector:
            for frame in iter_frames(path, limits):
                if cancel is not None and cancel.is_set():
                    raise Cancelled("analysis cancelled")
                poses = detector.detect(frame.image_rgb, frame.time_s)
                row = builder.append(frame.time_s, poses)
                if writer is not None:
                    writer.write(draw_pose(frame.image_rgb, row[..., 0:2], row[..., 3], poses.mask, style), frame.time_s)
                done += 1
                if progress is not None:
                    progress(Progress(done, info.frame_count, time.perf_counter() - started))
    finally:
        if writer is not None:
            writer.close()
    elapsed_s = time.perf_counter() - started
    sequence = builder.build(info, meta=_meta(settings, elapsed_s, done))
    last_s = float(sequence.time_s[-1]) if done else 0.0
    step_s = 1 / info.fps if info.fps else 0.0
    sequence.video = dataclasses.replace(info, frame_count=done, duration_s=max(info.duration_s, last_s + step_s))
    return sequence


def _meta(settings: InferenceSettings, elapsed_s: float, frames: int) -> dict:
    return {
        "settings": settings.to_dict(),
        "elapsed_s": round(elapsed_s, 3),
        "processing_fps": round(frames / elapsed_s, 2) if elapsed_s > 0 else 0.0,
    }
