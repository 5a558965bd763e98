"""Built-in posture classes on synthetic poses (each rule) and on the shared clips."""

from __future__ import annotations

import numpy as np
import pytest

from poselab.assess.postures import POSTURES, posture_shares, postures_frame
from tests.assess.animate import Body, sequence_from
from tests.assess.scenarios import NOT_FALLS, STILL


@pytest.mark.parametrize(("body", "expected"), [
    (Body(), "standing"),
    (Body(thigh_deg=90, trunk_deg=5), "sitting"),
    (Body(topple_deg=85, topple_dir="sideways"), "lying"),
    (Body(topple_deg=88, topple_dir="backward"), "lying"),
    (Body(trunk_deg=80, thigh_deg=10), "bending forward"),
    (Body(shank_deg=40, thigh_deg=100, trunk_deg=40), "squatting/kneeling"),
    (Body(shank_deg=85, thigh_deg=5), "squatting/kneeling"),  # kneeling upright: shanks on the floor
])
@pytest.mark.parametrize("yaw_deg", [0.0, 60.0, 90.0])
def test_each_held_posture_is_named(body: Body, expected: str, yaw_deg: float) -> None:
    table = postures_frame(sequence_from(lambda t: (body, STILL), 1.0, yaw_deg=yaw_deg, elevation_deg=0.0))
    assert set(table["posture"]) == {expected}
    assert (table["confidence"] > 0.8).all()


def test_a_missing_or_hidden_person_is_unknown() -> None:
    seq = sequence_from(lambda t: (Body(), STILL), 1.0)
    seq.visibility[:5] = 0.1  # hidden: the model is unsure of every landmark
    seq.image_xy_px[-5:] = np.nan  # gone: no rows at all
    seq.visibility[-5:] = np.nan
    table = postures_frame(seq)
    assert (table["posture"].iloc[:5] == "unknown").all() and (table["confidence"].iloc[:5] == 0).all()
    assert len(table) == seq.num_frames - 5
    assert list(table.columns) == ["frame", "time_s", "person", "posture", "confidence"]
    assert set(table["posture"]) <= set(POSTURES)


def test_squats_alternate_with_standing_and_sitting_down_stays_seated() -> None:
    # a level camera: MediaPipe's world frame is the camera's, so a tilted camera tilts every angle
    squats = postures_frame(sequence_from(NOT_FALLS["squat"], 6.0, elevation_deg=0.0))["posture"]
    changes = (squats != squats.shift()).sum() - 1
    assert changes == 5  # standing -> squatting -> standing, three times
    sit = postures_frame(sequence_from(NOT_FALLS["sit_down"], 4.0, elevation_deg=0.0))["posture"]
    assert sit.iloc[0] == "standing" and sit.iloc[-1] == "sitting"


def test_the_shared_squat_clip_alternates_standing_and_squatting(shared_sequences: dict) -> None:
    table = postures_frame(shared_sequences["mediapipe/pose_squats.mp4"])
    shares = posture_shares(table)[0]
    assert shares.get("standing", 0) > 0.35 and shares.get("squatting/kneeling", 0) > 0.35
    runs = table["posture"][table["posture"] != table["posture"].shift()].tolist()
    assert runs[:2] == ["standing", "squatting/kneeling"] and runs.count("squatting/kneeling") == 3  # its three squats


def test_the_lab_clip_is_mostly_standing(shared_sequences: dict) -> None:
    shares = posture_shares(postures_frame(shared_sequences["videos/lab_two_people_portrait_60fps.mp4"]))
    assert shares[0]["standing"] > 0.9 and shares[1]["standing"] > 0.6
