"""The files an analysis leaves in its output folder (CLI and library alike)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from poselab.sequence import PoseSequence
from poselab.store.tables import write_landmarks_csv, write_summary_json


def write_analysis(sequence: PoseSequence, folder: Path, args: argparse.Namespace | None = None) -> PoseSequence:
    """landmarks.csv (smoothed with ``--smoothing``; the raw ones then also go to landmarks_raw.csv),
    angles.csv, events.json (always; [] when nothing happened), postures.csv, reps.json (with ``--reps``) and
    summary.json (annotated.mp4 is written as the pipeline runs). Returns the smoothed sequence, for what else
    the command writes from it (``--ergonomics``)."""
    from poselab.assess.falls import events_json
    from poselab.assess.postures import postures_frame
    from poselab.motion.angles import angles_frame
    from poselab.motion.quality import quality_report
    from poselab.motion.reps import reps_of_sequence
    from poselab.motion.smoothing import SmoothingSettings

    smoothing = SmoothingSettings.from_args(args)
    smoothed = smoothing.apply(sequence)
    write_landmarks_csv(smoothed, folder / "landmarks.csv")
    if smoothed is not sequence:  # raw landmarks are always kept beside smoothed ones
        write_landmarks_csv(sequence, folder / "landmarks_raw.csv")
    space = getattr(args, "angle_space", None) or "world"
    angles_frame(smoothed, space).to_csv(folder / "angles.csv", index=False, float_format="%.6g")
    events = events_json(sequence)  # raw landmarks: smoothing would blunt the speed of a fall
    (folder / "events.json").write_text(json.dumps(events, indent=2) + "\n")
    postures_frame(smoothed).to_csv(folder / "postures.csv", index=False, float_format="%.6g")
    extra = {"smoothing": smoothing.to_dict(), "quality": quality_report(sequence, smoothed)}
    if getattr(args, "reps", None) is not None:
        report = reps_of_sequence(smoothed, args.reps, space)
        (folder / "reps.json").write_text(json.dumps(report, indent=2) + "\n")
        extra["reps"] = {"angle": report["angle"], "count": report["count"]}
    write_summary_json(sequence, folder / "summary.json", extra)  # raw figures; smoothed ones in "quality"
    return smoothed
