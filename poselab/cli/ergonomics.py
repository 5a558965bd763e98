"""``python -m poselab ergonomics INPUT --out DIR`` and ``analyze --ergonomics``: RULA / REBA files (issue 15).

INPUT is a clip or image (analysed first: its landmarks.csv and summary.json are written too), an ``analyze``
output folder or a stored analysis folder, a landmarks.csv, or a sequence.npz. Option values are checked here
rather than by argparse so that a bad one ends in exactly one ``error:`` line (exit 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from poselab.errors import InputError, PoseLabError

if TYPE_CHECKING:  # numpy and pandas load only when a command needs them: `--help` stays quick
    from poselab.assess.ergonomics import ErgoInputs
    from poselab.sequence import PoseSequence

METHOD_HELP = "rula, reba or both (default both)"


def add_ergonomics_parser(commands: Any, analyze: argparse.ArgumentParser | None = None) -> None:
    """Registers the ``ergonomics`` command (and ``analyze --ergonomics`` when given ``analyze``)."""
    parser = commands.add_parser("ergonomics", help="RULA / REBA ergonomic scores of a clip or an analysis")
    parser.add_argument("input", type=Path, help="clip, analyze output folder, landmarks.csv or sequence.npz")
    parser.add_argument("--out", type=Path, required=True, help="folder to write rula.csv, reba.csv, ... into")
    parser.add_argument("--method", default="both", help=METHOD_HELP)
    parser.add_argument("--model", default="full", help="model for a clip that is analysed first (default full)")
    add_input_options(parser.add_argument_group("what the camera cannot see (defaults are flagged in the outputs)"))
    if analyze is not None:
        add_analyze_ergonomics(analyze)


def add_analyze_ergonomics(parser: argparse.ArgumentParser) -> None:
    """``--ergonomics METHOD`` and its input options, for ``analyze`` and ``batch``."""
    group = parser.add_argument_group("ergonomics (writes rula.csv / reba.csv / ergonomics.json beside landmarks.csv)")
    group.add_argument("--ergonomics", metavar="METHOD", help=METHOD_HELP.replace(" (default both)", ""))
    add_input_options(group)


def add_input_options(group: Any) -> None:
    group.add_argument("--load-kg", type=_number, default=0.0, help="load handled in kg (default 0)")
    group.add_argument("--load-pattern", default="intermittent", help="intermittent, static or shock")
    group.add_argument("--coupling", default="good", help="REBA hand coupling: good, fair, poor or unacceptable")
    group.add_argument("--arm-supported", action="store_true", help="arm supported or person leaning")
    group.add_argument("--wrist-twist", default="1", help="RULA wrist twist: 1 (mid-range) or 2 (near end of range)")
    group.add_argument("--wrist-deviated", action="store_true", help="wrist bent from the midline")
    group.add_argument("--muscle-use", action="store_true", help="force RULA muscle use on")
    group.add_argument("--unstable", action="store_true", help="REBA: rapid posture changes or an unstable base")
    group.add_argument("--calibrate-frame", metavar="N", help="frame where the person stands upright looking ahead")


def _number(text: str) -> str:
    return text  # checked by ErgoInputs, for a one-line error


def methods_of(choice: str) -> tuple[str, ...]:
    from poselab.assess.ergo_output import methods_of as parse

    return parse(choice)


def inputs_from_args(args: argparse.Namespace) -> ErgoInputs:
    """The ErgoInputs of parsed options; InputError (one line) for a bad value."""
    from poselab.assess.ergonomics import ErgoInputs

    try:
        load_kg = float(args.load_kg)
    except ValueError:
        raise InputError(f"--load-kg must be a number of kilograms, not {args.load_kg!r}") from None
    if str(args.wrist_twist) not in ("1", "2"):
        raise InputError(f"--wrist-twist must be 1 or 2, not {args.wrist_twist!r}")
    frame = None
    if args.calibrate_frame is not None:
        try:
            frame = int(args.calibrate_frame)
        except ValueError:
            raise InputError(f"--calibrate-frame must be a frame number, not {args.calibrate_frame!r}") from None
    return ErgoInputs(load_kg=load_kg, load_pattern=args.load_pattern, coupling=args.coupling,
                      arm_supported=args.arm_supported, wrist_twist=int(args.wrist_twist),
                      wrist_deviated=args.wrist_deviated, muscle_use=args.muscle_use, unstable=args.unstable,
                      calibrate_frame=frame)


def check_analyze_options(args: argparse.Namespace) -> None:
    """Fails before inference when ``analyze --ergonomics`` options are bad."""
    if getattr(args, "ergonomics", None):
        methods_of(args.ergonomics)
        inputs_from_args(args)


def analyze_ergonomics(sequence: PoseSequence, folder: Path, args: argparse.Namespace | None) -> None:
    """What ``analyze --ergonomics`` adds to the output folder (nothing without the option)."""
    if args is None or not getattr(args, "ergonomics", None):
        return
    clip = getattr(args, "input", None)
    _write(sequence, clip if isinstance(clip, Path) and clip.is_file() else None, folder,
           methods_of(args.ergonomics), inputs_from_args(args), sequence.video.source_name)


def load_input(path: Path) -> tuple[PoseSequence, Path | None]:
    """(sequence, clip to read frames from or None) for any INPUT the command accepts; clips not included."""
    from poselab.sequence import PoseSequence
    from poselab.store.landmarks_csv import read_landmarks_csv

    if path.is_dir():
        source = next(iter(sorted(path.glob("source.*"))), None)
        if (path / "sequence.npz").is_file():
            return PoseSequence.load_npz(path / "sequence.npz"), source
        if (path / "landmarks.csv").is_file():
            return read_landmarks_csv(path / "landmarks.csv"), source
        raise InputError(f"{path} holds neither landmarks.csv nor sequence.npz: give an analyze output folder")
    if path.suffix.lower() == ".csv":
        return read_landmarks_csv(path), None
    if path.suffix.lower() == ".npz":
        try:
            return PoseSequence.load_npz(path), None
        except (OSError, ValueError, KeyError) as error:
            raise InputError(f"{path.name} is not a PoseLab sequence.npz ({error})") from None
    raise FileNotFoundError  # a clip: the caller analyses it


def run_ergonomics(args: argparse.Namespace) -> int:
    from poselab.cli.staging import staging_dir

    methods = methods_of(args.method)
    inputs = inputs_from_args(args)
    if not args.input.exists():
        raise InputError(f"{args.input} does not exist")
    with staging_dir(args.out) as staging:
        try:
            sequence, clip = load_input(args.input)
        except FileNotFoundError:
            sequence, clip = _analyze_clip(args, staging), args.input
        _write(sequence, clip, staging, methods, inputs, args.input.name)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _analyze_clip(args: argparse.Namespace, staging: Path) -> PoseSequence:
    from poselab.cli.progress import ProgressBar
    from poselab.media.decode import Limits, probe
    from poselab.settings import VARIANTS, InferenceSettings

    if args.model not in VARIANTS:
        raise InputError(f"unknown model {args.model!r}: choose {', '.join(VARIANTS)}")
    limits = Limits.from_env()
    probe(args.input, limits)  # a bad clip fails here, before the model loads
    from poselab.cli.output import write_analysis
    from poselab.parallel.analyze import analyze_clip

    sequence = analyze_clip(args.input, InferenceSettings(model=args.model), limits=limits, progress=ProgressBar())
    write_analysis(sequence, staging)
    return sequence


def _write(sequence: PoseSequence, clip: Path | None, folder: Path, methods: tuple[str, ...], inputs: ErgoInputs,
           title: str) -> None:
    from poselab.assess.ergo_output import worst_frames, write_ergonomics
    from poselab.assess.ergonomics import assess

    result = assess(sequence, inputs)
    frames_rgb = {}
    if clip is not None:
        from poselab.media.decode import read_frame_at

        for frame in worst_frames(result, methods):
            try:
                frames_rgb[frame] = read_frame_at(clip, float(sequence.time_s[frame]))
            except (PoseLabError, OSError, ValueError):  # an unreadable frame only leaves the report without it
                continue
    write_ergonomics(result, folder, methods, frames_rgb, title)
