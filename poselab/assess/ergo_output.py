"""The files an ergonomic assessment writes: rula.csv, reba.csv, ergonomics.json and ergonomics_report.html."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from poselab.assess.ergo_summary import summary
from poselab.assess.ergonomics import METHODS, ErgoInputs, ErgoResult, assess, scores_frame
from poselab.errors import InputError, PoseLabError
from poselab.sequence import PoseSequence

REPORT_FILE = "ergonomics_report.html"


def methods_of(choice: str) -> tuple[str, ...]:
    """``rula``, ``reba`` or ``both`` -> the methods to write; InputError for anything else."""
    if choice == "both":
        return METHODS
    if choice in METHODS:
        return (choice,)
    raise InputError(f"unknown method {choice!r}: choose rula, reba or both")


def write_ergonomics(result: ErgoResult, folder: Path, methods: tuple[str, ...],
                     frames_rgb: dict[int, np.ndarray] | None = None, title: str = "") -> None:
    """Every file of an assessment into ``folder``; ``frames_rgb`` (frame -> image, see ``worst_frames``)
    illustrate the report's worst moments when the clip is at hand."""
    from poselab.assess.ergo_report import report_html

    for method in methods:
        scores_frame(result, method).to_csv(folder / f"{method}.csv", index=False, float_format="%.6g")
    data = summary(result, methods)
    (folder / "ergonomics.json").write_text(json.dumps(data, indent=2, default=_plain) + "\n")
    html = report_html(result, methods, frames_rgb or {}, title or result.sequence.video.source_name)
    (folder / REPORT_FILE).write_text(html, encoding="utf-8")


def worst_frames(result: ErgoResult, methods: tuple[str, ...]) -> list[int]:
    """The frames the report shows (so a caller can read them from the clip first)."""
    from poselab.assess.ergo_summary import worst_moments

    return sorted({moment["frame"] for method in methods for moment in worst_moments(result, method)})


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


EXPORT_NOTES = {
    "rula.csv": "RULA per frame x person x side: every sub-score, Table A/B/C, action level, the angles (degrees)",
    "reba.csv": "REBA per frame x person x side: every sub-score, Tables A/B/C, risk level, the angles (degrees)",
    "ergonomics.json": "ergonomic inputs and defaults used, share of time per level per person, worst moments",
    REPORT_FILE: "the ergonomic assessment as one printable HTML page (RULA and REBA, default inputs flagged)",
}


def export_ergonomics(sequence: PoseSequence, out: Path,
                      read_frame: Callable[[float], np.ndarray] | None = None) -> list[Path]:
    """RULA and REBA with default inputs (flagged) for the export zip; ``read_frame(time_s)`` illustrates the
    report when the clip is at hand. Nothing is written for a sequence without anyone in it."""
    if not sequence.detected().any():
        return []
    result = assess(sequence, ErgoInputs())
    frames_rgb: dict[int, np.ndarray] = {}
    for frame in worst_frames(result, METHODS) if read_frame is not None else []:
        try:
            frames_rgb[frame] = read_frame(float(sequence.time_s[frame]))
        except (PoseLabError, OSError, ValueError):  # an unreadable frame only leaves the report without it
            continue
    write_ergonomics(result, out, METHODS, frames_rgb)
    return [out / name for name in EXPORT_NOTES]
