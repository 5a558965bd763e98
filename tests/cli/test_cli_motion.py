"""`python -m poselab analyze` with smoothing, angles and reps: the files it writes and what they hold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from poselab.cli.commands import main
from poselab.motion.angles import ANGLES


@pytest.fixture(scope="module")
def squats_motion_out(tmp_path_factory: pytest.TempPathFactory, test_data: Path, model_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("motion") / "out"
    code = main(["analyze", str(test_data / "mediapipe/pose_squats.mp4"), "--out", str(out), "--no-video",
                 "--smoothing", "one-euro", "--reps", "left_knee:100:150"])
    assert code == 0
    return out


@pytest.mark.slow
def test_smoothed_landmarks_beside_raw_ones(squats_motion_out: Path) -> None:
    smoothed = pd.read_csv(squats_motion_out / "landmarks.csv")
    raw = pd.read_csv(squats_motion_out / "landmarks_raw.csv")
    assert smoothed.shape == raw.shape and list(smoothed.columns) == list(raw.columns)
    assert not np.allclose(smoothed["x_px"], raw["x_px"])  # smoothing changed something...
    assert np.abs(smoothed["x_px"] - raw["x_px"]).median() < 10  # ...without moving the pose away
    np.testing.assert_array_equal(smoothed["visibility"], raw["visibility"])


@pytest.mark.slow
def test_angles_csv_columns_and_values(squats_motion_out: Path) -> None:
    table = pd.read_csv(squats_motion_out / "angles.csv")
    assert list(table.columns) == ["frame", "time_s", "person", *[a.column for a in ANGLES]]
    assert "left_knee_deg" in table and "trunk_incline_deg" in table
    assert len(table) == 65
    assert table["left_knee_deg"].min() < 100 and table["left_knee_deg"].max() > 160


@pytest.mark.slow
def test_reps_json_and_summary(squats_motion_out: Path) -> None:
    reps = json.loads((squats_motion_out / "reps.json").read_text())
    assert reps["angle"] == "left_knee" and reps["count"] == 2 and len(reps["reps"]) == 2
    assert {"start_s", "end_s", "min_deg", "max_deg"} <= set(reps["reps"][0])
    summary = json.loads((squats_motion_out / "summary.json").read_text())
    assert summary["smoothing"]["method"] == "one-euro"
    quality = summary["quality"]
    assert quality["detection_rate"] == 1.0 and quality["jitter_smoothed_px"] < quality["jitter_raw_px"]
    assert summary["reps"] == {"angle": "left_knee", "count": 2}


def test_without_smoothing_no_raw_copy_and_no_reps(tmp_path: Path, test_data: Path, model_dir: Path) -> None:
    out = tmp_path / "out"
    assert main(["analyze", str(test_data / "mediapipe/pose.jpg"), "--out", str(out)]) == 0
    assert not (out / "landmarks_raw.csv").exists() and not (out / "reps.json").exists()
    angles = pd.read_csv(out / "angles.csv")
    assert len(angles) == 1 and 0 < angles["left_elbow_deg"].iloc[0] <= 180
    assert json.loads((out / "summary.json").read_text())["smoothing"] == {"method": "none"}


def test_bad_motion_options_fail_before_inference(tmp_path: Path, test_data: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    clip = str(test_data / "mediapipe/pose_squats.mp4")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        main(["analyze", clip, "--out", str(out), "--reps", "knee:100:150"])
    assert exit_info.value.code == 2 and "unknown angle 'knee'" in capsys.readouterr().err
    # 5 fps: a 3 Hz cutoff is above Nyquist; refused before any frame is analysed
    assert main(["analyze", clip, "--out", str(out), "--smoothing", "butterworth", "--cutoff", "3"]) == 2
    assert "below half the frame rate" in capsys.readouterr().err
    assert not out.exists()
