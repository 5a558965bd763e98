"""Bare MediaPipe loop vs PoseLab's pipeline, side by side in one run: fps, ratio, peak memory.

    .venv/bin/python bench/pipeline_bench.py                  # 30 s clip, lite/full/heavy, 1 round
    .venv/bin/python bench/pipeline_bench.py --models full --rounds 3 --clip lab --seconds 15

Each case runs in a fresh process (so its peak RSS is its own), cases interleave model by model
and round by round, and ratios are taken within a round: on a shared machine only ratios measured
together mean anything. Timings include loading the model (and for workers, starting processes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]
os.environ.setdefault("POSELAB_MODEL_DIR", "/work/shared/models")

from clips import CLIPS, looped_clip  # noqa: E402 - needs the paths above
from procs import process_family, status_mb  # noqa: E402

CASES = {
    "bare": "PyAV decode + detect_for_video, nothing else",
    "bare-pinned": "the bare loop kept to one core, as each worker is",
    "no-video": "pipeline: landmarks, slots, sequence",
    "video": "pipeline + annotated H.264 video",
    "workers2": "pipeline, 2 worker processes, no video",
    "workers2-video": "pipeline, 2 worker processes + video",
}


def bare_loop(clip: Path, model: str) -> int:
    """The reference: what a plain MediaPipe script does, same model and options defaults."""
    import av
    import mediapipe as mp
    import numpy as np
    from mediapipe.tasks.python import BaseOptions, vision

    from poselab.engine.models import ensure_model

    options = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(ensure_model(model))),
                                           running_mode=vision.RunningMode.VIDEO)
    frames = 0
    with vision.PoseLandmarker.create_from_options(options) as landmarker, av.open(str(clip)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            image = mp.Image(image_format=mp.ImageFormat.SRGB,
                             data=np.ascontiguousarray(frame.to_ndarray(format="rgb24")))
            landmarker.detect_for_video(image, round(frame.time * 1000))
            frames += 1
    return frames


def run_case(case: str, model: str, clip: Path) -> dict:
    """Runs one case here and now; returns frames, seconds, this process's peak RSS and the peak total RSS
    of this process and its children (the parallel workers), all in MB."""
    from poselab.parallel.analyze import analyze_clip
    from poselab.settings import InferenceSettings

    sampler = RssSampler()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, sampler:
        if case.startswith("bare"):
            if case == "bare-pinned":  # the fairest single-process reference for the pinned workers
                os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
            frames = bare_loop(clip, model)
        else:
            video_out = Path(tmp) / "annotated.mp4" if case.endswith("video") and case != "no-video" else None
            workers = 2 if case.startswith("workers2") else 1
            frames = analyze_clip(clip, InferenceSettings(model=model), video_out=video_out, workers=workers).num_frames
    elapsed_s = time.perf_counter() - started
    return {"frames": frames, "elapsed_s": elapsed_s, "peak_mb": status_mb(os.getpid(), "VmHWM"),
            "total_peak_mb": sampler.peak_mb}


class RssSampler:
    """Samples the summed RSS of this process and its descendants (ru_maxrss is useless here: Linux
    carries it over fork + exec, so a child reports at least its parent's size)."""

    def __init__(self, interval_s: float = 0.05) -> None:
        self.peak_mb = 0.0
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            total = sum(status_mb(pid, "VmRSS") for pid in process_family(os.getpid()))
            self.peak_mb = max(self.peak_mb, total)



def measure(case: str, model: str, clip: Path) -> dict:
    """``run_case`` in a fresh Python process."""
    command = [sys.executable, __file__, "--child", case, model, str(clip)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise RuntimeError(f"{case}/{model} failed:\n{done.stderr[-2000:]}")
    result = json.loads(lines[-1])
    result["fps"] = result["frames"] / result["elapsed_s"]
    return result


def load() -> str:
    return os.getloadavg().__repr__() if hasattr(os, "getloadavg") else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", choices=sorted(CLIPS), default="dance", help="shared clip to loop (default dance)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the looped clip (default 30)")
    parser.add_argument("--models", default="lite,full,heavy")
    parser.add_argument("--cases", default=",".join(CASES), help=f"subset of {','.join(CASES)}")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        case, model, clip = args.child
        print(json.dumps(run_case(case, model, Path(clip))))
        return
    source = CLIPS[args.clip]
    from poselab.media.decode import probe

    fps = probe(source).fps
    clip = looped_clip(source, Path(tempfile.gettempdir()) / f"poselab-bench-{args.clip}-{args.seconds:g}s.mp4",
                       args.seconds, fps)
    info = probe(clip)
    cases = [c for c in args.cases.split(",") if c]
    print(f"clip {clip.name}: {info.width}x{info.height}, {info.fps:g} fps, {info.frame_count} frames; "
          f"cpus {os.cpu_count()}; load at start {load()}", flush=True)
    results: dict[tuple[str, str], list[dict]] = {}
    for round_ in range(args.rounds):
        for model in args.models.split(","):
            for case in cases:
                result = measure(case, model, clip)
                result["round"] = round_
                results.setdefault((model, case), []).append(result)
                print(f"  round {round_} {model:5} {case:15} {result['fps']:6.1f} fps "
                      f"peak {result['peak_mb']:5.0f} MB, with workers {result['total_peak_mb']:5.0f} MB", flush=True)
    report(results, args.models.split(","), cases)
    print(f"load at end {load()}")


def report(results: dict, models: list[str], cases: list[str]) -> None:
    """Median fps over rounds, and the median of each round's ratio to that round's bare loop."""
    print(f"\n{'model':6} {'case':15} {'fps':>6} {'x bare':>7} {'peak MB':>8} {'total MB':>9}  what")
    for model in models:
        bare = results.get((model, "bare"), [])
        for case in cases:
            runs = results[(model, case)]
            ratios = [r["fps"] / b["fps"] for r, b in zip(runs, bare, strict=False)]
            ratio = f"{statistics.median(ratios):7.2f}" if ratios else "      -"
            fps = statistics.median(r["fps"] for r in runs)
            peak = max(r["peak_mb"] for r in runs)
            total = max(r["total_peak_mb"] for r in runs)
            print(f"{model:6} {case:15} {fps:6.1f} {ratio} {peak:8.0f} {total:9.0f}  {CASES[case]}")


if __name__ == "__main__":
    main()
