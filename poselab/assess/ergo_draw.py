"""A frame with one person's skeleton and the posture angles RULA / REBA scored, written beside the joints."""

from __future__ import annotations

import numpy as np

from poselab.assess.ergonomics import ErgoResult
from poselab.render.overlay import draw_labels, draw_pose
from poselab.skeleton import LANDMARK_INDEX

# (angle, landmark the label sits at, short name); sided angles get the side's landmark
_LABELS = (
    ("trunk_flexion_deg", "left_hip", "trunk"),
    ("neck_flexion_deg", "nose", "neck"),
    ("upper_arm_flexion_deg", "shoulder", "arm"),
    ("elbow_flexion_deg", "elbow", "elbow"),
    ("wrist_flexion_deg", "wrist", "wrist"),
    ("knee_flexion_deg", "knee", "knee"),
)
SHARED = {"trunk_flexion_deg", "neck_flexion_deg"}


def angle_labels(result: ErgoResult, frame: int, slot: int, scale: float = 1.0) -> list[tuple[float, float, str]]:
    """(x_px, y_px, text) for every measured angle of one person in one frame (unmeasured ones left out);
    ``scale``: shown image width / the clip's width."""
    xy = result.sequence.image_xy_px[frame, slot] * scale
    labels: list[tuple[float, float, str]] = []
    for side_index, side in enumerate(("left", "right")):
        for name, landmark, short in _LABELS:
            if name in SHARED and side_index:
                continue
            value = float(result.angles[name][frame, slot, side_index])
            if not np.isfinite(value):
                continue
            where = landmark if name in SHARED else f"{side}_{landmark}"
            x, y = xy[LANDMARK_INDEX[where]]
            prefix = "" if name in SHARED else side[0].upper() + " "
            labels.append((float(x), float(y), f"{prefix}{short} {value:.0f}"))
    return labels


def ergo_frame(image_rgb: np.ndarray, result: ErgoResult, frame: int, slot: int,
               visibility_threshold: float = 0.5) -> np.ndarray:
    """``image_rgb`` (the clip's frame at any size) with the person in ``slot`` drawn and the angles of
    ``frame`` written on it."""
    from poselab.render.overlay import OverlayStyle

    sequence = result.sequence
    width = sequence.video.width
    scale = image_rgb.shape[1] / width if width else 1.0
    drawn = draw_pose(image_rgb, sequence.image_xy_px[frame, slot:slot + 1] * scale,
                      sequence.visibility[frame, slot:slot + 1],
                      style=OverlayStyle(visibility_threshold=visibility_threshold))
    return draw_labels(drawn, angle_labels(result, frame, slot, scale))
