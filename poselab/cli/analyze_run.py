"""One clip from input to output folder: what ``analyze`` does, and what each ``batch`` task does on a worker.

Kept in one place so a batch's files, refusals and library entries are those of ``analyze`` by construction.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from poselab.cli.ergonomics import analyze_ergonomics, check_analyze_options
from poselab.cli.library import library_draft
from poselab.cli.staging import staging_dir
from poselab.errors import StorageError
from poselab.media.decode import Limits, probe
from poselab.settings import InferenceSettings

if TYPE_CHECKING:
    from poselab.engine.pipeline import ProgressFn


@dataclass(frozen=True)
class ClipResult:
    """What one finished clip leaves for a caller that writes a table of runs."""

    summary: dict[str, Any]
    library_id: str = ""


def settings_of(args: argparse.Namespace) -> InferenceSettings:
    return InferenceSettings(
        model=args.model,
        num_poses=args.num_poses,
        min_detection_confidence=args.min_detection_confidence,
        min_presence_confidence=args.min_presence_confidence,
        min_tracking_confidence=args.min_tracking_confidence,
        segmentation=args.segmentation,
        find_people=args.find_people,
        find_every_frames=args.find_every,
    )


def analyze_into(args: argparse.Namespace, out: Path, progress: ProgressFn | None = None, whole: bool = False,
                 before_publish: Callable[[Path, ClipResult], None] | None = None) -> ClipResult:
    """Analyses ``args.input`` into ``out`` through a staging folder (``whole``: see ``staging_dir``).

    Bad input raises its PoseLabError before anything is written. ``before_publish(staging, result)`` may add a
    file of its own to the staging folder, so it appears together with the rest.
    """
    settings = settings_of(args)
    limits = Limits.from_env()
    info = probe(args.input, limits)  # bad input fails here, before anything is written
    from poselab.motion.smoothing import SmoothingSettings

    SmoothingSettings.from_args(args).check_rate(info.fps)  # bad smoothing parameters fail before inference
    check_analyze_options(args)
    from poselab.cli.output import write_analysis  # imports MediaPipe: only once the input is known good
    from poselab.parallel.analyze import analyze_clip
    from poselab.store.tables import summary

    with staging_dir(out, whole=whole) as staging, library_draft(args, settings) as saved:
        video_out = None if args.no_video or info.is_image else staging / "annotated.mp4"
        try:
            sequence = analyze_clip(args.input, settings, video_out=video_out, limits=limits, progress=progress,
                                    workers=getattr(args, "workers", 1))
            smoothed = write_analysis(sequence, staging, args)
            analyze_ergonomics(smoothed, staging, args)  # rula.csv, reba.csv, ergonomics.json with --ergonomics
            if saved is not None:
                saved.finish(sequence, video_out)
            result = ClipResult(summary(sequence), saved.entry_id if saved is not None else "")
            if before_publish is not None:
                before_publish(staging, result)
        except OSError as error:  # a full disk or a vanished folder: say so, the staging folder goes
            raise StorageError(f"cannot write the results ({error.strerror or error}); nothing was written") from None
    return result
