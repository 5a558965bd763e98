"""Memory over time of whole analyses, as users run them: RSS sampled while a clip is analysed.

    .venv/bin/python bench/memory_bench.py                                  # the whole matrix, 15 s and 120 s
    .venv/bin/python bench/memory_bench.py --orients landscape --models lite --videos on \\
        --lengths 15,120 --busy off,on                                      # the case issue 13 found
    .venv/bin/python bench/memory_bench.py --models lite --videos on --lengths 600   # the upload limit

Cases are the product of: orientation (landscape 1920x1080 = the 600x600 dance clip upscaled; portrait
1080x1920 = the lab clip), model, annotated video on/off, ``--workers`` 1/2, the path (``cli`` = ``python
-m poselab analyze``; ``isolated`` = ``poselab.parallel.isolated.analyze_isolated``, the dashboard's child process),
clip length, and with or without one busy process beside (``python3 -c "while True: pass"``: glibc's heap
growth of issue 13 only showed on a busy machine). Clips are ping-pong loops at ``--fps`` (20) made into
the temp folder once (``clips.py``).

Each case is a fresh process tree, sampled every ``--sample-s``: "peak/proc" is the largest VmHWM of any
one process of the tree, "peak/tree" the largest sampled sum, "slope" a least-squares fit of the tree's
RSS over time after the first fifth of the run (warm-up: model load, encoder start), in MB per minute.
Targets (issue 13): per case, the long clip's peak within 1.10x of the short one's, and at most 600 MB
per process with the video.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]
os.environ.setdefault("POSELAB_MODEL_DIR", "/work/shared/models")

from clips import CLIPS, looped_clip  # noqa: E402 - needs the paths above
from procs import process_family, status_mb  # noqa: E402

ORIENTS = {"landscape": (CLIPS["dance"], (1920, 1080)), "portrait": (CLIPS["lab"], (1080, 1920))}
PEAK_RATIO_TARGET = 1.10
VIDEO_PEAK_TARGET_MB = 600.0


@dataclass(frozen=True)
class Case:
    orient: str
    model: str
    video: bool
    workers: int
    path: str
    length_s: float
    busy: bool

    def label(self) -> str:
        return (f"{self.orient:9} {self.model:5} {'video' if self.video else 'no-video':8} w{self.workers} "
                f"{self.path:8} {'busy' if self.busy else 'idle'}")


@dataclass
class Samples:
    times_s: list[float] = field(default_factory=list)
    tree_mb: list[float] = field(default_factory=list)
    hwm_mb: dict[int, float] = field(default_factory=dict)

    def take(self, root: int, started: float) -> None:
        total = 0.0
        for pid in process_family(root):
            rss, hwm = status_mb(pid, "VmRSS"), status_mb(pid, "VmHWM")
            total += rss
            self.hwm_mb[pid] = max(self.hwm_mb.get(pid, 0.0), hwm)
        self.times_s.append(time.perf_counter() - started)
        self.tree_mb.append(total)

    def slope_mb_per_min(self) -> float:
        """Least-squares slope of the tree's RSS after the first fifth of the run."""
        if not self.times_s:
            return float("nan")
        cut = self.times_s[-1] / 5
        points = [(t, m) for t, m in zip(self.times_s, self.tree_mb, strict=True) if t >= cut]
        if len(points) < 3:
            return float("nan")
        mean_t = sum(t for t, _ in points) / len(points)
        mean_m = sum(m for _, m in points) / len(points)
        spread = sum((t - mean_t) ** 2 for t, _ in points)
        return 60 * sum((t - mean_t) * (m - mean_m) for t, m in points) / spread if spread else float("nan")


def clip_for(orient: str, length_s: float, fps: float) -> Path:
    source, size = ORIENTS[orient]
    out = Path(tempfile.gettempdir()) / f"poselab-mem-{orient}-{length_s:g}s-{fps:g}fps.mp4"
    return looped_clip(source, out, length_s, fps, size, preset="ultrafast")


def command_for(case: Case, clip: Path, out: Path) -> list[str]:
    if case.path == "isolated":
        return [sys.executable, __file__, "--isolated-child", str(clip), case.model, str(int(case.video)),
                str(case.workers), str(out)]
    command = [sys.executable, "-m", "poselab", "analyze", str(clip), "--out", str(out), "--model", case.model,
               "--workers", str(case.workers)]
    return command + ([] if case.video else ["--no-video"])


