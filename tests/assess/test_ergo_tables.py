"""RULA and REBA lookup tables: the worked examples of the shared tables file, and every cell against it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from poselab.assess import ergo_tables as tb
from poselab.assess.reba import load_score
from poselab.assess.rula import force_score, lookup

# (UA, LA, W, T) -> A; (neck, trunk, legs) -> B; muscle, force -> C, D -> score (the shared file's examples)
RULA_EXAMPLES = [
    ((1, 1, 1, 1), 1, (1, 1, 1), 1, 0, 0, 1, 1, 1),
    ((3, 1, 2, 1), 4, (3, 3, 1), 4, 1, 0, 5, 5, 6),
    ((4, 2, 3, 1), 4, (3, 4, 1), 5, 1, 1, 6, 7, 7),
    ((3, 1, 1, 1), 3, (3, 3, 1), 4, 1, 0, 4, 5, 5),
]


@pytest.mark.parametrize(("arm", "table_a", "body", "table_b", "muscle", "force", "c", "d", "score"), RULA_EXAMPLES)
def test_rula_worked_examples(arm, table_a, body, table_b, muscle, force, c, d, score) -> None:
    assert lookup(tb.RULA_TABLE_A, *map(np.array, arm)) == table_a
    assert lookup(tb.RULA_TABLE_B, *map(np.array, body)) == table_b
    assert (table_a + muscle + force, table_b + muscle + force) == (c, d)
    assert lookup(tb.RULA_TABLE_C, np.array(min(c, 8)), np.array(min(d, 7))) == score


def test_rula_table_c_caps_rows_and_columns() -> None:
    assert lookup(tb.RULA_TABLE_C, np.array(8.0), np.array(7.0)) == 7
    assert lookup(tb.RULA_TABLE_C, np.array(1.0), np.array(7.0)) == 5
    assert np.isnan(lookup(tb.RULA_TABLE_C, np.array(np.nan), np.array(1.0)))


def test_reba_table_corners() -> None:
    assert lookup(tb.REBA_TABLE_A, np.array(1), np.array(1), np.array(1)) == 1
    assert lookup(tb.REBA_TABLE_A, np.array(3), np.array(5), np.array(4)) == 9
    assert lookup(tb.REBA_TABLE_B, np.array(2), np.array(6), np.array(3)) == 9
    assert lookup(tb.REBA_TABLE_C, np.array(6), np.array(9)) == 10
    assert lookup(tb.REBA_TABLE_C, np.array(12), np.array(12)) == 12


@pytest.mark.parametrize(("load_kg", "pattern", "rula", "reba"), [
    (0.0, "intermittent", 0, 0), (1.99, "intermittent", 0, 0), (2.0, "intermittent", 1, 0),
    (4.99, "static", 2, 0), (5.0, "intermittent", 1, 1), (10.0, "intermittent", 1, 1),
    (10.01, "intermittent", 2, 2), (10.01, "static", 3, 2), (1.0, "shock", 3, 1), (12.0, "shock", 3, 3),
])
def test_force_and_load_scores(load_kg: float, pattern: str, rula: int, reba: int) -> None:
    assert force_score(load_kg, pattern) == rula
    assert load_score(load_kg, pattern) == reba


def _numbers(line: str) -> list[int]:
    return [int(v) for v in re.findall(r"\d+", line)]


def _section(text: str, title: str) -> list[str]:
    block = text.split(title, 1)[1].split("\n\n", 1)[0]
    return [line for line in block.splitlines()[1:] if line.strip()]


def test_tables_match_the_shared_file(test_data: Path) -> None:
    source = test_data / "ergonomics" / "rula_reba_tables.md"
    if not source.is_file():
        pytest.skip(f"{source} is missing from POSELAB_TEST_DATA")
    text = source.read_text()
    rows_a = [_numbers(line) for line in _section(text, "## RULA Table A")[1:]]
    for ua, la, *cells in rows_a:
        assert list(tb.RULA_TABLE_A[ua - 1, la - 1].ravel()) == cells, (ua, la)
    rows_b = [_numbers(line) for line in _section(text, "## RULA Table B")[1:]]
    for neck, *cells in rows_b:
        assert list(tb.RULA_TABLE_B[neck - 1].ravel()) == cells, neck
    rows_c = [_numbers(line)[1:] for line in _section(text, "## RULA Table C")[1:]]
    assert np.array(rows_c).tolist() == tb.RULA_TABLE_C.tolist()
    reba_a = [_numbers(line)[1:] for line in _section(text, "Table A: neck")]
    for neck, cells in enumerate(reba_a):
        assert [v for i, v in enumerate(cells) if i % 5] == list(tb.REBA_TABLE_A[neck].ravel())
    reba_b = [_numbers(line)[1:] for line in _section(text, "Table B: lower arm")]
    for lower, cells in enumerate(reba_b):
        assert [v for i, v in enumerate(cells) if i % 4] == list(tb.REBA_TABLE_B[lower].ravel())
    reba_c = [_numbers(line)[1:] for line in _section(text, "Table C: score A")]
    assert reba_c == tb.REBA_TABLE_C.tolist()
