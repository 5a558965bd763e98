"""Inference settings: everything that changes what the model returns (and so the cache key).

Display-only settings (visibility threshold, overlay options) live with the renderers: changing
them never re-runs the model.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from poselab.errors import ModelError

VARIANTS: tuple[str, ...] = ("lite", "full", "heavy")  # model_complexity 0, 1, 2 (model files: engine.models)

MODEL_SPEED_HINTS = {"lite": "fastest", "full": "balanced", "heavy": "most accurate, ~2.5x slower"}

# "Find more people" (engine/people.py): "off" is MediaPipe on the whole frame alone; "tiles" also searches
# overlapping tiles of the frame every ``find_every_frames`` frames for people the whole frame misses.
FIND_PEOPLE_MODES: tuple[str, ...] = ("off", "tiles")
DEFAULT_FIND_EVERY_FRAMES = 10
_FIND_PEOPLE_FIELDS = ("find_people", "find_every_frames")


def variant_name(model: str | int) -> str:
    """'lite'/'full'/'heavy' from a name or a model_complexity 0/1/2."""
    if isinstance(model, int) or (isinstance(model, str) and model.isdigit()):
        index = int(model)
        if not 0 <= index < len(VARIANTS):
            raise ModelError(f"model complexity must be 0, 1 or 2, not {index}")
        return VARIANTS[index]
    if model not in VARIANTS:
        raise ModelError(f"unknown model {model!r}; choose one of {', '.join(VARIANTS)}")
    return model


@dataclass(frozen=True)
class InferenceSettings:
    """The PoseLandmarker options PoseLab exposes; confidences are 0..1."""

    model: str = "full"
    num_poses: int = 1
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    segmentation: bool = False
    find_people: str = "off"
    find_every_frames: int = DEFAULT_FIND_EVERY_FRAMES

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", variant_name(self.model))
        if not 1 <= self.num_poses <= 10:
            raise ValueError("num_poses must be between 1 and 10")
        for name in ("min_detection_confidence", "min_presence_confidence", "min_tracking_confidence"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.find_people not in FIND_PEOPLE_MODES:
            raise ValueError(f"find_people must be one of {', '.join(FIND_PEOPLE_MODES)}, not {self.find_people!r}")
        if not 1 <= self.find_every_frames <= 1000:
            raise ValueError("find_every_frames must be between 1 and 1000")

    @property
    def model_complexity(self) -> int:
        return VARIANTS.index(self.model)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InferenceSettings:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def key(self) -> str:
        """A short stable hash: same settings, same key, across processes and runs.

        With the find-people mode off its fields stay out of the hash, so runs cached before the mode
        existed keep their keys; when it is on, the mode and its interval are part of the key.
        """
        data = self.to_dict()
        if self.find_people == "off":
            for name in _FIND_PEOPLE_FIELDS:
                data.pop(name)
        text = json.dumps(data, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_key(settings: InferenceSettings, workers: int = 1) -> str:
    """The run cache's key: the settings, and the worker count when above 1.

    Workers are not an inference setting, but a user who picks 2 expects a 2-worker run (its speed,
    its seams), not the 1-worker result cached before; 1-worker keys stay the settings' own key.
    """
    return settings.key() if workers <= 1 else f"{settings.key()}-w{workers}"
