"""Growing a PoseSequence frame by frame from detector output (frame count need not be known)."""

from __future__ import annotations

import cv2
import numpy as np

from poselab.engine.landmarker import FramePoses
from poselab.engine.tracking import SlotTracker, pose_centres_px
from poselab.sequence import PoseSequence, VideoInfo
from poselab.skeleton import NUM_LANDMARKS

MASK_MAX_SIDE_PX = 256


class SequenceBuilder:
    """Collects per-frame poses into slots; ``build`` stacks them into one PoseSequence."""

    def __init__(self, num_slots: int, mask_of_size: tuple[int, int] | None = None) -> None:
        """``mask_of_size``: the frame's (width, height) when segmentation masks are to be kept."""
        self.num_slots = num_slots
        self._tracker = SlotTracker(num_slots)
        self._mask_shape = mask_shape(*mask_of_size) if mask_of_size else None
        self._times: list[float] = []
        self._rows: list[np.ndarray] = []  # (P, 33, 8): x, y, z, vis, pres, wx, wy, wz
        self._masks: list[np.ndarray] = []

    def append(self, time_s: float, poses: FramePoses) -> np.ndarray:
        """Adds one frame; returns its (P, 33, 8) slot rows (NaN for empty slots)."""
        row = np.full((self.num_slots, NUM_LANDMARKS, 8), np.nan, dtype=np.float32)
        slots = self._tracker.assign(pose_centres_px(poses.image_xy_px))
        for pose, slot in enumerate(slots):
            row[slot, :, 0:2] = poses.image_xy_px[pose]
            row[slot, :, 2] = poses.image_z[pose]
            row[slot, :, 3] = poses.visibility[pose]
            row[slot, :, 4] = poses.presence[pose]
            row[slot, :, 5:8] = poses.world_xyz_m[pose]
        self._times.append(time_s)
        self._rows.append(row)
        if self._mask_shape is not None:
            self._masks.append(downscale_mask(poses.mask, self._mask_shape))
        return row

    def build(self, video: VideoInfo, meta: dict | None = None) -> PoseSequence:
        rows = np.stack(self._rows) if self._rows else np.zeros((0, self.num_slots, NUM_LANDMARKS, 8), np.float32)
        return PoseSequence(
            time_s=np.asarray(self._times, dtype=np.float64),
            image_xy_px=rows[..., 0:2].copy(),
            image_z=rows[..., 2].copy(),
            visibility=rows[..., 3].copy(),
            presence=rows[..., 4].copy(),
            world_xyz_m=rows[..., 5:8].copy(),
            video=video,
            segmentation=np.stack(self._masks) if self._masks else None,
            meta=dict(meta or {}),
        )


def mask_shape(width: int, height: int) -> tuple[int, int]:
    """(rows, cols) of a stored mask: the frame scaled to at most MASK_MAX_SIDE_PX a side."""
    scale = min(1.0, MASK_MAX_SIDE_PX / max(width, height))
    return max(1, round(height * scale)), max(1, round(width * scale))


def downscale_mask(mask: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    """A 0..1 float mask as uint8 0..255 of ``shape`` (zeros when the frame had no mask)."""
    if mask is None:
        return np.zeros(shape, np.uint8)
    small = cv2.resize(mask.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return np.clip(small * 255 + 0.5, 0, 255).astype(np.uint8)
