"""The files an analysis leaves in its output folder (CLI and library alike)."""

from __future__ import annotations

import argparse
from pathlib import Path

from poselab.export import write_landmarks_csv, write_summary_json
from poselab.sequence import PoseSequence


def write_analysis(sequence: PoseSequence, folder: Path, args: argparse.Namespace | None = None) -> None:
    """landmarks.csv and summary.json (annotated.mp4 is written by the pipeline as it runs)."""
    write_landmarks_csv(sequence, folder / "landmarks.csv")
    write_summary_json(sequence, folder / "summary.json")
