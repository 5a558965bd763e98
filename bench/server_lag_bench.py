"""How long a dashboard server stops answering while it analyses an upload, on a busy machine.

    .venv/bin/python bench/server_lag_bench.py                 # 3 busy processes at nice -8 (as root)
    .venv/bin/python bench/server_lag_bench.py --busy 2 --busy-nice 0

The server's event loop (every browser session and every webcam stream's WebRTC traffic) is
stood in for by an asyncio loop ticking every 10 ms; its lag is how late each tick comes. An
analysis of the dance clip runs meanwhile, three ways: in a thread of the server (as plain
Streamlit apps do), in a thread at +10 niceness, and in a process of its own 10 steps nicer
(``poselab.parallel.isolated``, what the dashboard does). The busy processes play the browsers: Chromium
runs its browser and GPU threads at nice -8.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]
os.environ.setdefault("POSELAB_MODEL_DIR", "/work/shared/models")

from clips import CLIPS  # noqa: E402 - needs the paths above

MODES = ("thread", "thread-nice10", "isolated")
TICK_S = 0.01


def analyse(mode: str, clip: Path, out_dir: Path) -> None:
    from poselab.parallel.analyze import analyze_clip
    from poselab.parallel.isolated import analyze_isolated
    from poselab.settings import InferenceSettings

    settings, video_out = InferenceSettings(model="lite"), out_dir / f"{mode}.mp4"
    if mode == "isolated":
        analyze_isolated(clip, settings, video_out=video_out)
        return
    if mode == "thread-nice10":
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # this thread only (Linux)
    analyze_clip(clip, settings, video_out=video_out)


def measure(mode: str, clip: Path, out_dir: Path) -> dict:
    """Ticks the loop until the analysis (in a thread here, whatever it starts) is done."""
    done = threading.Event()
    lags_s: list[float] = []

    def work() -> None:
        try:
            analyse(mode, clip, out_dir)
        finally:
            done.set()

    async def tick() -> None:
        loop = asyncio.get_running_loop()
        while not done.is_set():
            began = loop.time()
            await asyncio.sleep(TICK_S)
            lags_s.append(loop.time() - began - TICK_S)

    started = time.perf_counter()
    threading.Thread(target=work, daemon=True).start()
    asyncio.run(tick())
    lags_ms = 1000 * np.array(lags_s)
    return {"analysis_s": time.perf_counter() - started, "p99_ms": float(np.percentile(lags_ms, 99)),
            "max_ms": float(lags_ms.max()), "over_500ms": int((lags_ms > 500).sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--busy", type=int, default=3, help="busy processes meanwhile (default 3)")
    parser.add_argument("--busy-nice", type=int, default=-8 if os.geteuid() == 0 else 0,
                        help="their niceness (default -8 as root, like Chromium's, else 0)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(measure(args.child[0], Path(args.child[1]), Path(tmp))))
        return
    busy = [subprocess.Popen(["nice", "-n", str(args.busy_nice), sys.executable, "-c", "while True: pass"])
            for _ in range(args.busy)]
    try:
        print(f"{args.busy} busy processes at nice {args.busy_nice}; clip {CLIPS['dance'].name}, lite, with video")
        print(f"{'analysis':15} {'took s':>7} {'lag p99 ms':>10} {'lag max ms':>10} {'ticks > 0.5 s':>13}")
        for mode in MODES:  # each in a fresh process: nothing warm carries over
            done = subprocess.run([sys.executable, __file__, "--child", mode, str(CLIPS["dance"])],
                                  capture_output=True, text=True, check=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{mode:15} {r['analysis_s']:7.1f} {r['p99_ms']:10.1f} {r['max_ms']:10.0f} {r['over_500ms']:13d}")
    finally:
        for process in busy:
            process.kill()


if __name__ == "__main__":
    main()
