"""Synthetic skeletons posed from the angles the ergonomic methods score (the tests' ground truth).

Body axes of a posed skeleton, world metres, y down: up = (0, -1, 0), the person's left = +x, forward = -z.
Each angle is built so that the definition of issue 15 measures it back exactly: e.g. the trunk vector has
sagittal angle ``trunk_flexion`` and frontal angle ``trunk_side_bend``; the upper arm's angles are relative
to the trunk's downward line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from poselab.sequence import PoseSequence, VideoInfo
from poselab.skeleton import LANDMARK_INDEX, NUM_LANDMARKS

UP = np.array([0.0, -1.0, 0.0])
LEFT = np.array([1.0, 0.0, 0.0])
FORWARD = np.array([0.0, 0.0, -1.0])


@dataclass(frozen=True)
class Arm:
    """One side's limbs: degrees; ``forearm`` "forward" (bent towards the front) or "inward" (across the body)."""

    flexion: float = 0.0
    abduction: float = 0.0
    elbow: float = 80.0
    wrist: float = 0.0
    knee: float = 0.0
    forearm: str = "forward"
    shoulder_raise_m: float = 0.0
    direction: tuple[float, float, float] | None = None  # upper arm (down, forward, outward) instead of angles


@dataclass(frozen=True)
class Posture:
    trunk_flexion: float = 0.0
    trunk_side_bend: float = 0.0
    trunk_twist: float = 0.0
    neck_flexion: float = 0.0  # relative to the trunk
    neck_side_bend: float = 0.0  # the neck line's tilt in the frontal plane
    neck_twist: float = 0.0  # ear line against the shoulder line
    left: Arm = field(default_factory=Arm)
    right: Arm = field(default_factory=Arm)
    left_foot_raise_m: float = 0.0


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _direction(sagittal_deg: float, frontal_deg: float, axis: np.ndarray, lateral: np.ndarray) -> np.ndarray:
    """Unit vector whose angle from ``axis`` is ``sagittal_deg`` towards forward and ``frontal_deg`` towards
    ``lateral``, each measured in its own plane."""
    a, b = np.radians(sagittal_deg), np.radians(frontal_deg)
    return _unit(np.cos(a) * axis + np.sin(a) * FORWARD + np.cos(a) * np.tan(b) * lateral)


def _bent(segment: np.ndarray, angle_deg: float, towards: np.ndarray) -> np.ndarray:
    """``segment`` turned by ``angle_deg`` towards ``towards`` (made perpendicular to it first)."""
    side = towards - np.dot(towards, segment) * segment
    if np.linalg.norm(side) < 1e-9:
        side = UP - np.dot(UP, segment) * segment
    side = _unit(side)
    a = np.radians(angle_deg)
    return np.cos(a) * segment + np.sin(a) * side


