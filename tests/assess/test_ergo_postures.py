"""Synthetic skeletons with known angles give the expected RULA and REBA sub-scores and scores, both sides."""

from __future__ import annotations

import numpy as np
import pytest

from poselab.assess import ErgoInputs, assess, measure, rescore
from poselab.assess.ergo_angles import calibrate
from poselab.assess.ergonomics import latest_rula
from poselab.errors import InputError
from poselab.skeleton import LANDMARK_INDEX
from tests.assess.posing import Arm, Posture, rotation_x, rotation_z, sequence_of

NEUTRAL = Posture()


def scores_of(posture: Posture, inputs: ErgoInputs | None = None) -> tuple[dict, dict]:
    """RULA and REBA columns of one frame: {name: (left, right)}."""
    result = assess(sequence_of([posture]), inputs)
    pick = lambda scores: {k: tuple(v[0, 0].tolist()) for k, v in scores.items()}  # noqa: E731
    return pick(result.rula), pick(result.reba)


def both(value: float) -> tuple[float, float]:
    return (value, value)


def test_angles_are_measured_back() -> None:
    posture = Posture(trunk_flexion=30, trunk_side_bend=8, trunk_twist=12, neck_flexion=15, neck_twist=-9,
                      left=Arm(flexion=50, abduction=20, elbow=70, wrist=12, knee=40),
                      right=Arm(flexion=-25, abduction=10, elbow=110, wrist=30, knee=40))
    angles = measure(sequence_of([posture]))
    got = {name: angles[name][0, 0] for name in angles.values}
    np.testing.assert_allclose(got["trunk_flexion_deg"], both(30), atol=0.01)
    np.testing.assert_allclose(got["trunk_side_bend_deg"], both(8), atol=0.01)
    np.testing.assert_allclose(np.abs(got["trunk_twist_deg"]), both(12), atol=0.01)
    np.testing.assert_allclose(got["neck_flexion_deg"], both(15), atol=0.01)
    np.testing.assert_allclose(np.abs(got["neck_twist_deg"]), both(9), atol=0.01)
    np.testing.assert_allclose(got["upper_arm_flexion_deg"], (50, -25), atol=0.01)
    np.testing.assert_allclose(got["upper_arm_abduction_deg"], (20, 10), atol=0.01)
    np.testing.assert_allclose(got["elbow_flexion_deg"], (70, 110), atol=0.01)
    np.testing.assert_allclose(got["wrist_flexion_deg"], (12, 30), atol=0.01)
    np.testing.assert_allclose(got["knee_flexion_deg"], (40, 40), atol=0.01)


def test_neutral_posture_scores_one() -> None:
    rula, reba = scores_of(NEUTRAL)
    for name in ("upper_arm", "lower_arm", "wrist", "wrist_twist", "neck", "trunk", "legs", "table_a", "table_b",
                 "score_c", "score_d", "score", "action_level"):
        assert rula[name] == both(1), name
    assert rula["muscle"] == rula["force"] == both(0)
    for name in ("neck", "trunk", "legs", "upper_arm", "lower_arm", "wrist", "table_a", "score_a", "table_b",
                 "score_b", "table_c", "score", "risk_level"):
        assert reba[name] == both(1), name


def test_bent_worker_both_sides() -> None:
    arm = Arm(flexion=60, elbow=80, wrist=10)
    rula, reba = scores_of(Posture(trunk_flexion=30, neck_flexion=25, left=arm, right=arm))
    expected_rula = {"upper_arm": 3, "lower_arm": 1, "wrist": 2, "neck": 3, "trunk": 3, "legs": 1, "table_a": 4,
                     "table_b": 4, "score_c": 4, "score_d": 4, "score": 4, "action_level": 2}
    assert {k: rula[k] for k in expected_rula} == {k: both(v) for k, v in expected_rula.items()}
    expected_reba = {"neck": 2, "trunk": 3, "legs": 1, "upper_arm": 3, "lower_arm": 1, "wrist": 1, "table_a": 4,
                     "score_a": 4, "table_b": 3, "score_b": 3, "table_c": 4, "score": 4, "risk_level": 3}
    assert {k: reba[k] for k in expected_reba} == {k: both(v) for k, v in expected_reba.items()}


