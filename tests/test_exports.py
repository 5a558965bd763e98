"""Exports: a valid OpenSim .trc, landmarks as Parquet and JSON, and the zip with its README."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from poselab.exports import export_all, read_trc_header, write_landmarks_json, write_trc
from poselab.skeleton import LANDMARK_NAMES, NUM_LANDMARKS
from tests.test_library import make_analysis, make_sequence


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
