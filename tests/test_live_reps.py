"""The Live page's rep counter: fed overlapping rolling windows, it counts each rep once."""

from __future__ import annotations

import numpy as np

from components.motion_views import LiveReps
from poselab.sequence import PoseSequence, VideoInfo
from poselab.skeleton import LANDMARK_INDEX, NUM_LANDMARKS


def _knee_history(angles_deg: np.ndarray, rate_hz: float = 30.0) -> PoseSequence:
    """World landmarks whose left knee bends to ``angles_deg`` (hip above the knee, y down)."""
    frames = len(angles_deg)
    world = np.zeros((frames, 1, NUM_LANDMARKS, 3), np.float32)
    theta = np.radians(angles_deg)
    world[:, 0, LANDMARK_INDEX["left_knee"]] = (0.0, 0.5, 0.0)
    world[:, 0, LANDMARK_INDEX["left_ankle"], 0] = 0.5 * np.sin(theta)
    world[:, 0, LANDMARK_INDEX["left_ankle"], 1] = 0.5 - 0.5 * np.cos(theta)
    ones = np.ones((frames, 1, NUM_LANDMARKS), np.float32)
    xy = np.zeros((frames, 1, NUM_LANDMARKS, 2), np.float32)
    return PoseSequence(np.arange(frames) / rate_hz, xy, ones, ones, ones, world,
                        VideoInfo(640, 480, rate_hz, frames, frames / rate_hz))


def test_overlapping_windows_count_each_rep_once() -> None:
    one_rep = np.concatenate([np.full(10, 170.0), np.linspace(170, 80, 15), np.linspace(80, 170, 15)])
    history = _knee_history(np.tile(one_rep, 3))
    reps = LiveReps("left_knee", 100.0, 150.0)
    for end in range(20, history.num_frames + 1, 20):  # each poll sees the last 60 frames, as the live window
        reps.feed(history.slice_frames(max(0, end - 60), end))
    assert reps.counter.count == 3