def test_deep_bend_with_load_and_muscle_use() -> None:
    arm = Arm(flexion=100, elbow=120, wrist=20)
    inputs = ErgoInputs(load_kg=5.0, muscle_use=True)
    rula, reba = scores_of(Posture(trunk_flexion=70, neck_flexion=25, left=arm, right=arm), inputs)
    expected_rula = {"upper_arm": 4, "lower_arm": 2, "wrist": 3, "neck": 3, "trunk": 4, "table_a": 4, "table_b": 5,
                     "muscle": 1, "force": 1, "score_c": 6, "score_d": 7, "score": 7, "action_level": 4}
    assert {k: rula[k] for k in expected_rula} == {k: both(v) for k, v in expected_rula.items()}
    expected_reba = {"neck": 2, "trunk": 4, "upper_arm": 4, "lower_arm": 2, "wrist": 2, "table_a": 5, "load": 1,
                     "score_a": 6, "table_b": 6, "score_b": 6, "table_c": 8, "score": 8, "risk_level": 4}
    assert {k: reba[k] for k in expected_reba} == {k: both(v) for k, v in expected_reba.items()}


def test_sides_are_scored_apart() -> None:
    rula, reba = scores_of(Posture(left=Arm(flexion=100), right=Arm(flexion=30)))
    assert rula["upper_arm"] == (4, 2)
    assert reba["upper_arm"] == (4, 2)
    assert rula["table_a"] == (4, 2)  # UA 4 / 2, LA 1, W 1, T 1


@pytest.mark.parametrize(("posture", "rula_trunk", "reba_trunk"), [
    (Posture(trunk_twist=9.9), 1, 1), (Posture(trunk_twist=10.1), 2, 2),
    (Posture(trunk_side_bend=9.9), 1, 1), (Posture(trunk_side_bend=10.1), 2, 2),
    (Posture(trunk_flexion=10, trunk_twist=15, trunk_side_bend=12), 4, 3),
])
def test_trunk_twist_and_side_bend(posture: Posture, rula_trunk: int, reba_trunk: int) -> None:
    rula, reba = scores_of(posture)
    assert rula["trunk"] == both(rula_trunk)
    assert reba["trunk"] == both(reba_trunk)


@pytest.mark.parametrize(("posture", "rula_neck", "reba_neck"), [
    (Posture(neck_twist=9.9), 1, 1), (Posture(neck_twist=10.1), 2, 2),
    (Posture(neck_side_bend=10.1), 2, 2), (Posture(neck_flexion=-6, neck_twist=15, neck_side_bend=15), 6, 3),
])
def test_neck_twist_and_side_bend(posture: Posture, rula_neck: int, reba_neck: int) -> None:
    rula, reba = scores_of(posture)
    assert rula["neck"] == both(rula_neck)
    assert reba["neck"] == both(reba_neck)


def test_abduction_and_wrist_out_to_the_side() -> None:
    # abducted 44 / 46 deg: the wrist is more than 0.15 m out from the shoulder in both (+1 lower arm)
    rula, reba = scores_of(Posture(left=Arm(abduction=44), right=Arm(abduction=46)))
    assert rula["upper_arm"] == (1, 2)
    assert reba["upper_arm"] == (1, 2)
    assert rula["lower_arm"] == (2, 2)
    assert reba["lower_arm"] == (1, 1)  # REBA has no such modifier


def test_forearm_across_the_midline() -> None:
    rula, _ = scores_of(Posture(left=Arm(elbow=90, forearm="inward")))
    assert rula["lower_arm"] == (2, 1)


@pytest.mark.parametrize(("raise_m", "knee", "rula_legs", "reba_legs"), [
    (0.0, 0.0, 1, 1), (0.09, 0.0, 1, 1), (0.11, 0.0, 2, 2), (0.0, 29.0, 1, 1), (0.0, 31.0, 1, 2),
    (0.0, 59.0, 1, 2), (0.0, 61.0, 1, 3), (0.2, 61.0, 2, 4),
])
def test_legs(raise_m: float, knee: float, rula_legs: int, reba_legs: int) -> None:
    rula, reba = scores_of(Posture(left_foot_raise_m=raise_m, left=Arm(knee=knee), right=Arm(knee=knee)))
    assert rula["legs"] == both(rula_legs)
    assert reba["legs"] == both(reba_legs)


