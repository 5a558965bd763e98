"""How long the Library page takes to show in Chromium with many analyses (issue 18: 1,000).

    flock /tmp/poselab-heavy.lock .venv/bin/python bench/library_page_bench.py            # 1,000 analyses
    flock /tmp/poselab-heavy.lock .venv/bin/python bench/library_page_bench.py --entries 100,1000 --repeats 5

Fills a private library with N small analyses (20 frames each, varied names, tags and settings), starts the
dashboard on it, and times in a fresh browser tab: the page opened until its table, the "N of N" caption and
the analysis picker are drawn ("open"), and a search typed until the filtered caption shows ("search").
Medians of ``--repeats`` after one warm-up visit (the first visit also imports the page's modules).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from deploy.services import free_port, streamlit_replica  # noqa: E402
from poselab.sequence import PoseSequence, VideoInfo  # noqa: E402
from poselab.settings import InferenceSettings  # noqa: E402
from poselab.skeleton import NUM_LANDMARKS  # noqa: E402
from poselab.store.analysis import Analysis  # noqa: E402
from poselab.store.library import Library  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def small_analysis(folder: Path, frames: int = 20) -> Analysis:
    rng = np.random.default_rng(0)
    shape = (frames, 1, NUM_LANDMARKS)
    vis = np.full(shape, 0.9, np.float32)
    sequence = PoseSequence(time_s=np.arange(frames) / 10.0,
                            image_xy_px=rng.uniform(100, 400, (*shape, 2)).astype(np.float32),
                            image_z=np.zeros(shape, np.float32), visibility=vis, presence=vis.copy(),
                            world_xyz_m=rng.uniform(-0.5, 0.5, (*shape, 3)).astype(np.float32),
                            video=VideoInfo(640, 480, 10.0, frames, frames / 10.0, source_name="clip.mp4"),
                            meta={"settings": InferenceSettings().to_dict()})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "source.mp4").write_bytes(b"stand-in clip bytes")
    analysis = Analysis(folder=folder, sequence=sequence, settings=InferenceSettings(model="lite"), name="x",
                        content_hash="0" * 64)
    analysis.save()
    return analysis


def fill(home: Path, count: int) -> float:
    library = Library(home)
    template = small_analysis(home.parent / f"template-{home.name}")
    started = time.perf_counter()
    for index in range(count):
        template.name = f"session {index:04d} {'squat' if index % 3 else 'lunge'}"
        template.settings = InferenceSettings(model=("lite", "full", "heavy")[index % 3], num_poses=1 + index % 2)
        template.content_hash = f"{index // 3:064x}"  # three runs per clip: the "differs by" column works
        entry = library.save(template)
        if index % 10 == 0:
            library.set_tags(entry.id, ["week " + str(index % 7)])
    return time.perf_counter() - started


def time_page(browser, url: str, count: int) -> tuple[float, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(120_000)
    started = time.perf_counter()
    tab.goto(url + "/library")
    tab.get_by_text(f"{count} of {count} analyses").first.wait_for()
    tab.locator("[data-testid='stDataFrame']").first.wait_for()
    tab.get_by_label("Analysis").first.wait_for()
    open_s = time.perf_counter() - started
    started = time.perf_counter()
    tab.get_by_role("textbox", name="Search").fill("lunge")
    tab.get_by_role("textbox", name="Search").press("Enter")
    lunges = sum(1 for i in range(count) if i % 3 == 0)
    tab.get_by_text(f"{lunges} of {count} analyses").first.wait_for()
    search_s = time.perf_counter() - started
    context.close()
    return open_s, search_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", default="1000", help="comma-separated library sizes")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"load average before: {os.getloadavg()}")
    print("| analyses | fill (s) | open median (s) | open runs (s) | search median (s) |")
    print("| ---: | ---: | ---: | --- | ---: |")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        for count in [int(n) for n in args.entries.split(",")]:
            work = Path(tempfile.mkdtemp(prefix="poselab-library-bench-"))
            home = work / "home"
            fill_s = fill(home, count)
            app = streamlit_replica(free_port(), {"POSELAB_HOME": str(home)}, work / "server.log")
            try:
                time_page(browser, app.url, count)  # warm-up: imports, first script compile
                runs = [time_page(browser, app.url, count) for _ in range(args.repeats)]
            finally:
                app.stop()
            opens = [r[0] for r in runs]
            print(f"| {count} | {fill_s:.1f} | {statistics.median(opens):.2f} | "
                  f"{', '.join(f'{o:.2f}' for o in opens)} | {statistics.median(r[1] for r in runs):.2f} |",
                  flush=True)
        browser.close()
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
