"""Peak memory against clip length: a 15-second and a 2-minute 1080p clip, annotated video on.

    .venv/bin/python bench/memory_bench.py                      # full model, 30 fps clips
    .venv/bin/python bench/memory_bench.py --model lite --long-s 60

The clips loop the shared 1080x1920 lab clip (ping-pong) into a temp folder. Each run is a fresh
process (see pipeline_bench.measure); the target is long/short <= 1.15 and < 600 MB at 1080p.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clips import CLIPS, looped_clip
from pipeline_bench import load, measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="full")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--short-s", type=float, default=15.0)
    parser.add_argument("--long-s", type=float, default=120.0)
    parser.add_argument("--cases", default="bare,video,no-video", help="bare, no-video, video, workers2-video ...")
    args = parser.parse_args()
    folder = Path(tempfile.gettempdir())
    clips = {
        length_s: looped_clip(CLIPS["lab"], folder / f"poselab-bench-lab-{length_s:g}s-{args.fps:g}fps.mp4",
                              length_s, args.fps)
        for length_s in (args.short_s, args.long_s)
    }
    print(f"1080x1920 clips at {args.fps:g} fps, model {args.model}; load at start {load()}", flush=True)
    peaks: dict[tuple[str, float], float] = {}
    for case in args.cases.split(","):
        for length_s, clip in clips.items():
            result = measure(case, args.model, clip)
            peaks[(case, length_s)] = result["total_peak_mb"]
            print(f"  {case:15} {length_s:5.0f} s  {result['frames']:5d} frames  {result['fps']:5.1f} fps  "
                  f"peak {result['peak_mb']:5.0f} MB, with workers {result['total_peak_mb']:5.0f} MB", flush=True)
        ratio = peaks[(case, args.long_s)] / peaks[(case, args.short_s)]
        print(f"{case:15} long/short peak ratio {ratio:.3f} (target <= 1.15)", flush=True)
    print(f"load at end {load()}; pid {os.getpid()}")


if __name__ == "__main__":
    main()
