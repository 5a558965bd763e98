"""The Live page's rolling window: one row of landmarks per processed frame, and the PoseSequence the panels read.

Rows are kept as ``SequenceBuilder`` keeps them, (slots, 33, 8) float32: x, y, z, visibility, presence, wx, wy, wz.
"""

from __future__ import annotations

import numpy as np

from poselab.engine.landmarker import FramePoses
from poselab.engine.tracking import SlotTracker, pose_centres_px
from poselab.sequence import PoseSequence, VideoInfo
from poselab.skeleton import NUM_LANDMARKS

HISTORY_S = 10.0  # the rolling window the live charts show
# Also a bound in frames, whatever the clocks say: the history is copied when a new frame is read.
HISTORY_MAX_FRAMES = int(HISTORY_S * 60)


def slot_rows(tracker: SlotTracker, poses: FramePoses, num_slots: int) -> np.ndarray:
    """(P, 33, 8) rows as SequenceBuilder keeps them: x, y, z, vis, pres, wx, wy, wz; NaN when empty."""
    row = np.full((num_slots, NUM_LANDMARKS, 8), np.nan, dtype=np.float32)
    for pose, slot in enumerate(tracker.assign(pose_centres_px(poses.image_xy_px))):
        row[slot, :, 0:2] = poses.image_xy_px[pose]
        row[slot, :, 2] = poses.image_z[pose]
        row[slot, :, 3] = poses.visibility[pose]
        row[slot, :, 4] = poses.presence[pose]
        row[slot, :, 5:8] = poses.world_xyz_m[pose]
    return row


def history_sequence(items: list[tuple[float, np.ndarray]], size: tuple[int, int]) -> PoseSequence:
    """The window as a PoseSequence of the frame size ``size`` (width, height); ``items`` are (time_s, row)."""
    rows = np.stack([row for _, row in items])
    times = np.array([t for t, _ in items], dtype=np.float64)
    duration_s = float(times[-1] - times[0])
    video = VideoInfo(size[0], size[1], len(times) / duration_s if duration_s > 0 else 0.0, len(times), duration_s,
                      source_name="webcam")
    # Read-only: every panel of every refresh until the next frame gets this same sequence.
    rows.setflags(write=False)
    times.setflags(write=False)
    return PoseSequence(time_s=times, image_xy_px=rows[..., 0:2], image_z=rows[..., 2], visibility=rows[..., 3],
                        presence=rows[..., 4], world_xyz_m=rows[..., 5:8], video=video)
