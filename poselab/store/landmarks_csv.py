"""A PoseSequence back from an ``analyze`` output's landmarks.csv (the columns of ``export.LANDMARK_COLUMNS``).

Frames with no row for a person are NaN, as in the sequence the CSV was written from. The frame rate and
size come from summary.json beside the CSV when it is there.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from poselab.errors import InputError
from poselab.sequence import PoseSequence, VideoInfo
from poselab.skeleton import LANDMARK_INDEX, NUM_LANDMARKS
from poselab.store.tables import LANDMARK_COLUMNS

WORLD_COLUMNS = ("world_x_m", "world_y_m", "world_z_m")


def read_landmarks_csv(path: Path) -> PoseSequence:
    """The sequence of a landmarks.csv; InputError when the file is not one (e.g. no world columns)."""
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise InputError(f"cannot read {path.name} as a landmarks CSV: {error}") from None
    missing = [c for c in LANDMARK_COLUMNS if c not in table.columns]
    if missing:
        what = "world landmark columns" if set(missing) & set(WORLD_COLUMNS) else "columns"
        raise InputError(f"{path.name} lacks the {what} {', '.join(missing)}: give the landmarks.csv of an analysis")
    if table.empty:
        raise InputError(f"{path.name} holds no landmarks: nobody was detected")
    unknown = set(table["landmark"]) - set(LANDMARK_INDEX)
    if unknown:
        raise InputError(f"{path.name} names unknown landmarks: {', '.join(sorted(map(str, unknown))[:3])}")
    try:
        frame_ids = table["frame"].to_numpy(int)
        slots = table["person"].to_numpy(int)
    except ValueError:
        raise InputError(f"{path.name}: the frame and person columns must be whole numbers") from None
    if frame_ids.min() < 0 or slots.min() < 0:
        raise InputError(f"{path.name}: negative frame or person numbers")
    frames, people = int(frame_ids.max()) + 1, int(slots.max()) + 1
    landmarks = table["landmark"].map(LANDMARK_INDEX).to_numpy(int)
    time_s = np.full(frames, np.nan)
    time_s[frame_ids] = table["time_s"].to_numpy(float)
    info = _video_info(path, frames, time_s)
    time_s = _fill_times(time_s, info.fps)

    def grid(columns: tuple[str, ...]) -> np.ndarray:
        out = np.full((frames, people, NUM_LANDMARKS, len(columns)), np.nan, np.float32)
        out[frame_ids, slots, landmarks] = table[list(columns)].to_numpy(np.float32)
        return out

    return PoseSequence(
        time_s=time_s, image_xy_px=grid(("x_px", "y_px")), image_z=grid(("z",))[..., 0],
        visibility=grid(("visibility",))[..., 0], presence=grid(("presence",))[..., 0],
        world_xyz_m=grid(WORLD_COLUMNS), video=info, meta={"source_csv": path.name},
    )


def _video_info(path: Path, frames: int, time_s: np.ndarray) -> VideoInfo:
    summary_path = path.with_name("summary.json")
    facts: dict = {}
    if summary_path.is_file():
        try:
            facts = json.loads(summary_path.read_text())
        except (OSError, ValueError):
            facts = {}
    gaps = np.diff(time_s[np.isfinite(time_s)])
    fps = float(facts.get("fps") or (1.0 / np.median(gaps) if gaps.size and np.median(gaps) > 0 else 30.0))
    return VideoInfo(width=int(facts.get("width") or 0), height=int(facts.get("height") or 0), fps=fps,
                     frame_count=frames, duration_s=float(facts.get("duration_s") or frames / fps),
                     source_name=str(facts.get("source") or path.name))


def _fill_times(time_s: np.ndarray, fps: float) -> np.ndarray:
    """Frames nobody was detected in have no row: their times follow the frame rate."""
    missing = ~np.isfinite(time_s)
    if missing.any():
        index = np.arange(len(time_s))
        known = ~missing
        time_s = time_s.copy()
        time_s[missing] = np.interp(index[missing], index[known], time_s[known], left=np.nan, right=np.nan)
        still = ~np.isfinite(time_s)
        first = index[known][0]
        time_s[still] = time_s[first] + (index[still] - first) / fps
    return time_s
