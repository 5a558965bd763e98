"""Memory across consecutive analyses in one process, as a long-running server does them.

Runs the same work the Analyze page does per upload (analyze_isolated with the annotated video: the model runs
in a child process; then Analysis.save into a folder that is removed afterwards) ``--runs`` times and prints the
resident set size after each run. ``--in-process`` runs analyze_clip here instead (the CLI's way; the first run
then pays for the model and allocator warm-up). Growth is measured from run 2 to the last.

    POSELAB_MODEL_DIR=../shared/models POSELAB_TEST_DATA=../shared/data .venv/bin/python bench/memory_soak.py
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from poselab.parallel.analyze import analyze_clip
from poselab.parallel.isolated import analyze_isolated
from poselab.settings import InferenceSettings
from poselab.store.analysis import Analysis, content_hash


def rss_mb() -> float:
    """Resident set size of this process from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def one_analysis(clip: Path, settings: InferenceSettings, work: Path, in_process: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="soak-", dir=work))
    analyze = analyze_clip if in_process else analyze_isolated
    try:
        sequence = analyze(clip, settings, video_out=folder / "annotated.mp4")
        Analysis(folder, sequence, settings, clip.name, content_hash(clip)).save()
    finally:
        shutil.rmtree(folder)


def main() -> int:
    data = Path(os.environ.get("POSELAB_TEST_DATA", "../shared/data"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=data / "mediapipe" / "pose_squats.mp4")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--model", default="full")
    parser.add_argument("--in-process", action="store_true", help="analyze_clip in this process (the CLI's way)")
    args = parser.parse_args()
    settings = InferenceSettings(model=args.model)
    rows = []
    with tempfile.TemporaryDirectory(prefix="poselab-soak-") as work:
        where = "in this process" if args.in_process else "in a child process each (the dashboard's way)"
        print(f"analyses {where}")
        print(f"clip {args.clip.name}, model {args.model}, start RSS {rss_mb():.0f} MB, fds {open_files()}")
        for run in range(1, args.runs + 1):
            started = time.perf_counter()
            one_analysis(args.clip, settings, Path(work), args.in_process)
            gc.collect()
            rows.append((run, rss_mb(), open_files(), time.perf_counter() - started))
            _, rss, fds, took_s = rows[-1]
            print(f"run {run:2d}: RSS {rss:7.1f} MB, open fds {fds:3d}, {took_s:5.1f} s", flush=True)
        left = list(Path(work).iterdir())
    growth_mb = rows[-1][1] - rows[1][1] if len(rows) > 1 else 0.0
    per_run_mb = growth_mb / max(len(rows) - 2, 1)
    print(f"RSS after run 1 {rows[0][1]:.0f} MB, after run 2 {rows[1][1]:.0f} MB, after run {len(rows)} "
          f"{rows[-1][1]:.0f} MB: growth {growth_mb:+.1f} MB ({per_run_mb:+.2f} MB per run); "
          f"fds {rows[1][2]} -> {rows[-1][2]}; files left in the work folder: {len(left)}")
    steady = [rss for _, rss, _, _ in rows[2:]]  # the allocator settles after two runs
    if len(steady) >= 4:
        half = len(steady) // 2
        first, second = sum(steady[:half]) / half, sum(steady[half:]) / (len(steady) - half)
        print(f"from run 3: RSS {min(steady):.0f}-{max(steady):.0f} MB; mean of the first half {first:.0f} MB, "
              f"of the second half {second:.0f} MB (a leak shows as a steady climb, not as this spread)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
