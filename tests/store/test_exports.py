"""Exports: a valid OpenSim .trc, landmarks as Parquet and JSON, and the zip with its README."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from poselab.skeleton import LANDMARK_NAMES, NUM_LANDMARKS
from poselab.store.exports import export_all, read_trc_header, write_landmarks_json, write_trc
from tests.store.test_library import make_analysis, make_sequence


def test_trc_header_and_markers(tmp_path: Path) -> None:
    sequence = make_sequence(frames=12, fps=30.0, missing=(4,))
    path = tmp_path / "walk.trc"
    write_trc(sequence, path)
    lines = path.read_text().split("\n")
    assert lines[0].split("\t") == ["PathFileType", "4", "(X/Y/Z)", "walk.trc"]
    header = read_trc_header(path)
    assert header["DataRate"] == "30" and header["CameraRate"] == "30" and header["OrigDataRate"] == "30"
    assert header["NumFrames"] == "12" and header["NumMarkers"] == str(NUM_LANDMARKS) and header["Units"] == "m"
    assert header["markers"] == list(LANDMARK_NAMES)
    assert header["axes"][:3] == ["X1", "Y1", "Z1"] and header["axes"][-1] == f"Z{NUM_LANDMARKS}"
    assert lines[5] == ""  # OpenSim expects one blank line between the header and the data
    rows = header["rows"]
    assert len(rows) == 12 and all(len(r) == 2 + 3 * NUM_LANDMARKS for r in rows)
    assert [r[0] for r in rows[:3]] == ["1", "2", "3"] and float(rows[1][1]) == pytest.approx(1 / 30, abs=1e-6)
    # axes turned to OpenSim's Y up and Z toward the camera; a frame without a person stays blank
    first = np.array(rows[0][2:], float).reshape(NUM_LANDMARKS, 3)
    np.testing.assert_allclose(first, sequence.world_xyz_m[0, 0] * [1, -1, -1], atol=1e-6)
    assert set(rows[4][2:]) == {""}


def test_landmarks_json_nests_frames_people_and_names(tmp_path: Path) -> None:
    sequence = make_sequence(frames=5, missing=(2,))
    path = tmp_path / "l.json"
    write_landmarks_json(sequence, path)
    document = json.loads(path.read_text())
    assert [f["frame"] for f in document["frames"]] == [0, 1, 3, 4]
    nose = document["frames"][1]["people"][0]["landmarks"]["nose"]
    assert nose["x_px"] == float(sequence.image_xy_px[1, 0, 0, 0])
    assert abs(nose["world_y_m"] - float(sequence.world_xyz_m[1, 0, 0, 1])) < 1e-6
    assert document["units"]["world_x_m"].startswith("metres")


def test_export_all_writes_files_and_zip_with_readme(tmp_path: Path) -> None:
    analysis = make_analysis(tmp_path / "a", name="Week 2: squat")
    written = export_all(analysis, tmp_path / "out")
    names = {p.name for p in written}
    assert {"landmarks.csv", "landmarks.parquet", "landmarks.json", "Week_2__squat.trc", "summary.json",
            "annotated.mp4", "README.md", "Week_2__squat.zip"} <= names
    csv = pd.read_csv(tmp_path / "out" / "landmarks.csv")
    parquet = pd.read_parquet(tmp_path / "out" / "landmarks.parquet")
    assert len(csv) == len(parquet) == 20 * NUM_LANDMARKS
    np.testing.assert_allclose(csv["y_px"], parquet["y_px"], rtol=1e-5)
    with zipfile.ZipFile(tmp_path / "out" / "Week_2__squat.zip") as bundle:
        inside = set(bundle.namelist())
        readme = bundle.read("Week_2__squat/README.md").decode()
        assert bundle.read("Week_2__squat/annotated.mp4") == b"annotated bytes"
    assert "Week_2__squat/Week_2__squat.trc" in inside and "Week_2__squat/landmarks.parquet" in inside
    for column in ("world_x_m", "x_px", "visibility", "time_s"):
        assert f"`{column}`" in readme
    assert "Y = -world_y_m" in readme


def test_zip_readme_describes_angles_per_frame_and_person_and_holds_name_notes_tags_settings(tmp_path: Path) -> None:
    from poselab.motion.reps import RepSpec
    from poselab.store.exports import ExportOptions

    analysis = make_analysis(tmp_path / "a", name="pose_squats.mp4")
    options = ExportOptions(notes="knees past toes", tags=("week 3", "left knee"),
                            reps=RepSpec("left_knee", 130.0, 170.0))
    written = export_all(analysis, tmp_path / "out", options)
    assert (tmp_path / "out" / "pose_squats.zip") in written  # the media suffix is not part of the stem
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "# PoseLab export: pose_squats.mp4" in readme
    assert "knees past toes" in readme and "week 3, left knee" in readme
    assert "min_detection_confidence = 0.5" in readme and "model = lite" in readme
    angles_part = readme.split("## Angle columns (angles.csv)")[1]
    assert "One row per frame x person" in angles_part and "x landmark" not in angles_part
    assert "`angles.csv`: joint angles and angular velocities, one row per frame x person" in readme
    assert "`left_knee_vel_deg_s`: angular velocity, degrees per second" in readme
    reps = pd.read_csv(tmp_path / "out" / "reps.csv")
    assert len(reps) >= 1 and set(reps["angle"]) == {"left_knee"}


def test_angles_export_follows_the_smoothing_and_adds_angular_velocity() -> None:
    from poselab.motion.smoothing import ButterworthParams, SmoothingSettings
    from poselab.store.exports import ExportOptions, angles_export

    sequence = make_sequence(frames=40, fps=20.0)
    rng = np.random.default_rng(0)
    sequence.image_xy_px += rng.normal(0, 3, sequence.image_xy_px.shape).astype(np.float32)
    sequence.world_xyz_m += rng.normal(0, 0.01, sequence.world_xyz_m.shape).astype(np.float32)
    raw = angles_export(sequence, ExportOptions())
    smooth = angles_export(sequence, ExportOptions(smoothing=SmoothingSettings("butterworth",
                                                                                 butterworth=ButterworthParams(2.0))))
    assert raw is not None and smooth is not None
    assert {"left_knee_deg", "left_knee_vel_deg_s", "trunk_incline_vel_deg_s"} <= set(raw.columns)
    assert np.nanstd(np.diff(smooth["left_knee_deg"])) < np.nanstd(np.diff(raw["left_knee_deg"]))
    expected = np.gradient(smooth["left_knee_deg"].to_numpy(), smooth["time_s"].to_numpy())
    np.testing.assert_allclose(smooth["left_knee_vel_deg_s"], expected, atol=0.05)


def test_download_names_follow_the_analysis() -> None:
    from poselab.store.exports import download_name

    assert download_name("pose_squats.mp4", "landmarks.csv") == "pose_squats_landmarks.csv"
    assert download_name("pose_squats.mp4", "pose_squats.zip") == "pose_squats.zip"
    assert download_name("Week 2: squat", "annotated.mp4") == "Week_2__squat_annotated.mp4"
    assert download_name("a.mp4", "landmarks.csv") != download_name("b.mp4", "landmarks.csv")
