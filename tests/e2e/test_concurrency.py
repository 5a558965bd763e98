"""Several users at once against one dashboard server: nobody gets anyone else's landmarks.

Three browser sessions (own contexts) upload three different clips at the same moment; then two tabs of one
browser context do the same. Each page must show its own clip's results, and the landmarks the server stored must
equal, exactly, a serial run of the same clip and settings in this process (no shared landmarker, no timestamp
mismatch, no mixed-up results).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from poselab.media.decode import iter_frames
from poselab.parallel.analyze import analyze_clip
from poselab.sequence import PoseSequence
from poselab.settings import InferenceSettings
from poselab.store.analysis import content_hash
from poselab.store.library import Library
from tests.e2e.conftest import AppServer, assert_clean_log
from tests.test_bad_input import write_clip

pytestmark = pytest.mark.e2e

RESULTS_TIMEOUT_MS = 240_000


@pytest.fixture(scope="module")
def clips(test_data: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Short cuts of the three shared clips, each with its own frame count so each page's figure is its own."""
    folder = tmp_path_factory.mktemp("concurrency-clips")
    sources = [("squats", "mediapipe/pose_squats.mp4", 12, 5.0), ("dance", "videos/dance_600x600.mp4", 14, 20.0),
               ("lab", "videos/lab_single_portrait_60fps.mp4", 16, 60.0)]
    made = []
    for name, relative, count, fps in sources:
        frames = iter_frames(test_data / relative)
        made.append(write_clip(folder / f"{name}.mp4", [next(frames).image_rgb for _ in range(count)], fps=fps))
    return made


def frames_shown(page) -> int:
    cell = page.get_by_test_id("stMetric").filter(has_text="Frames").first
    cell.wait_for(timeout=RESULTS_TIMEOUT_MS)
    return int(re.sub(r"[^0-9]", "", cell.get_by_test_id("stMetricValue").inner_text()))


def _stored(server: AppServer, clip: Path) -> tuple[PoseSequence, InferenceSettings]:
    """The sequence the server stored for ``clip`` (found by content hash) and the settings it ran with."""
    library = Library(server.home)
    folders = [library.get(e.id).folder for e in library.list() if e.content_hash == content_hash(clip)]
    assert len(folders) == 1, folders
    record = json.loads((folders[0] / "analysis.json").read_text())
    return PoseSequence.load_npz(folders[0] / "sequence.npz"), InferenceSettings.from_dict(record["settings"])


def assert_same_as_serial(server: AppServer, clip: Path) -> None:
    stored, settings = _stored(server, clip)
    serial = analyze_clip(clip, settings)
    assert stored.num_frames == serial.num_frames
    np.testing.assert_array_equal(stored.time_s, serial.time_s)
    np.testing.assert_array_equal(stored.image_xy_px, serial.image_xy_px)  # NaN where nothing found, on both
    np.testing.assert_array_equal(stored.world_xyz_m, serial.world_xyz_m)
    assert serial.frames_with_pose() > 0  # a real comparison, not NaN against NaN


def _upload_all(pages: list, server: AppServer, clips: list[Path]) -> None:
    for tab in pages:
        tab.goto(server.url)
        tab.locator("input[type=file]").wait_for(state="attached")
    for tab, clip in zip(pages, clips, strict=True):  # all started before any is waited for
        tab.locator("input[type=file]").set_input_files(str(clip))


def test_three_sessions_at_once_each_get_their_own_landmarks(app_server: AppServer, browser, clips: list[Path],
                                                             artifacts_dir: Path) -> None:
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in clips]
    try:
        pages = [context.new_page() for context in contexts]
        _upload_all(pages, app_server, clips)
        shown = [frames_shown(tab) for tab in pages]
        pages[0].screenshot(path=str(artifacts_dir / "concurrency-session-1.png"), full_page=True)
    finally:
        for context in contexts:
            context.close()
    assert shown == [12, 14, 16]
    for clip in clips:
        assert_same_as_serial(app_server, clip)
    assert_clean_log(app_server)


def test_two_tabs_of_one_session(app_server: AppServer, browser, clips: list[Path], tmp_path: Path) -> None:
    # Fresh cuts (new content hashes), so the server cannot answer from the previous test's cache.
    cuts = []
    for index, clip in enumerate(clips[:2]):
        frames = [frame.image_rgb for frame in iter_frames(clip)][: 9 + index * 2]
        cuts.append(write_clip(tmp_path / f"tab{index}.mp4", frames))
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        tabs = [context.new_page(), context.new_page()]
        _upload_all(tabs, app_server, cuts)
        assert [frames_shown(tab) for tab in tabs] == [9, 11]
    finally:
        context.close()
    for cut in cuts:
        assert_same_as_serial(app_server, cut)
    leftovers = [p for p in app_server.home.rglob("*") if ".part" in p.name]
    assert not leftovers, leftovers  # no half-written upload or analysis once every session is done
    assert_clean_log(app_server)
