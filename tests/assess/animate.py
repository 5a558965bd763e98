"""Synthetic pose sequences: a skeleton built from a few body angles, seen by a camera, as MediaPipe returns it.

A pose is a function of time giving ``Body`` angles (degrees) and a root offset; the skeleton is built from the
feet up (ankles on the floor), then the whole body may topple about its feet (``topple_deg``) forwards,
sideways or backwards. The camera looks down at ``elevation_deg`` like a CCTV camera; image coordinates are
pixels of a ``size`` frame, world coordinates are hip-centred metres in the camera's frame (y down), as
MediaPipe's. Segment lengths are a 1.70 m adult's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from poselab.sequence import PoseSequence, VideoInfo
from poselab.skeleton import LANDMARK_INDEX, LANDMARK_NAMES, NUM_LANDMARKS

SHANK_M, THIGH_M, TORSO_M, NECK_M, UPPER_ARM_M, FOREARM_M = 0.45, 0.45, 0.52, 0.2, 0.3, 0.27
HIP_HALF_M, SHOULDER_HALF_M = 0.1, 0.18


@dataclass(frozen=True)
class Body:
    """Angles in the body's sagittal plane, 0 upright; forwards positive."""

    shank_deg: float = 0.0  # knee in front of the ankle
    thigh_deg: float = 0.0  # knee in front of the hip (90: thigh horizontal, seated)
    trunk_deg: float = 0.0  # shoulders in front of the hips
    arm_deg: float = 0.0  # hands in front of the shoulders
    topple_deg: float = 0.0  # the whole body rotated about the feet
    topple_dir: str = "forward"  # forward, backward, sideways
    knee_gap_m: float = 0.0  # kneeling: knees down onto the floor (shank horizontal backwards)


def _v(*xyz: float) -> np.ndarray:
    return np.array(xyz, dtype=float)


def _skeleton(body: Body) -> dict[str, np.ndarray]:
    """Points in the body frame: x lateral (the person's left), y up, z forwards."""
    def sag(angle_deg: float) -> np.ndarray:  # a unit vector up the body, tipped forwards by angle
        a = np.radians(angle_deg)
        return np.array([0.0, np.cos(a), np.sin(a)])

    p: dict[str, np.ndarray] = {}
    for side, x in (("left", HIP_HALF_M), ("right", -HIP_HALF_M)):
        ankle = np.array([x, 0.08, 0.0])
        knee = ankle + SHANK_M * sag(body.shank_deg)
        hip = knee + THIGH_M * np.array([0.0, np.cos(np.radians(body.thigh_deg)), -np.sin(np.radians(body.thigh_deg))])
        p |= {f"{side}_ankle": ankle, f"{side}_knee": knee, f"{side}_hip": hip,
              f"{side}_heel": ankle + _v(0, -0.06, -0.05), f"{side}_foot_index": ankle + _v(0, -0.07, 0.15)}
    hip_mid = (p["left_hip"] + p["right_hip"]) / 2
    up = sag(body.trunk_deg)
    shoulder_mid = hip_mid + TORSO_M * up
    head = shoulder_mid + NECK_M * up
    forward = np.array([0.0, -up[2], up[1]])  # the face looks perpendicular to the trunk
    for side, x in (("left", SHOULDER_HALF_M), ("right", -SHOULDER_HALF_M)):
        shoulder = shoulder_mid + _v(x, 0, 0)
        arm = -sag(body.trunk_deg - body.arm_deg)
        elbow = shoulder + UPPER_ARM_M * arm
        wrist = elbow + FOREARM_M * arm
        sign = 1 if side == "left" else -1
        p |= {f"{side}_shoulder": shoulder, f"{side}_elbow": elbow, f"{side}_wrist": wrist,
              f"{side}_pinky": wrist + 0.08 * arm, f"{side}_index": wrist + 0.09 * arm,
              f"{side}_thumb": wrist + 0.06 * arm + [sign * -0.02, 0, 0.02],
              f"{side}_ear": head + _v(sign * 0.07, 0, -0.02),
              f"{side}_eye": head + 0.09 * forward + [sign * 0.03, 0.03, 0],
              f"{side}_eye_inner": head + 0.09 * forward + [sign * 0.015, 0.03, 0],
              f"{side}_eye_outer": head + 0.08 * forward + [sign * 0.045, 0.03, 0],
              f"mouth_{side}": head + 0.09 * forward + [sign * 0.025, -0.04, 0]}
    p["nose"] = head + 0.11 * forward
    return p


