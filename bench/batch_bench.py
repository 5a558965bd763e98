"""Batch throughput (issue 17): 12 clips, full model, as users run them; clips per minute for

- ``serial``: a shell loop of ``python -m poselab analyze CLIP --out DIR`` (one after the other),
- ``local``: ``python -m poselab batch CLIPS --out DIR`` on its built-in LocalCluster (one worker per core),
- ``scheduler``: ``batch --scheduler`` against a ``dask scheduler`` with two ``dask worker`` processes started
  here on 127.0.0.1 (and ended here, by PID).

    .venv/bin/python bench/batch_bench.py                      # 12 clips, full, with the annotated video
    .venv/bin/python bench/batch_bench.py --modes serial,local --clips 6 --no-video

The 12 clips are the shared ones (six clips of 65 to 180 frames, 360p to 1080x1920), each twice under another
name. Times are wall clock from the command's start to its end, so they include starting Python, the cluster
and loading the model (what a user waits for). Target: batch >= 1.8x the serial loop on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("POSELAB_MODEL_DIR", "/work/shared/models")
DATA = Path(os.environ.get("POSELAB_TEST_DATA", "/work/shared/data"))
SOURCES = ("videos/dance_600x600.mp4", "videos/lab_single_portrait_60fps.mp4",
           "videos/lab_two_people_portrait_60fps.mp4", "mediapipe/pose_squats.mp4",
           "falls/fall_corridor_forward.mp4", "falls/fall_two_people_dog.mp4")
PYTHON = [sys.executable, "-m", "poselab"]


def make_clips(folder: Path, count: int) -> list[Path]:
    clips = []
    for index in range(count):
        source = DATA / SOURCES[index % len(SOURCES)]
        clip = folder / f"clip{index + 1:02d}_{source.stem}.mp4"
        shutil.copyfile(source, clip)
        clips.append(clip)
    return clips


def run(command: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} failed ({result.returncode}):\n{result.stderr[-2000:]}")


def serial(clips: list[Path], out: Path, options: list[str]) -> None:
    for clip in clips:
        run([*PYTHON, "analyze", str(clip), "--out", str(out / clip.stem), *options])


def local(clips: list[Path], out: Path, options: list[str]) -> None:
    run([*PYTHON, "batch", *map(str, clips), "--out", str(out), *options])


def scheduler(clips: list[Path], out: Path, options: list[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    env = os.environ | {"PYTHONPATH": str(REPO),
                        "DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON__MALLOC_TRIM_THRESHOLD_": "None",
                        "DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON__MALLOC_MMAP_THRESHOLD_": "131072"}
    dask = [sys.executable, "-m", "dask"]
    processes = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)]
    try:
        for name in ("w1", "w2"):
            processes.append(subprocess.Popen(
                [*dask, "worker", address, "--name", name, "--nthreads", "1", "--host", "127.0.0.1",
                 "--resources", "MEMORY_MB=4000", "--no-dashboard"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        run([*PYTHON, "batch", *map(str, clips), "--out", str(out), "--scheduler", address, *options])
    finally:
        for process in reversed(processes):  # each in a session of its own: end exactly that group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


MODES = {"serial": serial, "local": local, "scheduler": scheduler}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="serial,local,scheduler")
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--model", default="full")
    parser.add_argument("--no-video", action="store_true")
    args = parser.parse_args()
    options = ["--model", args.model, *(["--no-video"] if args.no_video else [])]
    print(f"{args.clips} clips, model {args.model}, video {'off' if args.no_video else 'on'}; "
          f"cpus {len(os.sched_getaffinity(0))}; load at start {os.getloadavg()}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="poselab-batch-bench-") as scratch:
        clips = make_clips(Path(scratch), args.clips)
        for mode in args.modes.split(","):
            out = Path(scratch) / f"out-{mode}"
            home = Path(scratch) / f"home-{mode}"
            os.environ["POSELAB_HOME"] = str(home)  # a fresh library: nothing is found in a cache
            started = time.perf_counter()
            MODES[mode](clips, out, options)
            elapsed = time.perf_counter() - started
            results[mode] = elapsed
            print(f"  {mode:10} {elapsed:7.1f} s  {60 * len(clips) / elapsed:6.1f} clips/min"
                  + (f"  {results['serial'] / elapsed:4.2f}x serial" if "serial" in results and mode != "serial"
                     else ""), flush=True)
    print(f"load at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
