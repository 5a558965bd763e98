"""``python -m poselab``: analyse a clip from the command line.

Exit codes: 0 done, 2 bad input or usage (one ``error: ...`` line on stderr), 1 unexpected failure.
Outputs are written into a temporary folder beside ``--out`` and moved in only when complete.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from poselab.cli.batch import add_batch_parser, run_batch
from poselab.cli.classify import add_classify_parser, run_classify
from poselab.cli.ergonomics import add_analyze_ergonomics, add_ergonomics_parser, run_ergonomics
from poselab.cli.library import add_library_parser, owner_key, run_library
from poselab.cli.nativelog import native_stderr_to_log
from poselab.cli.progress import ProgressBar
from poselab.errors import PoseLabError
from poselab.settings import DEFAULT_FIND_EVERY_FRAMES, FIND_PEOPLE_MODES, VARIANTS

if TYPE_CHECKING:
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m poselab", description="PoseLab: human pose tracking.")
    commands = parser.add_subparsers(dest="command", required=True)
    analyze = commands.add_parser("analyze", help="track poses in a clip or image and write the results")
    analyze.add_argument("input", type=Path, help="video (mp4, mov, m4v, webm, avi, mkv) or image (jpg, png)")
    analyze.add_argument("--out", type=Path, required=True, help="folder to write the results into")
    analyze.add_argument("--workers", type=_worker_count, default=1,
                         help="processes tracking segments of the clip in parallel (default 1)")
    analyze.add_argument("--save", action="store_true", help="also store the analysis in the library")
    analyze.add_argument("--owner", type=owner_key, metavar="KEY",
                         help="with --save: whose library entry it is (issuer|subject, see `library users`; "
                         "default the local user)")
    add_analyze_options(analyze)
    models = commands.add_parser("models", help="list or download the pose landmarker bundles")
    models.add_argument("action", choices=("list", "fetch"))
    models.add_argument("variants", nargs="*", metavar="VARIANT", help="lite, full or heavy (default full)")
    add_library_parser(commands)
    add_ergonomics_parser(commands)
    add_classify_parser(commands)
    add_batch_parser(commands, add_analyze_options)
    return parser


def add_analyze_options(parser: argparse.ArgumentParser) -> None:
    """The options that shape an analysis and its files, shared by ``analyze`` and ``batch``."""
    parser.add_argument("--model", choices=VARIANTS, default="full", help="lite, full or heavy (default full)")
    parser.add_argument("--num-poses", type=int, default=1, help="most people to track (default 1)")
    parser.add_argument("--min-detection-confidence", type=_unit_float, default=0.5)
    parser.add_argument("--min-presence-confidence", type=_unit_float, default=0.5)
    parser.add_argument("--min-tracking-confidence", type=_unit_float, default=0.5)
    parser.add_argument("--segmentation", action="store_true", help="also compute the person mask")
    parser.add_argument("--find-people", choices=FIND_PEOPLE_MODES, default="off",
                        help="tiles: also search overlapping tiles of the frame for small, distant or crowded "
                        "people the whole frame misses (slower; runs in one process) (default off)")
    parser.add_argument("--find-every", type=_find_every, default=DEFAULT_FIND_EVERY_FRAMES, metavar="N",
                        help="with --find-people tiles: search for new people every N frames; people found "
                        f"are followed in between (default {DEFAULT_FIND_EVERY_FRAMES})")
    parser.add_argument("--no-video", action="store_true", help="skip annotated.mp4")
    motion = parser.add_argument_group("motion analysis (landmarks.csv holds the smoothed values)")
    motion.add_argument("--smoothing", choices=("none", "one-euro", "butterworth"), default="none",
                        help="filter landmarks: causal One Euro, or zero-phase Butterworth (default none)")
    motion.add_argument("--min-cutoff", type=float, help="One Euro min cutoff in Hz (default 1.5; lower = smoother)")
    motion.add_argument("--beta", type=float, help="One Euro speed coefficient (default 14; higher = less lag)")
    motion.add_argument("--d-cutoff", type=float, help="One Euro speed cutoff in Hz (default 0.2)")
    motion.add_argument("--cutoff", type=float,
                        help="Butterworth cutoff in Hz, below fps / 2 (default 6, or 0.4 x fps on slower clips)")
    motion.add_argument("--order", type=int, help="Butterworth order (default 2)")
    motion.add_argument("--max-gap", type=int, help="Butterworth: interpolate gaps up to this many frames (10)")
    motion.add_argument("--angle-space", choices=("world", "image"), default="world",
                        help="joint angles from world (3D, default) or image-plane landmarks")
    motion.add_argument("--reps", type=_rep_spec, metavar="ANGLE:LOW:HIGH",
                        help="count repetitions, e.g. left_knee:100:150; writes reps.json")
    add_analyze_ergonomics(parser)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except PoseLabError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader left (`library list | head`): not an error of ours. Python's recipe: point stdout at
        # devnull so the flush at exit does not raise again, and end as a program killed by SIGPIPE would.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def run_analyze(args: argparse.Namespace) -> int:
    from poselab.cli.analyze_run import analyze_into

    with native_stderr_to_log():
        analyze_into(args, args.out, progress=ProgressBar())
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def run_models(args: argparse.Namespace) -> int:
    from poselab.engine.models import ensure_model, find_model
    from poselab.settings import variant_name

    if args.action == "list":
        for variant in VARIANTS:
            print(f"{variant:6} {find_model(variant) or 'not downloaded'}")
        return 0
    for variant in [variant_name(v) for v in args.variants or ["full"]]:
        if find_model(variant) is None:
            print(f"downloading the {variant} model", file=sys.stderr)
        path = ensure_model(variant, progress=_download_bar)
        print(f"{variant}: {path}", file=sys.stderr)
    return 0


def _download_bar(done: int, total: int) -> None:
    text = f"{done / 1e6:6.1f} MB" + (f" of {total / 1e6:.1f} MB" if total else "")
    print("\r" + text, end="\n" if total and done >= total else "", file=sys.stderr, flush=True)


def _rep_spec(text: str) -> object:  # a poselab.motion.reps.RepSpec, imported late to keep startup light
    from poselab.motion.reps import RepSpec

    try:
        return RepSpec.parse(text)
    except PoseLabError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _worker_count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 8:
        raise argparse.ArgumentTypeError(f"{text} is not between 1 and 8")
    return value


def _find_every(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"{text} is not between 1 and 1000")
    return value


def _unit_float(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


COMMANDS = {"analyze": run_analyze, "models": run_models, "library": run_library, "ergonomics": run_ergonomics,
            "classify": run_classify, "batch": run_batch}
