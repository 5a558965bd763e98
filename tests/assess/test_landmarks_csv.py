"""A PoseSequence read back from landmarks.csv: the same landmarks, frames without anyone kept as NaN."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from poselab.errors import InputError
from poselab.store.landmarks_csv import read_landmarks_csv
from poselab.store.tables import write_landmarks_csv
from tests.assess.posing import Arm, Posture, sequence_of


def test_round_trip_with_an_empty_frame(tmp_path: Path) -> None:
    sequence = sequence_of([Posture(), Posture(trunk_flexion=20), Posture(left=Arm(flexion=90)), Posture()])
    for name in ("world_xyz_m", "image_xy_px", "visibility", "presence", "image_z"):
        getattr(sequence, name)[2] = np.nan  # nobody found in frame 2
    path = tmp_path / "landmarks.csv"
    write_landmarks_csv(sequence, path)
    back = read_landmarks_csv(path)
    np.testing.assert_allclose(back.world_xyz_m, sequence.world_xyz_m, atol=1e-5)
    np.testing.assert_allclose(back.visibility, sequence.visibility)
    np.testing.assert_allclose(back.time_s, sequence.time_s, atol=1e-6)
    assert back.detected()[:, 0].tolist() == [True, True, False, True]


def test_a_table_of_something_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "angles.csv"
    path.write_text("frame,time_s,person,left_knee_deg\n0,0,0,170\n")
    with pytest.raises(InputError, match=r"landmarks\.csv"):
        read_landmarks_csv(path)
