"""Where a clip is cut for parallel tracking: segments with warm-up, sized for equal work.

Segment k owns the frames with ``start_k <= time_s < start_k+1`` and is tracked from ``warm_s``
(``OVERLAP_S`` earlier) so the tracker has settled at its first owned frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from poselab.render.overlay import OverlayStyle
from poselab.sequence import VideoInfo
from poselab.settings import InferenceSettings

# Warm-up before each seam: MediaPipe's landmark smoothing settles within ~0.5 s. Measured on the 30 s
# dance loop (full): in the first 0.5 s after the seam a 2-worker run is 0.49 px (max 2.1) from a serial
# run with 0.5 s of warm-up, 0.29 px (max 4.4) with 1 s, 0.87 px with 0.25 s; 0.5 s halves the extra work.
OVERLAP_S = 0.5
# A segment shorter than this is not worth a process (a helper starts in ~0.5 s, then tracks 0.5 s of warm-up).
MIN_SEGMENT_S = 2.0
MAX_WORKERS = 8


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


def split_remaining(done_s: float, duration_s: float, helpers: int, overlap_s: float | None = None,
                    min_segment_s: float | None = None) -> list[tuple[float, float, float]]:
    """(warm_s, start_s, end_s) for each helper once the parent has tracked up to ``done_s``.

    Everyone gets the same work: the parent tracks on to the first start; a helper's warm-up counts
    as work. Fewer helpers (or none: []) when segments would own less than ``min_segment_s``.
    Defaults: ``OVERLAP_S`` and ``MIN_SEGMENT_S``, read at call time.
    """
    overlap_s = OVERLAP_S if overlap_s is None else overlap_s
    min_segment_s = MIN_SEGMENT_S if min_segment_s is None else min_segment_s
    for count in range(min(helpers, MAX_WORKERS - 1), 0, -1):
        work_s = (duration_s - done_s + count * overlap_s) / (count + 1)
        owned_s = work_s - overlap_s
        if owned_s >= min_segment_s:
            starts = [done_s + work_s + k * owned_s for k in range(count)]
            ends = [*starts[1:], math.inf]
            return [(max(0.0, s - overlap_s), s, e) for s, e in zip(starts, ends, strict=True)]
    return []


def plan_segments(duration_s: float, workers: int, overlap_s: float | None = None
                  ) -> list[tuple[float, float, float]]:
    """The split without a head start: (warm_s, start_s, end_s) per segment, the parent's first."""
    helpers = split_remaining(0.0, duration_s, workers - 1, overlap_s)
    first_end = helpers[0][1] if helpers else math.inf
    return [(-math.inf, -math.inf, first_end), *helpers]
