"""The one data structure that flows from inference onward: a pose sequence with time first.

Shapes (T frames, P person slots, L = 33 landmarks):

=================  ===============  ==========  ===============================================
field              shape            dtype       meaning and unit
=================  ===============  ==========  ===============================================
time_s             (T,)             float64     frame timestamp in seconds from the stream start
image_xy_px        (T, P, L, 2)     float32     x, y in pixels of the upright (display) frame
image_z            (T, P, L)        float32     MediaPipe's relative depth, same scale as x / width
visibility         (T, P, L)        float32     0..1, likelihood the landmark is visible
presence           (T, P, L)        float32     0..1, likelihood the landmark is in the frame
world_xyz_m        (T, P, L, 3)     float32     metres, origin between the hips, y down, z to camera
segmentation       (T, h, w) | None uint8       optional person mask 0..255, downscaled (<= 256 px)
=================  ===============  ==========  ===============================================

A slot with no person in a frame is NaN in every float field. Slots are kept consistent over
time by ``poselab.engine.tracking`` (slot 0 stays the same person while the tracker can follow them).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from poselab.skeleton import NUM_LANDMARKS


@dataclass(frozen=True)
class VideoInfo:
    """What we know of the input: display size (after rotation), frame rate and length."""

    width: int
    height: int
    fps: float
    frame_count: int
    duration_s: float
    rotation_deg: int = 0
    source_name: str = ""
    is_image: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VideoInfo:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class PoseSequence:
    """Landmarks of every frame of one clip; see the module docstring for shapes and units."""

    time_s: np.ndarray
    image_xy_px: np.ndarray
    image_z: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world_xyz_m: np.ndarray
    video: VideoInfo
    segmentation: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        frames, slots = self.image_xy_px.shape[:2]
        expected = {
            "time_s": (frames,),
            "image_xy_px": (frames, slots, NUM_LANDMARKS, 2),
            "image_z": (frames, slots, NUM_LANDMARKS),
            "visibility": (frames, slots, NUM_LANDMARKS),
            "presence": (frames, slots, NUM_LANDMARKS),
            "world_xyz_m": (frames, slots, NUM_LANDMARKS, 3),
        }
        for name, shape in expected.items():
            actual = getattr(self, name).shape
            if actual != shape:
                raise ValueError(f"PoseSequence.{name} has shape {actual}, expected {shape}")
        if self.segmentation is not None and self.segmentation.shape[0] != frames:
            raise ValueError("PoseSequence.segmentation must have one mask per frame")

    @property
    def num_frames(self) -> int:
        return int(self.time_s.shape[0])

    @property
    def num_slots(self) -> int:
        return int(self.image_xy_px.shape[1])

    def detected(self) -> np.ndarray:
        """(T, P) bool: the slot holds a person in that frame."""
        return ~np.isnan(self.visibility).all(axis=2)

    def frames_with_pose(self) -> int:
        return int(self.detected().any(axis=1).sum())

    def people_seen(self) -> int:
        """How many slots held a person at least once."""
        return int(self.detected().any(axis=0).sum())

    def slice_frames(self, start: int, stop: int) -> PoseSequence:
        """Frames [start, stop) as a new sequence sharing the video info."""
        mask = None if self.segmentation is None else self.segmentation[start:stop]
        return dataclasses.replace(
            self,
            time_s=self.time_s[start:stop],
            image_xy_px=self.image_xy_px[start:stop],
            image_z=self.image_z[start:stop],
            visibility=self.visibility[start:stop],
            presence=self.presence[start:stop],
            world_xyz_m=self.world_xyz_m[start:stop],
            segmentation=mask,
        )

    def save_npz(self, path: Path) -> None:
        """Exact, compact round trip of every array plus the metadata (JSON inside the archive)."""
        arrays = {name: getattr(self, name) for name in _ARRAY_FIELDS}
        if self.segmentation is not None:
            arrays["segmentation"] = self.segmentation
        header = json.dumps({"video": self.video.to_dict(), "meta": self.meta})
        with open(path, "wb") as handle:
            np.savez_compressed(handle, header=np.array(header), **arrays)

    @classmethod
    def load_npz(cls, path: Path) -> PoseSequence:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            arrays = {name: data[name] for name in _ARRAY_FIELDS}
            mask = data["segmentation"] if "segmentation" in data.files else None
        return cls(
            **arrays,
            video=VideoInfo.from_dict(header["video"]),
            segmentation=mask,
            meta=header.get("meta", {}),
        )


_ARRAY_FIELDS = ("time_s", "image_xy_px", "image_z", "visibility", "presence", "world_xyz_m")


def concat_frames(parts: list[PoseSequence]) -> PoseSequence:
    """Join sequences of the same clip frame-wise (slot counts must match)."""
    first = parts[0]
    arrays = {name: np.concatenate([getattr(p, name) for p in parts]) for name in _ARRAY_FIELDS}
    masks = None
    if all(p.segmentation is not None for p in parts):
        masks = np.concatenate([p.segmentation for p in parts])  # type: ignore[misc]
    return PoseSequence(**arrays, video=first.video, segmentation=masks, meta=dict(first.meta))
