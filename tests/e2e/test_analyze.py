"""The Analyze page in a real Chromium: upload a clip as a user does and use every view."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import AppServer, assert_clean_log

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright").expect

RESULTS_TIMEOUT_MS = 180_000

# JavaScript helpers reading Plotly's own state from the chart elements Streamlit renders.
_PLOTS = "Array.from(document.querySelectorAll('.js-plotly-plot'))"
# The inspected frame's 3D chart: scatter3d traces and, unlike the animation, no slider.
_FRAME_3D = f"{_PLOTS}.find(p => (p.data || []).some(t => t.type === 'scatter3d') && !(p.layout.sliders || []).length)"
_SCENE_CAMERA = f"""() => {{
    const plot = {_FRAME_3D};
    return plot ? JSON.stringify(plot._fullLayout.scene._scene.getCamera()) : null;
}}"""
_FRAME_3D_BOX = f"""() => {{
    const plot = {_FRAME_3D};
    plot.scrollIntoView({{block: 'center'}});
    const box = plot.getBoundingClientRect();
    return {{x: box.x, y: box.y, width: box.width, height: box.height}};
}}"""
_TIMESERIES_TRACES = f"""() => {{
    const plot = {_PLOTS}.find(p => (p._fullData || []).some(t => t.name === 'left_wrist'));
    const finite = t => Array.from(t.y || []).filter(v => v !== null && !Number.isNaN(v)).length;
    return plot ? plot._fullData.map(finite) : null;
}}"""
_PLAY_VIDEO = """async () => {
    const video = document.querySelector('video');
    video.muted = true;
    await video.play();
    await new Promise(resolve => setTimeout(resolve, 1500));
    return {time: video.currentTime, error: video.error ? video.error.code : null, width: video.videoWidth};
}"""


def _upload(page, server: AppServer, clip: Path) -> None:
    page.goto(server.url)
    page.locator("input[type=file]").set_input_files(str(clip))


def _full_screenshot(page, path: Path) -> None:
    """Streamlit scrolls inside its own container, so a tall viewport is what shows the whole page."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 100, 4000)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path))


def _overlay_src(page) -> str:
    return page.locator("[data-testid='stImage'] img").first.get_attribute("src") or ""


def test_dance_clip_in_the_browser(app_server: AppServer, page, test_data: Path, artifacts_dir: Path) -> None:
    _upload(page, app_server, test_data / "videos" / "dance_600x600.mp4")
    page.locator("video").wait_for(timeout=RESULTS_TIMEOUT_MS)
    page.wait_for_function(f"() => {_PLOTS}.length >= 3", timeout=60_000)

    # The annotated H.264 video plays.
    played = page.evaluate(_PLAY_VIDEO)
    assert played["error"] is None, f"media error {played['error']}"
    assert played["time"] > 0.3 and played["width"] == 600

    # The 3D skeleton of the inspected frame turns when dragged.
    page.wait_for_function(f"({_SCENE_CAMERA})() !== null")
    before = page.evaluate(_SCENE_CAMERA)
    box = page.evaluate(_FRAME_3D_BOX)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 40, steps=12)
    page.mouse.up()
    page.wait_for_timeout(300)
    assert page.evaluate(_SCENE_CAMERA) != before

    # Moving the frame slider redraws the overlay.
    first = _overlay_src(page)
    thumb = page.get_by_role("slider", name="Frame")
    thumb.focus()
    thumb.press("End")  # one step to the last frame: one rerun
    page.wait_for_function(
        "src => { const img = document.querySelector(\"[data-testid='stImage'] img\"); return img && img.src"
        " && !img.src.endsWith(src); }", arg=first.split("/")[-1], timeout=30_000)
    page.get_by_text("frame 102 of 102").wait_for(timeout=30_000)

    # The time series has a trace per default landmark, each with values.
    counts = page.evaluate(_TIMESERIES_TRACES)
    assert counts is not None and len(counts) == 4 and min(counts) > 50

    _full_screenshot(page, artifacts_dir / "analyze_dance.png")
    assert_clean_log(app_server)