def run_case(case: Case, fps: float, sample_s: float, trace: bool) -> dict:
    clip = clip_for(case.orient, case.length_s, fps)
    busy = subprocess.Popen(["python3", "-c", "while True: pass"]) if case.busy else None
    samples = Samples()
    try:
        with tempfile.TemporaryDirectory(prefix="poselab-membench-") as tmp:
            started = time.perf_counter()
            child = subprocess.Popen(command_for(case, clip, Path(tmp) / "out"), cwd=REPO,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            next_trace_s = 10.0
            while child.poll() is None:
                samples.take(child.pid, started)
                if trace and samples.times_s[-1] >= next_trace_s:
                    print(f"      t {samples.times_s[-1]:5.0f} s  tree {samples.tree_mb[-1]:6.0f} MB", flush=True)
                    next_trace_s += 10.0
                time.sleep(sample_s)
            elapsed_s = time.perf_counter() - started
            if child.returncode:
                raise RuntimeError(f"{case.label()} failed ({child.returncode}):\n{child.stderr.read()[-2000:]}")
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    return {
        "elapsed_s": elapsed_s,
        "fps": case.length_s * fps / elapsed_s,
        "peak_proc_mb": max(samples.hwm_mb.values(), default=0.0),
        "peak_tree_mb": max(samples.tree_mb, default=0.0),
        "slope": samples.slope_mb_per_min(),
        "processes": len(samples.hwm_mb),
    }


def isolated_child(clip: str, model: str, video: str, workers: str, out: str) -> None:
    """The dashboard's way: this process stays light and the analysis runs in a spawned child."""
    from poselab.parallel.isolated import analyze_isolated
    from poselab.settings import InferenceSettings

    folder = Path(out)
    folder.mkdir(parents=True)
    video_out = folder / "annotated.mp4" if video == "1" else None
    analyze_isolated(Path(clip), InferenceSettings(model=model), video_out=video_out, workers=int(workers))



def _split(text: str) -> list[str]:
    return [part for part in text.split(",") if part]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orients", default="landscape,portrait")
    parser.add_argument("--models", default="lite,full,heavy")
    parser.add_argument("--videos", default="on,off")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--paths", default="cli,isolated", help="cli (python -m poselab), isolated (dashboard)")
    parser.add_argument("--lengths", default="15,120", help="clip lengths in seconds; the first is the reference")
    parser.add_argument("--busy", default="off,on", help="off, on: one busy process beside the analysis")
    parser.add_argument("--fps", type=float, default=20.0)
    parser.add_argument("--sample-s", type=float, default=0.5)
    parser.add_argument("--trace", action="store_true", help="print the tree's RSS every 10 s")
    parser.add_argument("--isolated-child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.isolated_child:
        isolated_child(*args.isolated_child)
        return
    lengths = [float(x) for x in _split(args.lengths)]
    cases = [Case(o, m, v == "on", int(w), p, n, b == "on") for o, m, v, w, p, b, n in itertools.product(
        _split(args.orients), _split(args.models), _split(args.videos), _split(args.workers), _split(args.paths),
        _split(args.busy), lengths)]
    print(f"{len(cases)} cases, clips at {args.fps:g} fps; cpus {os.cpu_count()}; load at start "
          f"{os.getloadavg()}; MALLOC_MMAP_THRESHOLD_={os.environ.get('MALLOC_MMAP_THRESHOLD_', 'unset')}", flush=True)
    print(f"  {'case':46} {'length':>6} {'fps':>5} {'peak/proc':>9} {'peak/tree':>9} {'slope':>11}", flush=True)
    peaks: dict[tuple, float] = {}
    for case in cases:
        result = run_case(case, args.fps, args.sample_s, args.trace)
        peaks[(case.orient, case.model, case.video, case.workers, case.path, case.busy, case.length_s)] = \
            result["peak_proc_mb"]
        over = " OVER 600" if case.video and result["peak_proc_mb"] > VIDEO_PEAK_TARGET_MB else ""
        print(f"  {case.label():46} {case.length_s:5.0f}s {result['fps']:5.1f} {result['peak_proc_mb']:7.0f}MB "
              f"{result['peak_tree_mb']:7.0f}MB {result['slope']:+7.1f}MB/min{over}", flush=True)
        if case.length_s != lengths[0]:
            reference = peaks.get((*list(peaks)[-1][:-1], lengths[0]))
            if reference:
                ratio = result["peak_proc_mb"] / reference
                verdict = "ok" if ratio <= PEAK_RATIO_TARGET else "OVER"
                print(f"  {'':46} {case.length_s:g}s/{lengths[0]:g}s peak ratio {ratio:.3f} "
                      f"(target <= {PEAK_RATIO_TARGET}) {verdict}", flush=True)
    print(f"load at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
