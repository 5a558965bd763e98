"""MediaPipe's own pose test (pose_test.py::test_on_image), run through PoseLab's code for all three models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from poselab.engine.landmarker import PoseDetector
from poselab.media.decode import iter_frames
from poselab.settings import InferenceSettings

MODELS = ("lite", "full", "heavy")


@pytest.fixture(scope="module")
def expected(test_data: Path) -> dict:
    return json.loads((test_data / "mediapipe" / "pose_test_expected.json").read_text())["test_on_image"]


@pytest.fixture(scope="module")
def pose_image(test_data: Path) -> np.ndarray:
    return next(iter_frames(test_data / "mediapipe" / "pose.jpg")).image_rgb


def _expected_mask(test_data: Path) -> np.ndarray:
    """pose_segmentation.png: blue (0, 0, 255) marks the person, red the background."""
    rgb = np.asarray(Image.open(test_data / "mediapipe" / "pose_segmentation.png").convert("RGB")).astype(int)
    return rgb[..., 2] > rgb[..., 0]


@pytest.mark.parametrize("video", [False, True], ids=["image-mode", "video-mode"])
@pytest.mark.parametrize("model", MODELS)
def test_pose_image_matches_mediapipe(model: str, video: bool, expected: dict, pose_image: np.ndarray,
                                      test_data: Path, model_dir: Path) -> None:
    settings = InferenceSettings(model=model, segmentation=True)
    with PoseDetector(settings, video=video) as detector:
        # MediaPipe's test feeds the image three times; in video mode the later frames are tracked.
        results = [detector.detect(pose_image, time_s=i / 30) for i in range(3)]
    for poses in results:
        assert poses.count == 1
        xy_error_px = np.abs(poses.image_xy_px[0] - np.array(expected["EXPECTED_POSE_LANDMARKS_px"]))
        world_error_m = np.abs(poses.world_xyz_m[0] - np.array(expected["EXPECTED_POSE_WORLD_LANDMARKS_m"]))
        assert xy_error_px.max() < expected["DIFF_THRESHOLD_px"], xy_error_px.max()
        assert world_error_m.max() < expected["WORLD_DIFF_THRESHOLD_m"], world_error_m.max()
        actual_mask = poses.mask.round().astype(bool)
        wanted = _expected_mask(test_data)
        iou = (actual_mask & wanted).sum() / (actual_mask | wanted).sum()
        assert iou >= expected["IOU_THRESHOLD"], iou