def test_user_inputs_change_the_scores() -> None:
    base_rula, base_reba = scores_of(NEUTRAL)
    rula, reba = scores_of(NEUTRAL, ErgoInputs(wrist_twist=2, arm_supported=True, wrist_deviated=True,
                                               coupling="poor", unstable=True))
    assert rula["wrist_twist"] == both(2) and base_rula["wrist_twist"] == both(1)
    assert rula["wrist"] == both(2)  # deviated: +1
    assert rula["upper_arm"] == both(1)  # supported: -1, never below 1
    assert reba["wrist"] == both(2)  # deviated or twisted: +1 once
    assert reba["coupling"] == both(2) and reba["score_b"] == both(4)  # B: LA 1, UA 1, W 2 -> 2
    assert reba["activity"] == both(1) and base_reba["activity"] == both(0)


def test_invisible_landmark_gives_no_score_on_its_side_only() -> None:
    sequence = sequence_of([Posture()])
    sequence.visibility[0, 0, LANDMARK_INDEX["left_wrist"]] = 0.3
    result = assess(sequence)
    assert np.isnan(result.rula["score"][0, 0, 0]) and result.rula["score"][0, 0, 1] == 1
    assert np.isnan(result.reba["score"][0, 0, 0]) and result.reba["score"][0, 0, 1] == 1
    assert result.person_score("rula")[0, 0] == 1


def test_invisible_hip_gives_no_score_at_all() -> None:
    sequence = sequence_of([Posture()])
    sequence.visibility[0, 0, LANDMARK_INDEX["right_hip"]] = 0.1
    result = assess(sequence)
    assert np.isnan(result.rula["score"]).all() and np.isnan(result.reba["score"]).all()


@pytest.mark.parametrize("rotation", [rotation_x(20), rotation_z(-15), rotation_x(-12) @ rotation_z(10)])
def test_tilted_camera_is_corrected_by_calibration(rotation: np.ndarray) -> None:
    bent = Posture(trunk_flexion=25, neck_flexion=15, left=Arm(flexion=50), right=Arm(flexion=50))
    sequence = sequence_of([NEUTRAL] * 5 + [bent], rotation=rotation)
    tilted = measure(sequence)
    assert abs(tilted["trunk_flexion_deg"][5, 0, 0] - 25) > 5 or abs(tilted["trunk_side_bend_deg"][5, 0, 0]) > 5
    fixed = measure(sequence, calibrate(sequence, 2))
    np.testing.assert_allclose(fixed["trunk_flexion_deg"][5, 0], both(25), atol=0.01)
    np.testing.assert_allclose(fixed["trunk_side_bend_deg"][5, 0], both(0), atol=0.01)
    np.testing.assert_allclose(fixed["upper_arm_flexion_deg"][5, 0], both(50), atol=0.01)
    np.testing.assert_allclose(fixed["neck_flexion_deg"][5, 0], both(15), atol=0.01)
    result = assess(sequence, ErgoInputs(calibrate_frame=0))
    assert result.rula["trunk"][5, 0].tolist() == [3, 3]


def test_calibration_sets_the_neck_offset() -> None:
    habit = Posture(neck_flexion=8)  # this person's upright head sits 8 deg forward
    sequence = sequence_of([habit] * 3 + [Posture(neck_flexion=30)])  # calibration: median of frames 0..2
    fixed = measure(sequence, calibrate(sequence, 0))
    np.testing.assert_allclose(fixed["neck_flexion_deg"][:, 0, 0], [0, 0, 0, 22], atol=0.01)


def test_shoulder_raised_needs_calibration() -> None:
    raised = Posture(left=Arm(shoulder_raise_m=0.1), right=Arm(shoulder_raise_m=0.03))
    sequence = sequence_of([NEUTRAL] * 3 + [raised])
    plain = assess(sequence)
    assert plain.rula["upper_arm"][3, 0].tolist() == [1, 1]  # not assessed without calibration
    calibrated = assess(sequence, ErgoInputs(calibrate_frame=0))
    assert calibrated.rula["upper_arm"][3, 0].tolist() == [2, 1]  # 35 % shorter / 11 % shorter
    assert calibrated.reba["upper_arm"][3, 0].tolist() == [2, 1]


def test_calibration_frame_outside_the_clip() -> None:
    with pytest.raises(InputError, match="outside the clip"):
        assess(sequence_of([NEUTRAL]), ErgoInputs(calibrate_frame=3))


def test_bad_inputs_are_refused() -> None:
    for bad in ({"load_kg": -1.0}, {"load_pattern": "heavy"}, {"coupling": "great"}, {"wrist_twist": 3}):
        with pytest.raises(InputError):
            ErgoInputs(**bad)


