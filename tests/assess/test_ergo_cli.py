"""`python -m poselab ergonomics` and `analyze --ergonomics`: files, columns, scores and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from poselab.assess.reba import REBA_COLUMNS
from poselab.assess.rula import RULA_COLUMNS
from poselab.store.tables import write_landmarks_csv
from tests.assess.posing import Arm, Posture, sequence_of
from tests.cli.test_cli import run_cli
from tests.conftest import write_test_clip

BENT = Posture(trunk_flexion=30, neck_flexion=25, left=Arm(flexion=60, wrist=10), right=Arm(flexion=60, wrist=10))
ISSUE_RULA = ("frame", "time_s", "person", "side", "upper_arm", "lower_arm", "wrist", "wrist_twist", "neck", "trunk",
              "legs", "table_a", "table_b", "muscle", "force", "score_c", "score_d", "score", "action_level")
ISSUE_REBA = ("neck", "trunk", "legs", "upper_arm", "lower_arm", "wrist", "table_a", "load", "score_a", "table_b",
              "coupling", "score_b", "table_c", "activity", "score", "risk_level")


@pytest.fixture
def synthetic_csv(tmp_path: Path) -> Path:
    path = tmp_path / "landmarks.csv"
    write_landmarks_csv(sequence_of([Posture(), BENT, BENT]), path)
    return path


def _one_error_line(result) -> str:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_synthetic_csv_scores_through_the_cli(synthetic_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("ergonomics", str(synthetic_csv), "--out", str(out))
    assert result.returncode == 0, result.stderr
    rula, reba = pd.read_csv(out / "rula.csv"), pd.read_csv(out / "reba.csv")
    assert tuple(rula.columns[:len(ISSUE_RULA)]) == ISSUE_RULA and set(RULA_COLUMNS) <= set(rula.columns)
    assert set(ISSUE_REBA) <= set(reba.columns) and set(REBA_COLUMNS) <= set(reba.columns)
    assert {"trunk_flexion_deg", "neck_flexion_deg", "upper_arm_flexion_deg", "elbow_flexion_deg"} <= set(rula.columns)
    bent = rula[rula["frame"] == 1].set_index("side")
    expected = {"upper_arm": 3, "lower_arm": 1, "wrist": 2, "neck": 3, "trunk": 3, "legs": 1, "table_a": 4,
                "table_b": 4, "score": 4, "action_level": 2}
    for side in ("left", "right"):
        assert {k: int(bent.loc[side, k]) for k in expected} == expected, side
    assert rula[rula["frame"] == 0]["score"].tolist() == [1, 1]
    bent_reba = reba[reba["frame"] == 1]
    assert bent_reba["score"].tolist() == [4, 4] and bent_reba["risk_level"].tolist() == [3, 3]
    summary = json.loads((out / "ergonomics.json").read_text())
    assert summary["inputs"]["load_kg"] == {"value": 0.0, "default": 0.0, "source": "default",
                                            "meaning": "load handled, kg"}
    assert summary["camera"].startswith("assumed level")
    shares = summary["rula"]["people"]["0"]["share_by_level"]
    assert shares["1"] == pytest.approx(1 / 3, abs=0.01) and shares["2"] == pytest.approx(2 / 3, abs=0.01)
    assert summary["rula"]["worst_moments"][0]["frame"] == 1
    report = (out / "ergonomics_report.html").read_text()
    assert "<svg" in report and "camera is assumed level" in report and "Limits" in report


def test_inputs_change_the_cli_scores(synthetic_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("ergonomics", str(synthetic_csv), "--out", str(out), "--method", "rula", "--load-kg", "12",
                     "--load-pattern", "static", "--wrist-twist", "2", "--muscle-use", "--calibrate-frame", "0")
    assert result.returncode == 0, result.stderr
    assert not (out / "reba.csv").exists()
    rula = pd.read_csv(out / "rula.csv")
    bent = rula[rula["frame"] == 1]
    assert bent["force"].tolist() == [3, 3] and bent["muscle"].tolist() == [1, 1]
    assert bent["wrist_twist"].tolist() == [2, 2]
    assert bent["score"].tolist() == [7, 7]  # C = 4 + 1 + 3 = 8, D = 4 + 1 + 3 = 8 -> 7
    summary = json.loads((out / "ergonomics.json").read_text())
    assert summary["inputs"]["load_kg"]["source"] == "user" and summary["calibration"]["frame"] == 0


@pytest.mark.parametrize("options", [
    ["--coupling", "great"], ["--method", "owas"], ["--load-pattern", "heavy"], ["--wrist-twist", "3"],
    ["--load-kg", "lots"], ["--load-kg", "-2"], ["--calibrate-frame", "99"], ["--calibrate-frame", "first"],
])
def test_bad_option_values_exit_2_with_one_line(options: list[str], synthetic_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _one_error_line(run_cli("ergonomics", str(synthetic_csv), "--out", str(out), *options))
    assert not out.exists()


def test_csv_without_world_columns_exits_2(synthetic_csv: Path, tmp_path: Path) -> None:
    table = pd.read_csv(synthetic_csv).drop(columns=["world_x_m", "world_y_m", "world_z_m"])
    bad = tmp_path / "flat.csv"
    table.to_csv(bad, index=False)
    line = _one_error_line(run_cli("ergonomics", str(bad), "--out", str(tmp_path / "out")))
    assert "world" in line


@pytest.mark.parametrize("kind", ["missing", "empty folder", "not a csv"])
def test_other_bad_inputs_exit_2(kind: str, tmp_path: Path) -> None:
    target = {"missing": tmp_path / "nope.csv", "empty folder": tmp_path / "empty",
              "not a csv": tmp_path / "notes.csv"}[kind]
    if kind == "empty folder":
        target.mkdir()
    if kind == "not a csv":
        target.write_bytes(b"\x00\x01 not, a\n table \x00")
    _one_error_line(run_cli("ergonomics", str(target), "--out", str(tmp_path / "out")))


@pytest.fixture(scope="module")
def squats_ergonomics(tmp_path_factory: pytest.TempPathFactory, test_data: Path, model_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("squats-ergo") / "out"
    clip = test_data / "mediapipe" / "pose_squats.mp4"
    result = run_cli("analyze", str(clip), "--out", str(out), "--no-video", "--ergonomics", "both")
    assert result.returncode == 0, result.stderr
    return out


def test_squats_deepest_frames_score_above_standing(squats_ergonomics: Path) -> None:
    rula = pd.read_csv(squats_ergonomics / "rula.csv")
    reba = pd.read_csv(squats_ergonomics / "reba.csv")
    assert rula["score"].notna().mean() > 0.9 and reba["score"].notna().mean() > 0.9  # complete
    knee = rula.groupby("frame")["knee_flexion_deg"].max()
    deep, standing = knee[knee > 70].index, knee[knee < 25].index
    assert len(deep) >= 5 and len(standing) >= 5
    for table in (rula, reba):
        worst = table.groupby("frame")["score"].max()
        assert worst[deep].min() > worst[standing].max()
    assert rula.groupby("frame")["action_level"].max()[standing].max() <= 2
    summary = json.loads((squats_ergonomics / "ergonomics.json").read_text())
    assert set(summary["rula"]["people"]["0"]["share_by_level"]) == {"1", "2", "3", "4"}
    assert "data:image/jpeg;base64," in (squats_ergonomics / "ergonomics_report.html").read_text()


def test_ergonomics_of_an_analyze_folder_matches_analyze(squats_ergonomics: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    result = run_cli("ergonomics", str(squats_ergonomics), "--out", str(out))
    assert result.returncode == 0, result.stderr
    first, again = pd.read_csv(squats_ergonomics / "rula.csv"), pd.read_csv(out / "rula.csv")
    np.testing.assert_array_equal(first["score"].to_numpy(), again["score"].to_numpy())


def test_ergonomics_of_a_clip_analyses_it_first(test_data: Path, model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "clip"
    clip = test_data / "videos" / "lab_single_portrait_60fps.mp4"
    result = run_cli("ergonomics", str(clip), "--out", str(out), "--method", "rula")
    assert result.returncode == 0, result.stderr
    assert {"landmarks.csv", "rula.csv", "ergonomics.json", "ergonomics_report.html"} <= {p.name for p in out.iterdir()}
    assert "data:image/jpeg;base64," in (out / "ergonomics_report.html").read_text()  # worst moments illustrated
    levels = pd.read_csv(out / "rula.csv").groupby("frame")["action_level"].max()
    assert levels.notna().mean() > 0.9


def test_analyze_refuses_bad_ergonomics_options_before_inference(tmp_path: Path) -> None:
    clip = write_test_clip(tmp_path / "clip.mp4", frames=3)
    for options in (["--ergonomics", "owas"], ["--ergonomics", "rula", "--coupling", "great"]):
        out = tmp_path / "out"
        line = _one_error_line(run_cli("analyze", str(clip), "--out", str(out), *options))
        assert "owas" in line or "great" in line
        assert not out.exists()
