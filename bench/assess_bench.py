"""What the assessments add to an analysis: fall events and posture classes per frame, against the analysis.

For each shared clip: the serial analysis (full model, 2 poses, no annotated video: the smallest denominator,
so the share reported is an upper bound), then ``detect_falls`` and ``postures_frame`` on its sequence (the
median of ``--rounds`` runs). Target (issue 16): the assessments add < 5 % to ``analyze``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

from poselab.assess.falls import detect_falls  # noqa: E402 - needs the path above
from poselab.assess.postures import postures_frame  # noqa: E402
from poselab.parallel.analyze import analyze_clip  # noqa: E402
from poselab.settings import InferenceSettings  # noqa: E402

DATA = Path(os.environ.get("POSELAB_TEST_DATA", "/work/shared/data"))
CLIPS = ("falls/fall_corridor_forward.mp4", "falls/fall_two_people_dog.mp4", "videos/dance_600x600.mp4",
         "videos/lab_single_portrait_60fps.mp4", "videos/lab_two_people_portrait_60fps.mp4",
         "mediapipe/pose_squats.mp4")


def _median_s(work, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    print(f"{'clip':40s} {'frames':>6s} {'analyze ms/f':>12s} {'falls ms/f':>10s} {'postures ms/f':>13s} "
          f"{'added %':>7s}")
    for name in CLIPS:
        start = time.perf_counter()
        sequence = analyze_clip(DATA / name, InferenceSettings(model="full", num_poses=2))
        analyze_s = time.perf_counter() - start
        falls_s = _median_s(lambda s=sequence: detect_falls(s), args.rounds)
        postures_s = _median_s(lambda s=sequence: postures_frame(s), args.rounds)
        frames = sequence.num_frames
        share = 100 * (falls_s + postures_s) / analyze_s
        print(f"{name:40s} {frames:6d} {1000 * analyze_s / frames:12.1f} {1000 * falls_s / frames:10.3f} "
              f"{1000 * postures_s / frames:13.3f} {share:7.2f}")


if __name__ == "__main__":
    main()