def _topple(points: dict[str, np.ndarray], body: Body) -> dict[str, np.ndarray]:
    a = np.radians(body.topple_deg)
    c, s = np.cos(a), np.sin(a)
    if body.topple_dir == "sideways":  # about the forward axis, falling to the person's left
        rot = np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])
    else:
        s = s if body.topple_dir == "forward" else -s
        rot = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    pivot = np.array([0.0, 0.0, 0.0])
    moved = {k: pivot + rot @ (v - pivot) for k, v in points.items()}
    floor = min(v[1] for k, v in moved.items() if k.endswith(("hip", "shoulder", "knee", "ear")))
    if floor < 0:  # nothing goes through the floor
        moved = {k: v - [0, floor, 0] for k, v in moved.items()}
    return moved


def sequence_from(pose_at: Callable[[float], tuple[Body, np.ndarray]], duration_s: float, fps: float = 25.0,
                  size: tuple[int, int] = (640, 360), yaw_deg: float = 0.0, elevation_deg: float = 25.0,
                  height_frac: float = 0.5, noise_frac: float = 0.004, seed: int = 0,
                  lost_after_s: float | None = None) -> PoseSequence:
    """One person slot; ``pose_at(t)`` -> (Body, root offset in metres: x right, z towards the camera);
    ``yaw_deg`` 0 faces the camera, 90 faces right. ``lost_after_s``: the tracker loses the person then."""
    rng = np.random.default_rng(seed)
    width, height = size
    frames = round(duration_s * fps)
    times = np.arange(frames) / fps
    px_per_m = height * height_frac / 1.7
    yaw, elev = np.radians(yaw_deg), np.radians(elevation_deg)
    # body frame (lateral, up, forward) -> scene (x right, y up, z towards the camera)
    turn = np.array([[-np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [np.sin(yaw), 0, np.cos(yaw)]])
    tilt = np.array([[1, 0, 0], [0, np.cos(elev), -np.sin(elev)], [0, np.sin(elev), np.cos(elev)]])
    xy = np.full((frames, 1, NUM_LANDMARKS, 2), np.nan, np.float32)
    world = np.full((frames, 1, NUM_LANDMARKS, 3), np.nan, np.float32)
    vis = np.full((frames, 1, NUM_LANDMARKS), np.nan, np.float32)
    for i, t in enumerate(times):
        if lost_after_s is not None and t > lost_after_s:
            continue
        body, root = pose_at(float(t))
        pts = _topple(_skeleton(body), body)
        scene = np.stack([turn @ pts[name] for name in LANDMARK_NAMES]) + _v(root[0], 0, root[1])
        cam = scene @ tilt.T  # camera frame: x right, y up, z towards the camera
        xy[i, 0, :, 0] = width / 2 + px_per_m * cam[:, 0]
        xy[i, 0, :, 1] = height * 0.85 - px_per_m * cam[:, 1]
        xy[i, 0] += rng.normal(0, noise_frac * height, (NUM_LANDMARKS, 2))
        hips = (cam[LANDMARK_INDEX["left_hip"]] + cam[LANDMARK_INDEX["right_hip"]]) / 2
        world[i, 0] = (cam - hips) * [1, -1, -1] + rng.normal(0, 0.01, (NUM_LANDMARKS, 3))
        vis[i, 0] = 0.95
    info = VideoInfo(width, height, fps, frames, frames / fps, source_name="synthetic")
    return PoseSequence(times, xy, np.where(np.isnan(vis), np.nan, 0.0).astype(np.float32), vis, vis.copy(),
                        world, info)




def ramp(t: float, start_s: float, duration_s: float, ease: str = "smooth") -> float:
    """0 before ``start_s``, 1 after ``start_s + duration_s``; ``smooth`` (controlled) or ``accelerating`` (a
    topple: slow at first, fastest at the impact)."""
    u = min(max((t - start_s) / duration_s, 0.0), 1.0)
    return u * u if ease == "accelerating" else (1 - np.cos(np.pi * u)) / 2


def walking(t: float, speed_m_s: float = 0.0) -> np.ndarray:
    return np.array([0.0, speed_m_s * t])
