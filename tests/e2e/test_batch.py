"""The Batch page in a real Chromium: upload three clips and one bad file, leave the page and come back while
the batch runs, see three finish and one fail with its reason, and open a finished one in the Library."""

from __future__ import annotations

from pathlib import Path

import pytest

from poselab.store.library import Library
from tests.e2e.conftest import AppServer, assert_clean_log

pytestmark = pytest.mark.e2e
CLIPS = ("videos/dance_600x600.mp4", "falls/fall_corridor_forward.mp4", "mediapipe/pose_squats.mp4")
BATCH_TIMEOUT_MS = 400_000
_TABLE_CELLS = """() => Array.from(document.querySelectorAll("[data-testid='stTable'] tbody tr")).map(
    row => Array.from(row.querySelectorAll('th, td')).map(cell => cell.innerText.trim()))"""


def test_batch_page_runs_clips_in_the_background_and_links_to_the_library(
        app_server: AppServer, page, test_data: Path, tmp_path: Path, artifacts_dir: Path) -> None:
    bad = tmp_path / "holiday.mp4"
    bad.write_bytes(b"not a video at all\n" * 50)
    page.goto(app_server.url)  # a first visit to / (see DEVELOPERS.md: deep links before it run bare)
    page.get_by_role("heading", name="Analyze a clip").wait_for()
    page.goto(app_server.url + "/batch")
    page.get_by_role("heading", name="Batch analysis").wait_for()
    page.locator("input[type=file]").set_input_files([str(test_data / c) for c in CLIPS] + [str(bad)])
    page.get_by_text("holiday.mp4").first.wait_for()
    page.get_by_role("button", name="Start batch").click()
    page.get_by_text("of 4 clips").first.wait_for(timeout=60_000)

    page.goto(app_server.url + "/library")  # leave (a new session, even) while it runs, and come back
    page.get_by_role("heading", name="Library").wait_for()
    page.goto(app_server.url + "/batch")
    page.get_by_text("Finished: 4 of 4 clips").wait_for(timeout=BATCH_TIMEOUT_MS)
    cells = page.evaluate(_TABLE_CELLS)
    page.screenshot(path=str(artifacts_dir / "batch_page.png"), full_page=True)
    rows = {row[0]: row for row in cells}  # clip, status, frames, people, detected, time, error
    assert set(rows) == {Path(c).name for c in CLIPS} | {"holiday.mp4"}, cells
    assert all(rows[Path(c).name][1] == "done" and rows[Path(c).name][-1] == "" for c in CLIPS), cells
    assert rows["holiday.mp4"][1] == "failed", cells
    assert rows["holiday.mp4"][-1] == ("holiday.mp4 is not a supported video or image "
                                       "(mp4, mov, m4v, webm, avi, mkv, jpg or png)"), cells
    assert rows["pose_squats.mp4"][2] == "65", cells
    saved = {e.source_name: e.id for e in Library(app_server.home).list()}
    assert sorted(saved) == sorted(Path(c).name for c in CLIPS)

    page.get_by_role("link", name="pose_squats.mp4").click()  # opens it in the Library
    page.wait_for_url(f"**/library?open={saved['pose_squats.mp4']}")
    page.get_by_role("heading", name="pose_squats").wait_for(timeout=60_000)
    page.get_by_text("Frame inspector", exact=True).wait_for(timeout=60_000)
    frames = page.locator("[data-testid='stMetric']").filter(has_text="Frames").first
    assert "65" in frames.inner_text()
    page.screenshot(path=str(artifacts_dir / "batch_opened.png"), full_page=True)
    assert_clean_log(app_server)
