"""The Ergonomics tab in a real Chromium: an analysed clip, a load that re-scores without the model, the report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import AppServer, assert_clean_log

pytestmark = pytest.mark.e2e

RESULTS_TIMEOUT_MS = 180_000
_LEFT_SCORE = """() => {
    const metric = Array.from(document.querySelectorAll('[data-testid="stMetric"]'))
        .find(m => m.innerText.startsWith('RULA left'));
    return metric ? metric.querySelector('[data-testid="stMetricValue"]').innerText : null;
}"""


def test_ergonomics_tab_rescores_and_downloads_the_report(app_server: AppServer, page, test_data: Path,
                                                          artifacts_dir: Path, tmp_path: Path) -> None:
    page.goto(app_server.url)
    page.locator("input[type=file]").set_input_files(str(test_data / "mediapipe" / "pose_squats.mp4"))
    page.locator("video").wait_for(timeout=RESULTS_TIMEOUT_MS)
    page.get_by_text("frame 1 of 65").wait_for(timeout=60_000)
    video_src = page.locator("video").get_attribute("src")

    page.get_by_role("tab", name=re.compile("Ergonomics")).click()
    page.get_by_text("Camera assumed level: no calibration").wait_for(timeout=30_000)
    page.wait_for_function(f"({_LEFT_SCORE})() !== null", timeout=30_000)
    before = page.evaluate(_LEFT_SCORE)
    assert before not in ("–", None)

    load = page.get_by_role("spinbutton", name="Load (kg)", exact=True)
    load.fill("25")
    load.press("Enter")
    page.wait_for_function(f"({_LEFT_SCORE})() !== {before!r}", timeout=30_000)
    after = page.evaluate(_LEFT_SCORE)
    assert int(after) > int(before)
    # re-scored from the stored landmarks: no analysis progress bar, the same annotated video
    assert page.locator("[data-testid='stProgress']").count() == 0
    assert page.locator("video").get_attribute("src") == video_src

    page.get_by_role("button", name="Prepare the HTML report").click()
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("button", name="Download the report (HTML)").click()
    report = tmp_path / "report.html"
    download_info.value.save_as(report)
    text = report.read_text()
    assert text.startswith("<!DOCTYPE html>") and "Ergonomic assessment" in text
    assert "25.0" in text and "set by the user" in text  # the load in use when it was prepared
    report_page = page.context.new_page()
    report_page.goto(report.as_uri())
    report_page.get_by_text("Limits of this assessment").wait_for(timeout=10_000)
    assert report_page.locator("svg").count() >= 2 and report_page.locator("img").count() >= 1
    report_page.screenshot(path=str(artifacts_dir / "ergonomics_report.png"), full_page=True)
    report_page.close()

    page.set_viewport_size({"width": 1400, "height": 3000})
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts_dir / "ergonomics_tab.png"))
    assert_clean_log(app_server)
