"""Server time of display-only changes on the Analyze page (frame slider, visibility, landmarks).

    .venv/bin/python bench/ui_bench.py                 # 30 s looped dance clip, lite model
    .venv/bin/python bench/ui_bench.py --clip lab --seconds 60

Drives pages/analyze.py with Streamlit's AppTest in this process: the first run analyses the clip
(not timed), then each display-only change is one timed script run (target < 200 ms, median).
AppTest reruns the whole script even where the browser would rerun only a fragment: an upper bound.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]
os.environ.setdefault("POSELAB_MODEL_DIR", "/work/shared/models")
os.environ.setdefault("POSELAB_HOME", tempfile.mkdtemp(prefix="poselab-ui-bench-"))

from clips import CLIPS, looped_clip  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402 - after the environment above

PAGE = str(REPO / "pages" / "analyze.py")


def timed_run(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    elapsed_ms = (time.perf_counter() - started) * 1000
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return elapsed_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", choices=sorted(CLIPS), default="dance")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print where one run of each change spends its time")
    args = parser.parse_args()
    from poselab.media.decode import probe

    source = CLIPS[args.clip]
    clip = looped_clip(source, Path(tempfile.gettempdir()) / f"poselab-bench-{args.clip}-{args.seconds:g}s.mp4",
                       args.seconds, probe(source).fps)
    at = AppTest.from_file(PAGE, default_timeout=900)
    at.run()
    at.sidebar.select_slider(key="analyze.model").set_value("lite")
    at.file_uploader(key="analyze.upload").set_value((clip.name, clip.read_bytes(), "video/mp4"))
    first_ms = timed_run(at)
    frames = probe(clip).frame_count
    print(f"{clip.name}: {frames} frames; first run (analysis) {first_ms / 1000:.1f} s; load {os.getloadavg()}")
    changes = {
        "frame slider": lambda i: at.slider(key="analyze.frame").set_value((i * 37 + 5) % frames),
        "visibility threshold": lambda i: at.sidebar.slider(key="analyze.vis").set_value(0.3 + 0.1 * (i % 5)),
        "chosen landmarks": lambda i: at.multiselect(key="analyze.ts.landmarks").set_value(
            [["left_wrist"], ["nose", "right_ankle"], ["left_knee", "right_knee"]][i % 3]),
        "nothing (plain rerun)": lambda i: None,
    }
    for name, change in changes.items():
        times_ms = []
        for i in range(args.repeats):
            change(i)
            times_ms.append(timed_run(at))
        print(f"  {name:22} median {statistics.median(times_ms):6.0f} ms  max {max(times_ms):6.0f} ms "
              f"(target < 200 ms)", flush=True)
        if args.profile:
            change(args.repeats)
            profile(at)


def profile(at: AppTest, interval_s: float = 0.005) -> None:
    """Where one run spends its time: stack samples of the script thread (AppTest runs it on its own
    thread, out of cProfile's reach), as the share of samples each function of ours appears in."""
    import collections
    import threading

    counts: collections.Counter[str] = collections.Counter()
    samples = [0]
    done = threading.Event()
    sampler_id: list[int] = []

    def sample() -> None:
        sampler_id.append(threading.get_ident())
        while not done.wait(interval_s):
            for ident, frame in sys._current_frames().items():
                if ident in (threading.main_thread().ident, *sampler_id):
                    continue
                seen = set()
                while frame is not None:
                    code = frame.f_code
                    if str(REPO) in code.co_filename and ".venv" not in code.co_filename:
                        seen.add(f"{Path(code.co_filename).relative_to(REPO)}:{code.co_name}")
                    frame = frame.f_back
                if seen:
                    samples[0] += 1
                    counts.update(seen)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    at.run()
    done.set()
    thread.join()
    for name, count in counts.most_common(12):
        print(f"      {100 * count / max(samples[0], 1):5.1f}%  {name}")


if __name__ == "__main__":
    main()