def test_bad_upload_then_photo_in_the_browser(app_server: AppServer, page, test_data: Path, artifacts_dir: Path,
                                              tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video\n" * 50)
    _upload(page, app_server, bad)
    error = page.locator("[data-testid='stAlertContentError']")
    error.wait_for(timeout=60_000)
    assert "notes.mp4" in error.inner_text()

    page.locator("input[type=file]").set_input_files(str(test_data / "mediapipe" / "pose.jpg"))
    page.locator("[data-testid='stImage'] img").first.wait_for(timeout=RESULTS_TIMEOUT_MS)
    page.wait_for_function(f"({_SCENE_CAMERA})() !== null", timeout=60_000)
    assert page.locator("video").count() == 0
    _full_screenshot(page, artifacts_dir / "analyze_photo.png")
    assert_clean_log(app_server)


def test_portrait_60fps_clip_plays_in_the_browser(app_server: AppServer, page, test_data: Path,
                                                  artifacts_dir: Path) -> None:
    _upload(page, app_server, test_data / "videos" / "lab_single_portrait_60fps.mp4")
    page.locator("video").wait_for(timeout=RESULTS_TIMEOUT_MS)
    page.get_by_text("frame 1 of 100").wait_for(timeout=60_000)
    played = page.evaluate(_PLAY_VIDEO)
    assert played["error"] is None, f"media error {played['error']}"
    assert played["time"] > 0.3 and played["width"] == 1080
    shown = page.locator("video").bounding_box()
    assert shown is not None and shown["height"] <= 520  # a phone clip fits on a laptop screen
    _full_screenshot(page, artifacts_dir / "analyze_portrait.png")
    assert_clean_log(app_server)




def _slider(page, label: str):
    """A slider's widget box (label, thumb value, min and max labels)."""
    return page.locator("[data-testid='stSlider']").filter(has_text=label).first


def _camera_eye(page) -> dict:
    import json

    return json.loads(page.evaluate(_SCENE_CAMERA))["eye"]


def test_results_keep_the_camera_offer_downloads_and_survive_a_visit_to_the_library(
        app_server: AppServer, page, test_data: Path, artifacts_dir: Path) -> None:
    _upload(page, app_server, test_data / "mediapipe" / "pose_squats.mp4")
    page.locator("video").wait_for(timeout=RESULTS_TIMEOUT_MS)
    page.get_by_text("frame 1 of 65").wait_for(timeout=60_000)
    page.get_by_text("Saved in the Library as “pose_squats.mp4”").wait_for()
    legend = page.locator(".poselab-legend").first
    assert "left" in legend.inner_text() and "visibility" in legend.inner_text()
    thumb = page.get_by_role("slider", name="Frame")  # react-aria's range input behind the thumb
    assert (thumb.get_attribute("min"), thumb.get_attribute("max")) == ("1", "65")
    expect(_slider(page, "Frame").get_by_test_id("stSliderThumbValue")).to_have_text("1")

    # Item 7: a turned 3D view stays turned when the frame slider steps.
    page.wait_for_function(f"({_SCENE_CAMERA})() !== null")
    box = page.evaluate(_FRAME_3D_BOX)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 150, y + 60, steps=12)
    page.mouse.up()
    page.wait_for_timeout(300)
    turned = _camera_eye(page)
    thumb.focus()
    thumb.press("ArrowRight")
    page.get_by_text("frame 2 of 65").wait_for(timeout=30_000)
    page.wait_for_timeout(800)
    kept = _camera_eye(page)
    assert all(abs(kept[k] - turned[k]) < 1e-3 for k in "xyz"), (turned, kept)

    # Item 5: downloads on the Analyze page, named after the clip.
    page.get_by_role("tab", name="Downloads").click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Landmarks CSV").click()
    assert info.value.suggested_filename == "pose_squats_landmarks.csv"
    with page.expect_download() as info:
        page.get_by_role("button", name="Everything (zip)").click()
    assert info.value.suggested_filename == "pose_squats.zip"
    archive = artifacts_dir / "analyze_export.zip"
    info.value.save_as(archive)
    import zipfile

    with zipfile.ZipFile(archive) as bundle:
        readme = bundle.read("pose_squats/README.md").decode()
        assert "pose_squats/angles.csv" in bundle.namelist() and "pose_squats/reps.csv" in bundle.namelist()
    assert "One row per frame x person (" in readme and "one-euro" in readme

    # Item 6: a display setting, the upload and the result survive a visit to the Library.
    vis = page.get_by_role("slider", name="Visibility threshold")
    vis.focus()
    vis.press("ArrowRight")
    vis.press("ArrowRight")
    expect(_slider(page, "Visibility threshold").get_by_test_id("stSliderThumbValue")).to_have_text("0.60")
    page.wait_for_timeout(1000)
    page.get_by_role("link", name="Library").click()
    page.get_by_text("analyses · click a column header").wait_for()
    page.get_by_role("link", name="Analyze").click()
    page.get_by_text("uploaded earlier in this session").wait_for()
    page.get_by_text("frame 1 of 65").wait_for(timeout=60_000)
    page.locator("video").wait_for()
    expect(_slider(page, "Visibility threshold").get_by_test_id("stSliderThumbValue")).to_have_text("0.60")
    _full_screenshot(page, artifacts_dir / "analyze_back_from_library.png")
    assert_clean_log(app_server)


def test_nobody_found_says_what_to_change(app_server: AppServer, page, test_data: Path) -> None:
    page.goto(app_server.url)
    detection = page.get_by_role("slider", name="min_detection_confidence")
    detection.focus()
    detection.press("End")
    expect(_slider(page, "min_detection_confidence").get_by_test_id("stSliderThumbValue")).to_have_text("1.00")
    page.locator("input[type=file]").set_input_files(str(test_data / "mediapipe" / "pose.jpg"))
    page.get_by_text("Nobody was found in this photo").wait_for(timeout=RESULTS_TIMEOUT_MS)
    assert "Lower the detection threshold" in page.locator("[data-testid='stAlertContentWarning']").inner_text()
    assert page.get_by_text("None", exact=True).count() == 0
    assert_clean_log(app_server)
