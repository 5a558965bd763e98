"""The Library and Compare pages in a real Chromium, over analyses saved in the server's library."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from poselab.settings import InferenceSettings
from poselab.store.analysis import Analysis, content_hash
from poselab.store.library import Library
from tests.e2e.conftest import AppServer, assert_clean_log, choose

pytestmark = pytest.mark.e2e

_PLOTS = "Array.from(document.querySelectorAll('.js-plotly-plot'))"


@pytest.fixture(scope="module")
def saved(app_server: AppServer, test_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Three analyses of the squat clip in the server's library: two to compare, one to delete."""
    from poselab.parallel.analyze import analyze_clip

    clip = test_data / "mediapipe" / "pose_squats.mp4"
    library = Library(app_server.home)
    ids = {}
    for name, model in (("Week 1 squat", "lite"), ("Week 2 squat", "full"), ("Throwaway", "lite")):
        folder = tmp_path_factory.mktemp("analysis")
        shutil.copyfile(clip, folder / "source.mp4")
        settings = InferenceSettings(model=model)
        video = folder / "annotated.mp4" if name != "Throwaway" else None
        sequence = analyze_clip(folder / "source.mp4", settings, video_out=video)
        analysis = Analysis(folder=folder, sequence=sequence, settings=settings, name=name,
                            content_hash=content_hash(clip))
        analysis.save()
        ids[name] = library.save(analysis).id
    return ids


def test_reopen_rename_and_delete_from_the_library(app_server: AppServer, saved: dict[str, str], page,
                                                    artifacts_dir: Path) -> None:
    page.goto(app_server.url + "/library")
    page.get_by_text("3 of 3 analyses").wait_for()
    choose(page, "Analysis", "Week 1 squat")
    page.get_by_role("button", name="Open results").click()
    # the Analyze views, straight from the stored files: summary, video, inspector and charts
    page.get_by_role("heading", name="Week 1 squat").wait_for()
    page.get_by_text("Frame inspector", exact=True).wait_for()
    page.locator("video").first.wait_for()
    page.wait_for_function(f"() => {_PLOTS}.length >= 2", timeout=60_000)
    frames = page.locator("[data-testid='stMetric']").filter(has_text="Frames").first
    assert "65" in frames.inner_text()
    page.screenshot(path=str(artifacts_dir / "library_open.png"), full_page=True)

    page.get_by_role("textbox", name="Notes").fill("knees past toes")
    page.get_by_role("textbox", name="Name", exact=True).fill("Week 1 squat (baseline)")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("heading", name="Week 1 squat (baseline)").wait_for()
    entry = Library(app_server.home).get(saved["Week 1 squat"])
    assert entry.name == "Week 1 squat (baseline)" and entry.notes == "knees past toes"

    page.get_by_role("tab", name="Downloads").first.click()  # the entry's tab (the results panel has one too)
    with page.expect_download() as info:
        page.get_by_role("button", name="Everything (zip)").click()  # no "prepare" step: built on the click
    assert info.value.suggested_filename == "Week_1_squat__baseline.zip"
    archive = artifacts_dir / "library_export.zip"
    info.value.save_as(archive)
    with zipfile.ZipFile(archive) as bundle:
        assert all(n.startswith("Week_1_squat__baseline/") for n in bundle.namelist())  # still the renamed one
        names = {Path(n).name for n in bundle.namelist()}
        trc = bundle.read(next(n for n in bundle.namelist() if n.endswith(".trc"))).decode()
    assert {"landmarks.csv", "landmarks.parquet", "landmarks.json", "angles.csv", "annotated.mp4",
            "README.md"} <= names
    assert trc.split("\n")[2].split("\t")[:5] == ["5", "5", "65", "33", "m"]

    choose(page, "Analysis", "Throwaway")
    page.get_by_role("button", name="Delete…").click()
    page.get_by_text("This cannot be undone").wait_for()
    page.get_by_role("button", name="Yes, delete").click()
    page.get_by_text("2 of 2 analyses").wait_for()
    assert [e.name for e in Library(app_server.home).list(search="Throwaway")] == []
    assert_clean_log(app_server)


