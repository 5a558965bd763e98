"""The Live page in a real browser: processed fps, latency and dropped frames as the page shows them, and
where the CPU goes (the Streamlit server vs Chromium's own processes), window by window.

Chromium (Debian's /usr/bin/chromium through Python Playwright) gets a fake camera playing a 640x480, 30 fps
y4m made from ``dance_600x600.mp4`` (ping-pong loop, letterboxed). The dashboard runs as ``streamlit run
app.py`` with a private POSELAB_HOME, as the browser tests start it. The page is opened as a user does (home
page, then "Live webcam" in the sidebar), the model picked on the sidebar's slider, START pressed; after a
warm-up, every ``--window-s`` the page's figures are read (sampled each second and averaged over the window:
FPS, Latency) together with the frame counters and the received resolution it shows, and the CPU time the
processes used in that window (utime+stime from /proc/<pid>/stat), and what the rest of the machine used
meanwhile ("outside": other users' jobs on a shared machine, /proc/stat) with the load average.

``--py-spy SECONDS`` also records a py-spy profile of the server (all threads, idle frames dropped) for that
long after the warm-up, as a speedscope JSON beside the results (needs ``pip install py-spy`` and root or
ptrace rights).

Run under the shared lock (it keeps both cores busy):
  flock /tmp/poselab-heavy.lock .venv/bin/python bench/live_browser_bench.py --model full --duration-s 300
Results: a table on stdout and ``bench/results/live_browser_<model>_<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from clips import CLIPS, source_frames  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # as tests/e2e/conftest.py launches it
CAMERA_SIZE = (640, 480)
CAMERA_FPS = 30
TICKS_S = os.sysconf("SC_CLK_TCK")
RESULTS = REPO / "bench" / "results"
MODEL_STEPS = {"lite": "ArrowLeft", "full": None, "heavy": "ArrowRight"}  # from the slider's default, full


def write_camera(target: Path) -> Path:
    """The dance clip ping-ponged and letterboxed to 640x480 as raw y4m at 30 fps (Chromium loops the file)."""
    if target.is_file():
        return target
    frames = source_frames(CLIPS["dance"])
    order = list(range(len(frames))) + list(range(len(frames) - 2, 0, -1))
    width, height = CAMERA_SIZE
    partial = target.with_suffix(".part")
    with av.open(str(partial), "w", format="yuv4mpegpipe") as container:
        stream = container.add_stream("rawvideo", rate=Fraction(CAMERA_FPS))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in order:
            image = frames[index]
            scale = min(width / image.shape[1], height / image.shape[0])
            small = cv2.resize(image, (int(image.shape[1] * scale), int(image.shape[0] * scale)))
            canvas = np.zeros((height, width, 3), np.uint8)
            top, left = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
            canvas[top:top + small.shape[0], left:left + small.shape[1]] = small
            for packet in stream.encode(av.VideoFrame.from_ndarray(canvas, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    partial.rename(target)
    return target


# --- processes and their CPU time ---------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, int] | None:
    """(ppid, utime+stime ticks) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def _kind(pid: int, server_pid: int) -> str | None:
    if pid == server_pid:
        return "server"
    try:
        # Chromium's children rewrite their command line into one space-separated string.
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").split()
    except OSError:
        return None
    if not argv or b"chromium" not in argv[0]:
        return None
    kind = next((a.split(b"=", 1)[1].decode() for a in argv if a.startswith(b"--type=")), "browser")
    return {"gpu-process": "gpu", "renderer": "renderer", "browser": "browser"}.get(kind, "other")


class CpuMeter:
    """CPU seconds per kind of process (server, Chromium's browser, gpu, renderer, other) between reads.
    Only descendants of this benchmark count, so other helpers' browsers and servers stay out."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.last: dict[int, int] = {}
        self.last_s = time.monotonic()
        self.last_machine = _machine_busy_ticks()

    def _descendants(self) -> dict[int, int]:
        pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
        stats = {pid: s for pid in pids if (s := _stat(pid)) is not None}
        mine, frontier = {}, {os.getpid()}
        while frontier:
            frontier = {pid for pid, (ppid, _) in stats.items() if ppid in frontier and pid not in mine}
            mine.update({pid: stats[pid][1] for pid in frontier})
        return mine

    def read(self) -> tuple[dict[str, float], float]:
        """CPU seconds per kind since the last read, and the wall seconds that passed. "outside": what every
        other process of the machine used meanwhile (other users' jobs, this benchmark's own Python)."""
        now, now_s, machine = self._descendants(), time.monotonic(), _machine_busy_ticks()
        used: dict[str, float] = {"server": 0.0, "browser": 0.0, "gpu": 0.0, "renderer": 0.0, "other": 0.0}
        for pid, ticks in now.items():
            kind = _kind(pid, self.server_pid)
            if kind is not None:
                used[kind] += (ticks - self.last.get(pid, 0)) / TICKS_S
        used["outside"] = max(0.0, (machine - self.last_machine) / TICKS_S - sum(used.values()))
        self.last, wall_s, self.last_s, self.last_machine = now, now_s - self.last_s, now_s, machine
        return used, wall_s


def _machine_busy_ticks() -> int:
    """CPU ticks the whole machine spent busy (all cores: user, nice, system, irq, softirq, steal)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # minus idle and iowait