def pose(posture: Posture) -> np.ndarray:
    """(33, 3) world points of ``posture``."""
    p: dict[str, np.ndarray] = {}
    hip_mid = np.zeros(3)
    p["left_hip"], p["right_hip"] = hip_mid + 0.1 * LEFT, hip_mid - 0.1 * LEFT
    trunk = _direction(posture.trunk_flexion, posture.trunk_side_bend, UP, LEFT)
    sh_mid = hip_mid + 0.5 * trunk
    tw = np.radians(posture.trunk_twist)
    shoulder_line = np.cos(tw) * LEFT + np.sin(tw) * FORWARD
    neck = _direction(posture.trunk_flexion + posture.neck_flexion, posture.neck_side_bend, UP, LEFT)
    ear_mid = sh_mid + 0.2 * neck
    head = tw + np.radians(posture.neck_twist)
    ear_line = np.cos(head) * LEFT + np.sin(head) * FORWARD
    face = np.cos(head) * FORWARD - np.sin(head) * LEFT
    p["left_ear"], p["right_ear"] = ear_mid + 0.07 * ear_line, ear_mid - 0.07 * ear_line
    p["nose"] = ear_mid + 0.1 * face
    for name, offset in (("left_eye_inner", 0.02), ("left_eye", 0.035), ("left_eye_outer", 0.05),
                         ("right_eye_inner", -0.02), ("right_eye", -0.035), ("right_eye_outer", -0.05)):
        p[name] = ear_mid + 0.08 * face + offset * ear_line + 0.03 * UP
    p["mouth_left"], p["mouth_right"] = (ear_mid + 0.09 * face + s * 0.025 * ear_line - 0.05 * UP for s in (1, -1))
    trunk_down = -trunk
    for side, sign in (("left", 1.0), ("right", -1.0)):
        arm: Arm = getattr(posture, side)
        outward = sign * LEFT
        shoulder = sh_mid + sign * 0.18 * shoulder_line
        # Measured against the trunk's downward line: its sagittal angle is -flexion; its frontal one this
        # (the arm's angles hold while the arm points downwards: |flexion - trunk flexion| < 90 with abduction)
        absolute_flexion = arm.flexion - posture.trunk_flexion
        absolute_abduction = arm.abduction + np.degrees(np.arctan2(np.dot(trunk_down, outward),
                                                                   np.dot(trunk_down, -UP)))
        upper = _direction(absolute_flexion, absolute_abduction, -UP, outward)
        if arm.direction is not None:
            down_part, forward_part, out_part = arm.direction
            upper = _unit(down_part * -UP + forward_part * FORWARD + out_part * outward)
        elbow = shoulder + 0.28 * upper
        forearm = _bent(upper, arm.elbow, FORWARD if arm.forearm == "forward" else -outward)
        wrist = elbow + 0.25 * forearm
        hand = _bent(forearm, arm.wrist, -UP if abs(np.dot(forearm, UP)) < 0.9 else FORWARD)
        mid = wrist + 0.08 * hand
        p[f"{side}_shoulder"] = shoulder + arm.shoulder_raise_m * UP
        p[f"{side}_elbow"], p[f"{side}_wrist"] = elbow, wrist
        p[f"{side}_index"], p[f"{side}_pinky"] = mid + 0.015 * outward, mid - 0.015 * outward
        p[f"{side}_thumb"] = mid + 0.02 * FORWARD
        hip = p[f"{side}_hip"]
        raise_m = posture.left_foot_raise_m if side == "left" else 0.0
        knee = hip + 0.42 * -UP + raise_m * UP
        k = np.radians(arm.knee)
        ankle = knee + 0.4 * (np.cos(k) * -UP - np.sin(k) * FORWARD)
        p[f"{side}_knee"], p[f"{side}_ankle"] = knee, ankle
        p[f"{side}_heel"] = ankle + 0.05 * -UP - 0.05 * FORWARD
        p[f"{side}_foot_index"] = ankle + 0.05 * -UP + 0.15 * FORWARD
    points = np.full((NUM_LANDMARKS, 3), np.nan)
    for name, xyz in p.items():
        points[LANDMARK_INDEX[name]] = xyz
    assert np.isfinite(points).all(), "every landmark posed"
    return points


def rotation_x(angle_deg: float) -> np.ndarray:
    """A camera pitched by ``angle_deg`` (rotation about the camera's x axis)."""
    a = np.radians(angle_deg)
    return np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])


def rotation_z(angle_deg: float) -> np.ndarray:
    """A camera rolled by ``angle_deg`` (rotation about the optical axis)."""
    a = np.radians(angle_deg)
    return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])


def sequence_of(postures: list[Posture] | list[np.ndarray], fps: float = 10.0,
                rotation: np.ndarray | None = None) -> PoseSequence:
    """A one-person sequence, one frame per posture (or per (33, 3) array), every landmark visible."""
    frames = len(postures)
    world = np.stack([pose(p) if isinstance(p, Posture) else p for p in postures])
    if rotation is not None:
        world = world @ rotation.T
    world = world[:, None].astype(np.float32)
    ones = np.ones((frames, 1, NUM_LANDMARKS), np.float32)
    image = (world[..., :2] * 200 + 320).astype(np.float32)
    return PoseSequence(
        time_s=np.arange(frames) / fps, image_xy_px=image, image_z=world[..., 2] * 0, visibility=ones,
        presence=ones.copy(), world_xyz_m=world, video=VideoInfo(640, 480, fps, frames, frames / fps),
    )
