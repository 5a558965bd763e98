"""``analyze_clip``, the front door for one clip: serially in this process, or over worker processes.

It sits above both so that neither imports the other: the serial engine (``engine/pipeline.py``) knows
nothing of processes, and ``workers.py`` falls back to the engine when a clip is too short to split.
"""

from __future__ import annotations

import threading
from pathlib import Path

from poselab.engine.pipeline import DEFAULT_LIMITS, DEFAULT_STYLE, ProgressFn, analyze_serial
from poselab.media.decode import Limits, probe
from poselab.render.overlay import OverlayStyle
from poselab.sequence import PoseSequence
from poselab.settings import InferenceSettings


def analyze_clip(
    path: Path,
    settings: InferenceSettings,
    video_out: Path | None = None,
    style: OverlayStyle = DEFAULT_STYLE,
    limits: Limits = DEFAULT_LIMITS,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    workers: int = 1,
) -> PoseSequence:
    """Landmarks of every frame of a clip or image; draws the annotated H.264 video to ``video_out``.

    ``workers`` > 1 splits a video into that many segments tracked in parallel processes; the find-people
    mode always runs in this one process (its searches and followed people span the whole clip).
    """
    info = probe(path, limits)
    if workers > 1 and not info.is_image and settings.find_people == "off":
        from poselab.parallel.workers import analyze_parallel  # spawns processes: loaded only when asked for

        return analyze_parallel(path, settings, info, workers, video_out, style, limits, progress, cancel)
    return analyze_serial(path, settings, info, video_out, style, limits, progress, cancel)