def test_posture_held_a_minute_is_static() -> None:
    arm = Arm(flexion=60)
    held = sequence_of([Posture(left=arm, right=arm)] * 62, fps=1.0)  # 61 s
    short = sequence_of([Posture(left=arm, right=arm)] * 59, fps=1.0)  # 58 s
    long_result, short_result = assess(held), assess(short)
    assert (long_result.rula["muscle"] == 1).all() and (short_result.rula["muscle"] == 0).all()
    assert (long_result.reba["activity"] == 1).all() and (short_result.reba["activity"] == 0).all()
    assert long_result.rula["score_c"][0, 0, 0] == short_result.rula["score_c"][0, 0, 0] + 1
    assert long_result.rula["score_d"][0, 0, 0] == short_result.rula["score_d"][0, 0, 0] + 1


def test_repeated_bending_is_muscle_use() -> None:
    # bend to 40 deg and back every 10 s for a minute (6 a minute), against one bend in the same minute
    cycle = [Posture(trunk_flexion=f) for f in (0, 0, 0, 20, 40, 40, 40, 20, 0, 0)]
    repeated = assess(sequence_of(cycle * 6 + cycle[:1], fps=1.0))
    once = assess(sequence_of(cycle + [Posture()] * 51, fps=1.0))
    assert repeated.repeated[30, 0].tolist() == [1, 1]
    assert (once.repeated == 0).all()
    assert (repeated.rula["muscle"][30, 0] == 1).all() and (once.rula["muscle"][30, 0] == 0).all()


def test_rescore_changes_scores_without_measuring_again() -> None:
    result = assess(sequence_of([Posture(trunk_flexion=30)]))
    heavier = rescore(result, ErgoInputs(load_kg=12.0))
    assert heavier.angles is result.angles
    assert heavier.rula["force"][0, 0, 0] == 2 and result.rula["force"][0, 0, 0] == 0
    assert heavier.rula["score"][0, 0, 0] > result.rula["score"][0, 0, 0]
    assert heavier.reba["score"][0, 0, 0] > result.reba["score"][0, 0, 0]


def test_latest_rula_reads_the_newest_frame() -> None:
    arm = Arm(flexion=100, elbow=120, wrist=20)
    history = sequence_of([Posture()] * 3 + [Posture(trunk_flexion=70, neck_flexion=25, left=arm, right=arm)])
    assert latest_rula(history) == (5.0, 3.0)  # A 4 (UA 4, LA 2, W 3), B 5 (N 3, T 4, L 1): C[4][5] = 5
    assert latest_rula(history.slice_frames(0, 3)) == (1.0, 1.0)


def _toward(elevation_deg: float, forward_deg: float) -> tuple[float, float, float]:
    """An upper arm raised ``elevation_deg`` from hanging, turned ``forward_deg`` from the side to the front."""
    e, f = np.radians(elevation_deg), np.radians(forward_deg)
    return (np.cos(e), np.sin(e) * np.sin(f), np.sin(e) * np.cos(f))


@pytest.mark.parametrize("forward_deg", [-15.0, -5.0, 0.0, 5.0, 15.0])
def test_arm_out_to_the_side_scores_by_its_elevation(forward_deg: float) -> None:
    # a T-pose, arms a little in front of or behind the frontal plane: 90 deg elevation (3) + abducted (1)
    arm = Arm(direction=_toward(90.0, forward_deg))
    rula, reba = scores_of(Posture(left=arm, right=arm))
    assert rula["upper_arm"] == both(4) and reba["upper_arm"] == both(4)


@pytest.mark.parametrize("forward_deg", [-10.0, 0.0, 10.0])
def test_arm_raised_overhead_sideways_is_flexed(forward_deg: float) -> None:
    arm = Arm(direction=_toward(150.0, forward_deg))
    angles = measure(sequence_of([Posture(left=arm, right=arm)]))
    np.testing.assert_allclose(angles["upper_arm_abduction_deg"][0, 0], both(150.0), atol=11.0)
    rula, _ = scores_of(Posture(left=arm, right=arm))
    assert rula["upper_arm"] == both(5)  # > 90 deg (4), abducted (+1)


def test_arm_raised_forward_is_not_abducted() -> None:
    for elevation in (80.0, 100.0, 120.0):
        arm = Arm(direction=_toward(elevation, 80.0))  # 10 deg out from straight ahead
        rula, _ = scores_of(Posture(left=arm, right=arm))
        assert rula["upper_arm"] == both(3 if elevation <= 90 else 4), elevation
