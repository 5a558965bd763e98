"""``python -m poselab classify INPUT --classifier NAME|FILE --out DIR``: taught classes of a clip or of a
stored analysis (a sequence.npz, or a folder holding one), written as classes.csv and class_reps.json."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from poselab.cli.staging import staging_dir
from poselab.errors import InputError
from poselab.sequence import PoseSequence


def add_classify_parser(commands: argparse._SubParsersAction) -> None:
    classify = commands.add_parser("classify", help="taught pose classes of a clip: classes.csv, class_reps.json")
    classify.add_argument("input", type=Path, help="a video, or an analysis (sequence.npz or its folder)")
    classify.add_argument("--classifier", required=True, help="a classifier's library name or its JSON file")
    classify.add_argument("--out", type=Path, required=True, help="folder to write the results into")
    classify.add_argument("--num-poses", type=int, default=1, help="most people to track in a video (default 1)")


def _sequence(args: argparse.Namespace) -> PoseSequence:
    path: Path = args.input
    npz = path / "sequence.npz" if path.is_dir() else path
    if npz.suffix == ".npz":
        if not npz.is_file():
            raise InputError(f"no analysis at {path} (expected a sequence.npz)")
        return PoseSequence.load_npz(npz)
    from poselab.media.decode import probe
    from poselab.parallel.analyze import analyze_clip
    from poselab.settings import InferenceSettings

    probe(path)  # bad input fails before the model loads
    return analyze_clip(path, InferenceSettings(num_poses=args.num_poses))


def run_classify(args: argparse.Namespace) -> int:
    from poselab.assess.taught import class_reps, classes_frame
    from poselab.store.classifiers import load_classifier

    classifier = load_classifier(args.classifier)  # an unknown classifier fails before any tracking
    sequence = _sequence(args)
    with staging_dir(args.out) as staging:
        classes_frame(classifier, sequence).to_csv(staging / "classes.csv", index=False, float_format="%.6g")
        report = class_reps(classifier, sequence)
        (staging / "class_reps.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0
