"""Tables and files written from a PoseSequence: landmarks in long form, and the run summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from poselab.sequence import PoseSequence
from poselab.skeleton import LANDMARK_NAMES, NUM_LANDMARKS

LANDMARK_COLUMNS = (
    "frame", "time_s", "person", "landmark", "x_px", "y_px", "z", "visibility", "presence",
    "world_x_m", "world_y_m", "world_z_m",
)


def landmarks_frame(sequence: PoseSequence) -> pd.DataFrame:
    """One row per frame x detected person x landmark, in the columns of ``LANDMARK_COLUMNS``."""
    frames, slots = np.nonzero(sequence.detected())
    repeat = NUM_LANDMARKS
    table = {
        "frame": np.repeat(frames, repeat),
        "time_s": np.repeat(sequence.time_s[frames], repeat).round(6),
        "person": np.repeat(slots, repeat),
        "landmark": np.tile(np.array(LANDMARK_NAMES, dtype=object), len(frames)),
        "x_px": sequence.image_xy_px[frames, slots, :, 0].ravel(),
        "y_px": sequence.image_xy_px[frames, slots, :, 1].ravel(),
        "z": sequence.image_z[frames, slots].ravel(),
        "visibility": sequence.visibility[frames, slots].ravel(),
        "presence": sequence.presence[frames, slots].ravel(),
        "world_x_m": sequence.world_xyz_m[frames, slots, :, 0].ravel(),
        "world_y_m": sequence.world_xyz_m[frames, slots, :, 1].ravel(),
        "world_z_m": sequence.world_xyz_m[frames, slots, :, 2].ravel(),
    }
    return pd.DataFrame(table, columns=list(LANDMARK_COLUMNS))


def write_landmarks_csv(sequence: PoseSequence, path: Path) -> None:
    landmarks_frame(sequence).to_csv(path, index=False, float_format="%.6g")


def summary(sequence: PoseSequence) -> dict[str, Any]:
    """The figures a person reads first; keys are stable (the CLI writes them as summary.json)."""
    info = sequence.video
    settings = sequence.meta.get("settings", {})
    detected = sequence.detected()
    visible = sequence.visibility[detected]
    return {
        "source": info.source_name,
        "frames": sequence.num_frames,
        "fps": round(info.fps, 3),
        "duration_s": round(info.duration_s, 3),
        "width": info.width,
        "height": info.height,
        "rotation_deg": info.rotation_deg,
        "model": settings.get("model"),
        "num_poses": settings.get("num_poses"),
        "settings": settings,
        "frames_with_pose": sequence.frames_with_pose(),
        "detection_rate": round(sequence.frames_with_pose() / sequence.num_frames, 4) if sequence.num_frames else 0.0,
        "people_seen": sequence.people_seen(),
        "mean_visibility": round(float(np.mean(visible)), 4) if visible.size else None,
        "jitter_px": _jitter(sequence),  # mean |frame-to-frame acceleration| of image landmarks (quality)
        "processing_fps": sequence.meta.get("processing_fps"),
        "elapsed_s": sequence.meta.get("elapsed_s"),
        # the find-people mode and, when it ran, what it found and cost (engine/people.py)
        "find_people": sequence.meta.get("find_people") or {"mode": settings.get("find_people", "off")},
    }


def _jitter(sequence: PoseSequence) -> float | None:
    from poselab.motion.quality import jitter_px

    value = jitter_px(sequence)
    return None if value is None else round(value, 3)


def write_summary_json(sequence: PoseSequence, path: Path, extra: dict[str, Any] | None = None) -> None:
    data = summary(sequence) | (extra or {})
    path.write_text(json.dumps(data, indent=2) + "\n")
