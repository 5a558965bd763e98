"""Every bin of RULA and REBA at values either side of each threshold (issue 15's definitions)."""

from __future__ import annotations

import numpy as np
import pytest

from poselab.assess import ergo_tables as tb
from poselab.assess.rula import band_score

EPS = 0.1
CASES = {  # bands: [(value_deg, expected score)]
    "upper arm": (tb.UPPER_ARM_BANDS, [(-20 - EPS, 2), (-20 + EPS, 1), (0, 1), (20 - EPS, 1), (20 + EPS, 2),
                                       (45 - EPS, 2), (45 + EPS, 3), (90 - EPS, 3), (90 + EPS, 4), (170, 4)]),
    "lower arm": (tb.LOWER_ARM_BANDS, [(0, 2), (60 - EPS, 2), (60 + EPS, 1), (100 - EPS, 1), (100 + EPS, 2)]),
    "RULA wrist": (tb.RULA_WRIST_BANDS, [(0, 1), (5 - EPS, 1), (5 + EPS, 2), (15 - EPS, 2), (15 + EPS, 3)]),
    "RULA neck": (tb.RULA_NECK_BANDS, [(-5 - EPS, 4), (-5 + EPS, 1), (10 - EPS, 1), (10 + EPS, 2),
                                       (20 - EPS, 2), (20 + EPS, 3), (60, 3)]),
    "RULA trunk": (tb.RULA_TRUNK_BANDS, [(-5 - EPS, 2), (-5 + EPS, 1), (5 - EPS, 1), (5 + EPS, 2),
                                         (20 - EPS, 2), (20 + EPS, 3), (60 - EPS, 3), (60 + EPS, 4)]),
    "REBA trunk": (tb.REBA_TRUNK_BANDS, [(-20 - EPS, 3), (-20 + EPS, 2), (-5 - EPS, 2), (-5 + EPS, 1),
                                         (5 - EPS, 1), (5 + EPS, 2), (20 - EPS, 2), (20 + EPS, 3),
                                         (60 - EPS, 3), (60 + EPS, 4)]),
    "REBA neck": (tb.REBA_NECK_BANDS, [(-EPS, 2), (EPS, 1), (20 - EPS, 1), (20 + EPS, 2)]),
    "REBA wrist": (tb.REBA_WRIST_BANDS, [(0, 1), (15 - EPS, 1), (15 + EPS, 2)]),
    "REBA knee": (tb.REBA_KNEE_BANDS, [(0, 0), (30 - EPS, 0), (30 + EPS, 1), (60 - EPS, 1), (60 + EPS, 2)]),
    "RULA action level": (tb.RULA_ACTION_LEVELS, [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3), (7, 4)]),
    "REBA risk level": (tb.REBA_RISK_LEVELS, [(1, 1), (2, 2), (3, 2), (4, 3), (7, 3), (8, 4), (10, 4), (11, 5),
                                             (15, 5)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bins_either_side_of_each_threshold(name: str) -> None:
    bands, cases = CASES[name]
    values = np.array([value for value, _ in cases])
    expected = [score for _, score in cases]
    assert band_score(values, bands).tolist() == expected


def test_unknown_angle_has_no_score() -> None:
    assert np.isnan(band_score(np.array([np.nan]), tb.UPPER_ARM_BANDS)).all()


@pytest.mark.parametrize(("value", "expected"), [(20.0, 1), (45.0, 2), (90.0, 3), (-20.0, 1)])
def test_an_edge_belongs_to_the_band_listed_first(value: float, expected: int) -> None:
    assert band_score(np.array(value), tb.UPPER_ARM_BANDS) == expected
