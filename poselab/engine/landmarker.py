"""The one module that imports MediaPipe: a PoseLandmarker per clip, its output as numpy.

One ``PoseDetector`` belongs to one clip or one webcam connection and one thread. VIDEO mode
needs strictly increasing integer milliseconds; ``detect`` enforces that, since a repeated stamp
would break the graph for good ("Packet timestamp mismatch").
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

from poselab.engine.models import ensure_model
from poselab.settings import InferenceSettings
from poselab.skeleton import NUM_LANDMARKS


@dataclass(frozen=True)
class FramePoses:
    """Poses found in one frame, N people: pixels (N, 33, 2), z/visibility/presence (N, 33),
    world metres (N, 33, 3), and the union person mask (H, W) float 0..1 when asked for."""

    image_xy_px: np.ndarray
    image_z: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world_xyz_m: np.ndarray
    mask: np.ndarray | None = None

    @property
    def count(self) -> int:
        return int(self.image_xy_px.shape[0])

    @classmethod
    def none(cls) -> FramePoses:
        return cls(
            np.zeros((0, NUM_LANDMARKS, 2), np.float32),
            np.zeros((0, NUM_LANDMARKS), np.float32),
            np.zeros((0, NUM_LANDMARKS), np.float32),
            np.zeros((0, NUM_LANDMARKS), np.float32),
            np.zeros((0, NUM_LANDMARKS, 3), np.float32),
        )


class PoseDetector:
    """A PoseLandmarker in VIDEO mode (``video=True``) or IMAGE mode, with PoseLab's settings."""

    def __init__(self, settings: InferenceSettings, video: bool = True) -> None:
        self.settings = settings
        self._video = video
        self._last_ms = -1
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(ensure_model(settings.model))),
            running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
            num_poses=settings.num_poses,
            min_pose_detection_confidence=settings.min_detection_confidence,
            min_pose_presence_confidence=settings.min_presence_confidence,
            min_tracking_confidence=settings.min_tracking_confidence,
            output_segmentation_masks=settings.segmentation,
        )
        self._landmarker = vision.PoseLandmarker.create_from_options(options)

    def detect(self, image_rgb: np.ndarray, time_s: float = 0.0) -> FramePoses:
        """Poses in an RGB uint8 frame; ``time_s`` must grow from call to call in VIDEO mode."""
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image_rgb))
        if not self._video:
            return _to_arrays(self._landmarker.detect(image), image_rgb.shape)
        time_ms = max(round(time_s * 1000), self._last_ms + 1)
        self._last_ms = time_ms
        return _to_arrays(self._landmarker.detect_for_video(image, time_ms), image_rgb.shape)

    def close(self) -> None:
        self._landmarker.close()

    def __enter__(self) -> PoseDetector:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _to_arrays(result: vision.PoseLandmarkerResult, shape: tuple[int, ...]) -> FramePoses:
    """The single place where MediaPipe's result objects become PoseLab arrays."""
    if not result.pose_landmarks:
        return FramePoses.none()
    height, width = shape[:2]
    image = np.array(
        [[(p.x, p.y, p.z, p.visibility or 0.0, p.presence or 0.0) for p in pose] for pose in result.pose_landmarks],
        dtype=np.float32,
    )
    world = np.array([[(p.x, p.y, p.z) for p in pose] for pose in result.pose_world_landmarks], dtype=np.float32)
    mask = None
    if result.segmentation_masks:
        mask = np.max([m.numpy_view().reshape(height, width) for m in result.segmentation_masks], axis=0)
    return FramePoses(
        image_xy_px=image[..., :2] * np.array([width, height], dtype=np.float32),
        image_z=image[..., 2],
        visibility=image[..., 3],
        presence=image[..., 4],
        world_xyz_m=world,
        mask=mask,
    )
