"""The shared clips as pose sequences, tracked once per test session for every assessment test."""

from __future__ import annotations

from pathlib import Path

import pytest

from poselab.sequence import PoseSequence
from poselab.settings import InferenceSettings

FALL_IMPACT_S = {"falls/fall_corridor_forward.mp4": 3.9, "falls/fall_two_people_dog.mp4": 6.2}  # README labels
NEGATIVES = ("videos/dance_600x600.mp4", "videos/lab_single_portrait_60fps.mp4",
             "videos/lab_two_people_portrait_60fps.mp4", "mediapipe/pose_squats.mp4")


@pytest.fixture(scope="session")
def shared_sequences(test_data: Path, model_dir: Path) -> dict[str, PoseSequence]:
    from poselab.parallel.analyze import analyze_clip

    settings = InferenceSettings(model="full", num_poses=2)  # as the falls README measured
    return {name: analyze_clip(test_data / name, settings) for name in (*FALL_IMPACT_S, *NEGATIVES)}
