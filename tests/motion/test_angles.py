"""Joint angles: the maths on hand-made poses, and the knee angles of the shared squat clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from poselab.errors import InputError
from poselab.motion.angles import (
    ANGLES,
    angle_between_deg,
    angle_ranges,
    angles_frame,
    angular_velocity_deg_s,
    compute_angles,
)
from poselab.sequence import PoseSequence, VideoInfo
from poselab.skeleton import LANDMARK_INDEX
from tests.motion.test_smoothing import analyzed


def posed(points: dict[str, tuple[float, float, float]], frames: int = 2, visibility: float = 0.9) -> PoseSequence:
    """A one-slot sequence holding the given world points (metres) in every frame; image = world x 100 px."""
    world = np.full((frames, 1, 33, 3), np.nan, np.float32)
    for name, xyz in points.items():
        world[:, 0, LANDMARK_INDEX[name]] = xyz
    vis = np.full((frames, 1, 33), visibility, np.float32)
    return PoseSequence(
        time_s=np.arange(frames) * 0.1, image_xy_px=world[..., :2] * 100, image_z=world[..., 2], visibility=vis,
        presence=vis.copy(), world_xyz_m=world, video=VideoInfo(640, 480, 10.0, frames, frames / 10),
    )


def test_angle_between_right_and_straight() -> None:
    assert angle_between_deg(np.array([1.0, 0, 0]), np.array([0, 1.0, 0])) == pytest.approx(90)
    assert angle_between_deg(np.array([1.0, 0]), np.array([-2.0, 0])) == pytest.approx(180)
    assert angle_between_deg(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == pytest.approx(0, abs=1e-6)
    assert np.isnan(angle_between_deg(np.array([np.nan, 0, 0]), np.array([0, 1.0, 0])))
    assert np.isnan(angle_between_deg(np.zeros(3), np.array([0, 1.0, 0])))


def test_knee_90_and_180_degrees_in_both_spaces() -> None:
    bent = posed({"left_hip": (0, 0, 0), "left_knee": (0, 0.4, 0), "left_ankle": (0.4, 0.4, 0)})
    straight = posed({"left_hip": (0, 0, 0), "left_knee": (0, 0.4, 0), "left_ankle": (0, 0.8, 0)})
    for space in ("world", "image"):
        assert compute_angles(bent, space).of("left_knee")[0] == pytest.approx(90)
        assert compute_angles(straight, space).of("left_knee")[0] == pytest.approx(180)
        assert np.isnan(compute_angles(straight, space).of("right_knee")).all()  # right leg missing


def test_low_visibility_makes_the_angle_nan() -> None:
    pose = posed({"left_hip": (0, 0, 0), "left_knee": (0, 0.4, 0), "left_ankle": (0, 0.8, 0)})
    pose.visibility[1, 0, LANDMARK_INDEX["left_ankle"]] = 0.2
    knee = compute_angles(pose, visibility_threshold=0.5).of("left_knee")
    assert knee[0] == pytest.approx(180) and np.isnan(knee[1])
    assert compute_angles(pose, visibility_threshold=0.1).of("left_knee")[1] == pytest.approx(180)


def test_trunk_incline_from_vertical() -> None:
    upright = {"left_hip": (-0.1, 0, 0), "right_hip": (0.1, 0, 0),
               "left_shoulder": (-0.1, -0.5, 0), "right_shoulder": (0.1, -0.5, 0)}
    leaning = upright | {"left_shoulder": (-0.1, -0.5, 0.5), "right_shoulder": (0.1, -0.5, 0.5)}
    assert compute_angles(posed(upright)).of("trunk_incline")[0] == pytest.approx(0, abs=1e-6)
    assert compute_angles(posed(leaning)).of("trunk_incline")[0] == pytest.approx(45)


def test_angular_velocity_in_degrees_per_second() -> None:
    time_s = np.arange(5) * 0.5
    values = np.array([0.0, 10, 20, np.nan, 40])
    velocity = angular_velocity_deg_s(values, time_s)
    assert velocity[1] == pytest.approx(20) and np.isnan(velocity[2]) and np.isnan(velocity[4])


def test_angles_table_columns_and_ranges() -> None:
    pose = posed({"left_hip": (0, 0, 0), "left_knee": (0, 0.4, 0), "left_ankle": (0.4, 0.4, 0)}, frames=3)
    table = angles_frame(pose)
    assert list(table.columns[:3]) == ["frame", "time_s", "person"]
    assert list(table.columns[3:]) == [a.column for a in ANGLES]
    assert {"left_knee_deg", "right_ankle_deg", "trunk_incline_deg"} <= set(table.columns)
    assert len(table) == 3 and table["left_knee_deg"].iloc[0] == pytest.approx(90)
    ranges = angle_ranges(compute_angles(pose)).set_index("angle")
    assert ranges.loc["left_knee", "range_deg"] == pytest.approx(0) and ranges.loc["left_knee", "frames_measured"] == 3
    with pytest.raises(InputError):
        compute_angles(pose, space="sideways")


@pytest.mark.slow
@pytest.mark.parametrize("space", ["world", "image"])
def test_squat_knee_angles_span_the_squat(space: str, test_data: Path, model_dir: Path) -> None:
    angles = compute_angles(analyzed("squats", test_data, model_dir), space)
    knee = angles.of("left_knee")
    print(f"{space} left knee: {np.nanmin(knee):.0f}..{np.nanmax(knee):.0f} deg")
    assert np.nanmin(knee) < 100  # well below 110 at the bottom
    assert np.nanmax(knee) > 160  # above 150 standing
    if space == "world":
        right = angles.of("right_knee")
        assert np.nanmin(right) < 100 and np.nanmax(right) > 160


def _angles_tab_app(folder: str) -> None:
    """The Angles tab alone, on a stored analysis, inspecting frame 10 (the bottom of the first squat)."""
    from pathlib import Path

    from components.motion_views import angles_view
    from components.result_context import ResultContext
    from components.settings import DisplaySettings
    from poselab.store.analysis import Analysis

    angles_view(ResultContext(Analysis.load(Path(folder)), DisplaySettings(), "t", 10))


@pytest.mark.slow
def test_angles_tab_shows_ranges_and_reps(tmp_path: Path, test_data: Path, model_dir: Path) -> None:
    import shutil

    from streamlit.testing.v1 import AppTest

    from poselab.settings import InferenceSettings
    from poselab.store.analysis import Analysis

    shutil.copy(test_data / "mediapipe/pose_squats.mp4", tmp_path / "source.mp4")
    Analysis(tmp_path, analyzed("squats", test_data, model_dir), InferenceSettings(), "squats", "x").save()
    at = AppTest.from_function(_angles_tab_app, args=(str(tmp_path),), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert {m.label: m.value for m in at.metric}["Reps"] == "2"
    ranges = at.dataframe[0].value.set_index("angle")
    assert ranges.loc["left_knee", "min_deg"] < 100 and ranges.loc["left_knee", "max_deg"] > 160
    assert ranges.loc["left_knee", "now_deg"] < 100  # frame 10 is at the bottom
    assert "less)" in at.caption[0].value  # jitter before and after smoothing
    at.toggle(key="t.labels").set_value(True)
    at.selectbox(key="t.motion.smoothing").set_value("butterworth")
    at.run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert len(at.get("imgs")) == 1 or len(at.get("image")) == 1
    assert {m.label: m.value for m in at.metric}["Reps"] == "2"
    at.number_input(key="t.rep_low").set_value(60.0).run()  # the knee never gets that low
    assert {m.label: m.value for m in at.metric}["Reps"] == "0"