def test_compare_two_analyses(app_server: AppServer, saved: dict[str, str], page, artifacts_dir: Path) -> None:
    page.goto(app_server.url + "/compare")
    page.get_by_text("Differences").wait_for()
    page.wait_for_function("() => document.querySelectorAll('video').length === 2", timeout=60_000)
    page.wait_for_function(f"() => {_PLOTS}.some(p => (p.data || []).length >= 2)", timeout=60_000)
    table = page.locator("[data-testid='stTable']").first
    assert "range of motion (deg)" in table.inner_text() and "reps" in table.inner_text()
    page.get_by_role("button", name="Align automatically (DTW)").click()
    page.get_by_text("DTW: best constant offset").wait_for()
    traces = page.evaluate(f"() => {_PLOTS}.find(p => (p.data || []).length >= 2).data.map(t => t.name)")
    assert any("(DTW)" in name for name in traces)
    # the same clip analysed twice: the best offset is close to zero
    caption = page.get_by_text("DTW: best constant offset").inner_text()
    assert abs(float(caption.split("offset")[1].split("s")[0])) < 0.5
    page.screenshot(path=str(artifacts_dir / "compare.png"), full_page=True)
    assert_clean_log(app_server)


_VIDEOS = "() => Array.from(document.querySelectorAll('.st-key-compare-videos video'))" \
          ".map(v => ({paused: v.paused, time: v.currentTime}))"


_SYNC_STATE = """() => {
    const videos = Array.from(document.querySelectorAll('.st-key-compare-videos video'));
    return JSON.stringify({timer: !!window.poselabCompareTimer, linked: videos.map(v => !!v.poselabLinked),
        paused: videos.map(v => v.paused), muted: videos.map(v => v.muted), ready: videos.map(v => v.readyState),
        html: document.querySelectorAll('[data-testid=stHtml]').length,
        scripts: document.querySelectorAll('[data-testid=stHtml] script').length});
}"""


def test_compare_names_every_row_and_plays_both_videos_together(app_server: AppServer, saved: dict[str, str], page,
                                                                 artifacts_dir: Path) -> None:
    page.goto(app_server.url + "/compare")
    page.get_by_text("Differences").wait_for()
    page.wait_for_function("() => document.querySelectorAll('.st-key-compare-videos video').length === 2",
                           timeout=60_000)
    # Item 12: two runs of one clip are told apart by the setting that differs (lite vs full).
    page.get_by_label("A (before)").click()
    page.get_by_role("option").first.wait_for()
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    assert any("model lite" in o for o in options) and any("model full" in o for o in options), options

    # Item 11: playing A plays B; seeking A moves B.
    page.evaluate("() => document.querySelectorAll('.st-key-compare-videos video')[0].play()")
    try:
        page.wait_for_function(f"() => ({_VIDEOS})().every(v => !v.paused)", timeout=10_000)
    except Exception:  # say why: the script not run, not linked, or the second video refused to play
        raise AssertionError(page.evaluate(_SYNC_STATE)) from None
    page.evaluate("() => document.querySelectorAll('.st-key-compare-videos video')[0].pause()")
    page.wait_for_function(f"() => ({_VIDEOS})().every(v => v.paused)", timeout=10_000)
    page.evaluate("() => { document.querySelectorAll('.st-key-compare-videos video')[0].currentTime = 5.0; }")
    page.wait_for_function(f"() => ({_VIDEOS})().every(v => Math.abs(v.time - 5.0) < 0.3)", timeout=10_000)

    page.get_by_text("Every angle").click()
    grid = page.locator("[data-testid='stExpander'] [data-testid='stDataFrame']").first
    grid.wait_for()  # its signal / metric columns: tests/test_ui_views.py (the grid draws headers on a canvas)
    page.screenshot(path=str(artifacts_dir / "compare_sync.png"), full_page=True)
    assert_clean_log(app_server)