# --- the server ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(home: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = os.environ | {"POSELAB_HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"), "PYTHONUNBUFFERED": "1"}
    command = [str(Path(sys.executable).parent / "streamlit"), "run", "app.py", "--server.port", str(port),
               "--server.headless", "true", "--server.address", "127.0.0.1"]
    with open(home / "server.log", "wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    raise RuntimeError(f"the dashboard did not start:\n{(home / 'server.log').read_text()[-2000:]}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # its own process group: exactly the server
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# --- the page -----------------------------------------------------------------------------------------


def _metric(page, label: str) -> float:
    cell = page.get_by_test_id("stMetric").filter(has_text=label).first
    text = cell.get_by_test_id("stMetricValue").inner_text(timeout=5000)
    return float(re.sub(r"[^0-9.]", "", text) or 0)


def _counters(page) -> tuple[int, int, str] | None:
    """(frames received, frames dropped, resolution) from the page's caption; None when it shows none."""
    caption = page.get_by_text(re.compile(r"frames received")).first
    if caption.count() == 0:
        return None
    text = re.sub(r"(?<=\d),(?=\d)", "", caption.inner_text(timeout=5000))  # thousands separators
    found = re.search(r"(\d+) frames received, (\d+) dropped", text)
    size = re.search(r"(\d+)\s*[x×]\s*(\d+)", text)
    return (int(found.group(1)), int(found.group(2)), f"{size.group(1)}x{size.group(2)}" if size else "?") \
        if found else None


def _shown_size(page) -> str:
    """What the browser's <video> shows: the annotated stream as received."""
    frame = page.frame_locator('iframe[title*="webrtc"]')
    try:
        size = frame.locator("video").first.evaluate("v => v.videoWidth + 'x' + v.videoHeight", timeout=5000)
    except Exception:  # a benchmark keeps going when the video element is being replaced
        return "?"
    return str(size)


def open_live(page, url: str, model: str) -> None:
    page.goto(url)
    page.get_by_test_id("stSidebarNav").get_by_text("Live webcam").click()
    page.get_by_role("heading", name="Live webcam").wait_for()
    if MODEL_STEPS[model]:
        page.get_by_test_id("stSidebar").get_by_role("slider").first.press(MODEL_STEPS[model])
    page.get_by_test_id("stSidebar").get_by_text(model, exact=True).first.wait_for()
    time.sleep(1)
    page.frame_locator('iframe[title*="webrtc"]').get_by_role("button", name="START").click()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if _metric(page, "FPS") > 0:
            return
        time.sleep(0.5)
    raise RuntimeError("the Live page showed no FPS within 120 s of START")


def measure(page, meter: CpuMeter, window_s: float, windows: int) -> list[dict]:
    rows = []
    meter.read()
    before, started_s = _counters(page), time.monotonic()
    for number in range(1, windows + 1):
        fps, latency, end = [], [], time.monotonic() + window_s
        while time.monotonic() < end:
            fps.append(_metric(page, "FPS"))
            latency.append(_metric(page, "Latency"))
            time.sleep(max(0.0, min(1.0, end - time.monotonic())))
        after = _counters(page)
        shown = _shown_size(page)
        cpu, wall_s = meter.read()
        if before and after and after[0] > before[0]:
            dropped = 100 * (after[1] - before[1]) / (after[0] - before[0])
        else:  # the page shows no counters (older pages): its cumulative figure
            dropped = _metric(page, "Dropped")
        rows.append({"window": number, "end_s": round(time.monotonic() - started_s), "fps": float(np.mean(fps)),
                     "latency_ms": float(np.mean(latency)), "dropped_pct": dropped,
                     "received": after[2] if after else "?", "shown": shown, "wall_s": round(wall_s, 2),
                     "load": os.getloadavg()[0],
                     "cpu_s": {k: round(v, 2) for k, v in cpu.items()}})
        before = after
        print(_row(rows[-1]), flush=True)
    return rows


HEADER = f"{'t (s)':>6} {'fps':>6} {'lat ms':>7} {'drop %':>7} {'recv':>8} {'shown':>8} " \
         f"{'server':>7} {'gpu':>6} {'render':>7} {'browser':>8} {'other':>6} {'outside':>8} {'load':>5}" \
         "  (CPU: share of one core)"


def _row(row: dict) -> str:
    cpu = {k: v / row["wall_s"] for k, v in row["cpu_s"].items()}
    return (f"{row['end_s']:>6} {row['fps']:>6.1f} {row['latency_ms']:>7.0f} {row['dropped_pct']:>7.1f} "
            f"{row['received']:>8} {row['shown']:>8} {cpu['server']:>7.2f} {cpu['gpu']:>6.2f} "
            f"{cpu['renderer']:>7.2f} {cpu['browser']:>8.2f} {cpu['other']:>6.2f} {cpu.get('outside', 0):>8.2f} "
            f"{row.get('load', 0):>5.1f}")


def summary(rows: list[dict], window_s: float) -> dict:
    per_minute = max(1, round(60 / window_s))
    first, last = rows[:per_minute], rows[-per_minute:]
    total = {k: sum(r["cpu_s"][k] for r in rows) for k in rows[0]["cpu_s"]}
    span_s = sum(r["wall_s"] for r in rows)
    return {"fps": float(np.mean([r["fps"] for r in rows])),
            "latency_ms": float(np.mean([r["latency_ms"] for r in rows])),
            "dropped_pct": float(np.mean([r["dropped_pct"] for r in rows])),
            "first_minute_fps": float(np.mean([r["fps"] for r in first])),
            "last_minute_fps": float(np.mean([r["fps"] for r in last])),
            "cpu_cores": {k: round(v / span_s, 3) for k, v in total.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=list(MODEL_STEPS), default="full")
    parser.add_argument("--duration-s", type=float, default=300.0, help="measured time after the warm-up")
    parser.add_argument("--warmup-s", type=float, default=10.0)
    parser.add_argument("--window-s", type=float, default=10.0)
    parser.add_argument("--py-spy", type=float, default=0.0, metavar="SECONDS",
                        help="also profile the server with py-spy for this long after the warm-up")
    parser.add_argument("--label", default="", help="added to the result file's name (e.g. before, after)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("POSELAB_MODEL_DIR", "/work/shared/models")
    camera = write_camera(Path(tempfile.gettempdir()) / "poselab-bench-camera-640x480-30.y4m")
    load = os.getloadavg()
    home = Path(tempfile.mkdtemp(prefix="poselab-live-bench-"))
    server, url = start_server(home)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"live_browser_{args.model}{'_' + args.label if args.label else ''}_{stamp}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    spy = None
    try:
        with sync_playwright() as playwright:
            fake = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                    f"--use-file-for-fake-video-capture={camera}"]
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + fake)
            page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
            page.set_default_timeout(60_000)
            open_live(page, url, args.model)
            time.sleep(args.warmup_s)
            page.screenshot(path=str(RESULTS / f"{name}-start.png"), full_page=True)
            if args.py_spy:
                spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                                        str(server.pid), "--duration", str(int(args.py_spy)), "--threads",
                                        "--format", "speedscope", "--rate", "50", "--nonblocking",
                                        "-o", str(RESULTS / f"{name}.speedscope.json")],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            print(f"model {args.model}, load before start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n{HEADER}")
            rows = measure(page, CpuMeter(server.pid), args.window_s, max(1, round(args.duration_s / args.window_s)))
            page.screenshot(path=str(RESULTS / f"{name}-end.png"), full_page=True)
            browser.close()
    finally:
        if spy is not None:
            spy.wait(timeout=args.py_spy + 60)
        stop_server(server)
    result = {"model": args.model, "load_before": load, "window_s": args.window_s, "warmup_s": args.warmup_s,
              "rows": rows, "summary": summary(rows, args.window_s), "server_log": str(home / "server.log")}
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1))
    s = result["summary"]
    print(f"mean: {s['fps']:.1f} fps, {s['latency_ms']:.0f} ms, {s['dropped_pct']:.1f} % dropped; "
          f"first minute {s['first_minute_fps']:.1f} fps, last minute {s['last_minute_fps']:.1f} fps; "
          f"CPU (cores) {s['cpu_cores']}\nwrote {RESULTS / name}.json (load now {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
