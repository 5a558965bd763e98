"""Issue 16 in a real Chromium: mark frames of a saved analysis with class names, train a classifier, see its
timeline on another analysis, and see the fall of a CCTV clip in its Events tab."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from poselab.settings import InferenceSettings
from poselab.store.analysis import Analysis, content_hash
from poselab.store.library import Library
from tests.e2e.conftest import AppServer, choose

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def saved(app_server: AppServer, test_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from poselab.parallel.analyze import analyze_clip

    library = Library(app_server.home)
    ids = {}
    for name, clip, poses in (("Corridor fall", "falls/fall_corridor_forward.mp4", 2),
                              ("Squats", "mediapipe/pose_squats.mp4", 1)):
        folder = tmp_path_factory.mktemp("analysis")
        shutil.copyfile(test_data / clip, folder / "source.mp4")
        settings = InferenceSettings(num_poses=poses)
        sequence = analyze_clip(folder / "source.mp4", settings)
        analysis = Analysis(folder, sequence, settings, name, content_hash(test_data / clip))
        analysis.save()
        ids[name] = library.save(analysis).id
    return ids


def _mark(page, now: tuple[int, int], first: int, last: int, label: str) -> None:
    """Move the range slider's thumbs from ``now`` with the keyboard, name the class, add the mark."""
    thumbs = page.locator("[data-testid='stSlider'] input[type='range']")  # react-aria: start, then end
    low, high = thumbs.nth(0), thumbs.nth(1)
    for thumb, steps in ((high, last - now[1]), (low, first - now[0])):
        thumb.focus()
        for _ in range(steps):
            thumb.press("ArrowRight")
    page.wait_for_timeout(800)
    page.get_by_role("textbox", name="Class name").fill(label)
    page.get_by_role("textbox", name="Class name").press("Enter")
    page.get_by_role("button", name="Add mark").click()
    page.get_by_text(f"{label} {last - first + 1} frame(s)").wait_for()


def test_label_train_classify_and_see_the_fall(app_server: AppServer, saved: dict[str, str], page,
                                               artifacts_dir: Path) -> None:
    # In through the navigation as a user does: a deep link makes Streamlit's frontend probe
    # /library/_stcore/health first, a 404 that would hide real console errors.
    page.goto(app_server.url)
    page.get_by_role("link", name="Library").click()
    page.get_by_text("2 of 2 analyses").wait_for()
    choose(page, "Analysis", "Squats")
    page.get_by_role("tab", name="Classes").click()
    _mark(page, (0, 0), 0, 4, "up")  # standing, 0-0.8 s at 5 fps
    _mark(page, (0, 4), 7, 13, "down")  # the bottom of the first squat, 1.4-2.6 s
    page.get_by_role("textbox", name="Classifier name").fill("squat phases")
    page.get_by_role("textbox", name="Classifier name").press("Enter")
    page.get_by_role("button", name="Train classifier").click()
    page.get_by_text("Saved classifier 'squat phases'").wait_for()
    page.screenshot(path=str(artifacts_dir / "assess_trained.png"))

    choose(page, "Analysis", "Corridor fall")
    page.get_by_role("button", name="Open results").click()
    page.get_by_text("Frame inspector", exact=True).wait_for()
    page.get_by_role("tab", name="Postures").click()
    page.get_by_text("Taught classes").wait_for()
    postures_tab = page.get_by_role("tabpanel").filter(has_text="Taught classes")
    postures_tab.locator(".js-plotly-plot").nth(1).wait_for()  # the taught classes' timeline
    page.screenshot(path=str(artifacts_dir / "assess_postures.png"))

    page.get_by_role("tab", name="Events").click()
    page.get_by_text("1 fall event(s)").wait_for()
    page.get_by_text("Fall of person 0").wait_for()
    page.get_by_role("button", name="Go to frame").click()
    page.get_by_text("t = 3.92 s").wait_for()  # the inspector moved to the impact
    page.screenshot(path=str(artifacts_dir / "assess_events.png"))
    assert not page.console_errors, page.console_errors  # also: nothing fetched from outside the server
