"""Named synthetic scenarios: falls and the everyday movements that must not look like one."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tests.assess.animate import Body, ramp

Pose = Callable[[float], tuple[Body, np.ndarray]]
STILL = np.zeros(2)
T0 = 1.5  # every movement starts after 1.5 s of standing


def fall(direction: str, duration_s: float) -> Pose:
    """Topples about the feet, accelerating (the knees and hips give a little on the way)."""
    def pose(t: float) -> tuple[Body, np.ndarray]:
        u = ramp(t, T0, duration_s, "accelerating")
        buckle = 25 * u if direction != "sideways" else 10 * u
        trunk = 20 * u if direction == "forward" else -10 * u if direction == "backward" else 0
        return Body(shank_deg=buckle, thigh_deg=buckle, trunk_deg=trunk, topple_deg=88 * u,
                    topple_dir=direction, arm_deg=60 * u), STILL
    return pose


def sit_down(duration_s: float = 1.2) -> Pose:
    def pose(t: float) -> tuple[Body, np.ndarray]:
        u = ramp(t, T0, duration_s)
        return Body(thigh_deg=90 * u, trunk_deg=15 * np.sin(np.pi * u) + 5 * u, shank_deg=0), STILL
    return pose


def squat(duration_s: float = 0.8, reps: int = 3) -> Pose:
    def pose(t: float) -> tuple[Body, np.ndarray]:
        u = 0.0
        for rep in range(reps):
            u = max(u, ramp(t, T0 + rep * 2 * duration_s, duration_s) -
                    ramp(t, T0 + (rep * 2 + 1) * duration_s, duration_s))
        return Body(shank_deg=40 * u, thigh_deg=100 * u, trunk_deg=40 * u, arm_deg=80 * u), STILL
    return pose


def lie_down_slowly(duration_s: float = 5.0) -> Pose:
    """Kneels, then lowers the body to the floor, sideways."""
    def pose(t: float) -> tuple[Body, np.ndarray]:
        kneel = ramp(t, T0, duration_s / 2)
        down = ramp(t, T0 + duration_s / 2, duration_s / 2)
        return Body(shank_deg=80 * kneel, thigh_deg=20 * kneel, trunk_deg=20 * kneel * (1 - down),
                    topple_deg=80 * down, topple_dir="sideways"), STILL
    return pose


def pick_up(duration_s: float = 0.8) -> Pose:
    def pose(t: float) -> tuple[Body, np.ndarray]:
        u = ramp(t, T0, duration_s) - ramp(t, T0 + duration_s + 0.5, duration_s)
        return Body(shank_deg=15 * u, thigh_deg=25 * u, trunk_deg=95 * u, arm_deg=80 * u), STILL
    return pose


def flip_onto_feet(duration_s: float = 0.6) -> Pose:
    """A quick crouch and spring that lands upright (a gymnast's landing): fast, but ends on the feet."""
    def pose(t: float) -> tuple[Body, np.ndarray]:
        u = ramp(t, T0, duration_s / 2, "accelerating") - ramp(t, T0 + duration_s / 2, duration_s / 2)
        return Body(shank_deg=45 * u, thigh_deg=110 * u, trunk_deg=50 * u), STILL
    return pose


def walk_towards_camera(speed_m_s: float = 1.3) -> Pose:
    def pose(t: float) -> tuple[Body, np.ndarray]:
        swing = 20 * np.sin(2 * np.pi * 0.9 * t)
        return Body(thigh_deg=swing, arm_deg=-swing), np.array([0.0, speed_m_s * (t - 3)])
    return pose


FALLS = {f"fall_{d}_{s}s": fall(d, s) for d in ("forward", "sideways", "backward") for s in (0.4, 0.7, 1.1)}
NOT_FALLS = {"sit_down": sit_down(), "sit_down_brisk": sit_down(0.6), "squat": squat(),
             "squat_fast": squat(0.5), "lie_down_slowly": lie_down_slowly(), "pick_up": pick_up(),
             "pick_up_fast": pick_up(0.5), "flip_onto_feet": flip_onto_feet(),
             "walk_towards_camera": walk_towards_camera()}
