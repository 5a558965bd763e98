"""Stopping an analysis on the Analyze page: the Cancel button, and a setting changed mid-run.

Neither may leave a half-written run folder (``*.part``) under ``$POSELAB_HOME/analyses``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from poselab.media.decode import iter_frames
from tests.e2e.conftest import AppServer, assert_clean_log
from tests.test_bad_input import write_clip

pytestmark = pytest.mark.e2e

RESULTS_TIMEOUT_MS = 240_000


@pytest.fixture(scope="module")
def long_clip(test_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dance clip back and forth, 400 frames at 20 fps: long enough to be stopped half-way."""
    source = [f.image_rgb for f in iter_frames(test_data / "videos" / "dance_600x600.mp4")]
    cycle = source + source[-2:0:-1]
    frames = [cycle[i % len(cycle)] for i in range(400)]
    return write_clip(tmp_path_factory.mktemp("clips") / "long_dance.mp4", frames, fps=20.0)


def _parts(server: AppServer) -> list[Path]:
    return sorted((server.home / "analyses").glob("*.part"))


def _analysis_children(server: AppServer) -> list[int]:
    """Processes the server spawned for analyses (multiprocessing's spawn_main), still running."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == server.process.pid and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return found


def _wait_until(condition, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_cancel_stops_the_analysis_and_leaves_nothing(app_server: AppServer, page, long_clip: Path,
                                                      artifacts_dir: Path) -> None:
    page.goto(app_server.url)
    page.locator("input[type=file]").set_input_files(str(long_clip))
    page.get_by_text("frames ·").first.wait_for(timeout=60_000)  # the progress bar counts frames: it runs
    assert _parts(app_server), "the run folder should exist while the analysis runs"
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("Analysis of long_dance.mp4 cancelled").wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts_dir / "analyze_cancelled.png"))
    assert _wait_until(lambda: not _analysis_children(app_server)), "the analysis process still runs"
    assert _parts(app_server) == []
    assert not (app_server.home / "library" / "analyses").is_dir() or not any(
        (app_server.home / "library" / "analyses").iterdir())  # nothing saved
    page.wait_for_timeout(1500)  # a cancelled run is not started again by the next rerun
    assert page.locator("video").count() == 0 and page.get_by_text("frames ·").count() == 0

    page.get_by_role("button", name="Run again").click()
    page.locator("video").wait_for(timeout=RESULTS_TIMEOUT_MS)
    assert _parts(app_server) == []
    assert_clean_log(app_server)


def test_a_setting_changed_mid_run_leaves_no_run_folder(app_server: AppServer, page, long_clip: Path) -> None:
    page.goto(app_server.url)
    people = page.locator("input[aria-label='Number of people']")
    people.wait_for()
    people.fill("2")  # settings no earlier test ran (the library would answer those at once)
    people.press("Enter")
    page.wait_for_timeout(1000)
    page.locator("input[type=file]").set_input_files(str(long_clip))
    page.get_by_text("frames ·").first.wait_for(timeout=60_000)
    for count in ("3", "4"):  # two changes in a row: the second lands while the first run unwinds
        people.fill(count)
        people.press("Enter")
        page.wait_for_timeout(300)
    page.locator("video").wait_for(timeout=RESULTS_TIMEOUT_MS)
    assert _wait_until(lambda: not _parts(app_server)), f"left behind: {_parts(app_server)}"
    assert_clean_log(app_server)
