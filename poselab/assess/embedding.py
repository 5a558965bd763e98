"""Pose embeddings for taught classes, as MediaPipe's pose classification builds them (its
``FullBodyPoseEmbedder``): landmarks centred on the hips and scaled by torso size, then difference vectors
between chosen pairs of landmarks. Invariant to where the person stands and how large they appear; mirroring
is handled by the classifier (it also compares the mirrored query).

Points are image landmarks: x, y in pixels, z as MediaPipe's relative depth in the same scale (z x width).
"""

from __future__ import annotations

import numpy as np

from poselab.sequence import PoseSequence
from poselab.skeleton import LANDMARK_INDEX

TORSO_SIZE_MULTIPLIER = 2.5  # MediaPipe's: the body fits in 2.5 torso lengths from the hips
_I = LANDMARK_INDEX
# MediaPipe's pairs: one-joint segments, two-joint spans, four-joint spans, five-joint spans, across the body
_PAIRS: tuple[tuple[str | tuple[str, str], str | tuple[str, str]], ...] = (
    (("left_hip", "right_hip"), ("left_shoulder", "right_shoulder")),
    ("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow"),
    ("left_elbow", "left_wrist"), ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"), ("right_hip", "right_knee"),
    ("left_knee", "left_ankle"), ("right_knee", "right_ankle"),
    ("left_shoulder", "left_wrist"), ("right_shoulder", "right_wrist"),
    ("left_hip", "left_ankle"), ("right_hip", "right_ankle"),
    ("left_hip", "left_wrist"), ("right_hip", "right_wrist"),
    ("left_shoulder", "left_ankle"), ("right_shoulder", "right_ankle"),
    ("left_hip", "left_wrist"), ("right_hip", "right_wrist"),
    ("left_elbow", "right_elbow"), ("left_knee", "right_knee"),
    ("left_wrist", "right_wrist"), ("left_ankle", "right_ankle"),
)
EMBEDDING_SIZE = len(_PAIRS)


def _point(points: np.ndarray, spec: str | tuple[str, str]) -> np.ndarray:
    if isinstance(spec, tuple):
        return (points[..., _I[spec[0]], :] + points[..., _I[spec[1]], :]) / 2
    return points[..., _I[spec], :]


def normalize(points: np.ndarray) -> np.ndarray:
    """(..., 33, 3) -> the same points with the hip centre at 0 and the body size 1 (MediaPipe's rule: the
    larger of 2.5 torso lengths and the farthest landmark from the hips), times 100 as MediaPipe scales them."""
    hips = _point(points, ("left_hip", "right_hip"))[..., None, :]
    centred = points - hips
    torso = np.linalg.norm(_point(points, ("left_shoulder", "right_shoulder"))[..., :2]
                           - hips[..., 0, :2], axis=-1)
    farthest = np.linalg.norm(centred[..., :2], axis=-1).max(axis=-1)
    size = np.maximum(torso * TORSO_SIZE_MULTIPLIER, farthest)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100 * centred / size[..., None, None]


def embed(points: np.ndarray) -> np.ndarray:
    """(..., 33, 3) landmarks -> (..., EMBEDDING_SIZE, 3) embedding."""
    norm = normalize(points)
    return np.stack([_point(norm, b) - _point(norm, a) for a, b in _PAIRS], axis=-2)


def mirrored(points: np.ndarray) -> np.ndarray:
    """The pose seen in a mirror: x negated and left and right swapped."""
    from poselab.skeleton import LANDMARK_NAMES

    swap = [_I[n.replace("left", "@").replace("right", "left").replace("@", "right")] for n in LANDMARK_NAMES]
    flipped = points[..., swap, :].copy()
    flipped[..., 0] *= -1
    return flipped


def sequence_points(sequence: PoseSequence) -> np.ndarray:
    """(T, P, 33, 3) image points of a sequence: x, y in pixels, z in the same scale (z x width)."""
    z = sequence.image_z[..., None] * sequence.video.width
    return np.concatenate([sequence.image_xy_px.astype(np.float64), z.astype(np.float64)], axis=-1)
