"""The Live page in Chromium with a fake camera playing a shared clip: START, live figures, record, STOP."""

from __future__ import annotations

import re
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from poselab.media.decode import iter_frames
from poselab.store.library import Library
from tests.e2e.conftest import assert_clean_log

pytestmark = pytest.mark.e2e

CLIP_FRAMES = 40
CAMERA_SIZE = (320, 240)  # small and slow enough for a busy CI box: VP8 runs both ways
CAMERA_FPS = 15


def write_y4m(source: Path, target: Path, frames: int = CLIP_FRAMES, size: tuple[int, int] = CAMERA_SIZE) -> Path:
    """The first ``frames`` of ``source`` letterboxed to ``size`` as raw YUV4MPEG (Chromium's fake camera loops it)."""
    width, height = size
    with av.open(str(target), "w", format="yuv4mpegpipe") as container:
        stream = container.add_stream("rawvideo", rate=Fraction(CAMERA_FPS))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index, frame in enumerate(iter_frames(source)):
            if index == frames:
                break
            image = frame.image_rgb
            scale = min(width / image.shape[1], height / image.shape[0])
            small = cv2.resize(image, (int(image.shape[1] * scale), int(image.shape[0] * scale)))
            canvas = np.zeros((height, width, 3), np.uint8)
            top, left = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
            canvas[top:top + small.shape[0], left:left + small.shape[1]] = small
            for packet in stream.encode(av.VideoFrame.from_ndarray(canvas, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return target


def metric(page, label: str) -> float:
    cell = page.get_by_test_id("stMetric").filter(has_text=label).first
    text = cell.get_by_test_id("stMetricValue").inner_text()
    return float(re.sub(r"[^0-9.]", "", text) or 0)


def _recorded_frames(page) -> int:
    caption = page.get_by_text(re.compile(r"Recording: \d+ frames"))
    if caption.count() == 0:
        return 0
    return int(re.search(r"(\d+) frames", caption.first.inner_text()).group(1))


def _assert_received_size_shown(page) -> None:
    """The page names the video size the server receives: the camera's, or smaller when WebRTC lowers it."""
    caption = page.get_by_text(re.compile(r"Video received: \d+×\d+")).first.inner_text()
    width, height = (int(v) for v in re.search(r"(\d+)×(\d+)", caption).groups())
    assert 0 < width <= CAMERA_SIZE[0] and 0 < height <= CAMERA_SIZE[1], caption
    assert abs(width / height - CAMERA_SIZE[0] / CAMERA_SIZE[1]) < 0.05, caption  # the camera's shape
    assert re.search(r"\d+ frames received, \d+ dropped", caption), caption


def wait_until(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def test_live_page_tracks_the_fake_camera_records_and_stops(app_server, camera_browser, artifacts_dir) -> None:
    context = camera_browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(60_000)  # the machine may be busy
    events: list[str] = []
    page.on("crash", lambda _: events.append("tab crashed"))
    page.on("console", lambda m: events.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("framenavigated", lambda f: events.append(f"navigated {f.url}") if f == page.main_frame else None)
    try:
        page.goto(app_server.url)
        page.get_by_test_id("stSidebarNav").get_by_text("Live webcam").click()  # as a user gets there
        page.get_by_role("heading", name="Live webcam").wait_for()
        webrtc = page.frame_locator('iframe[title*="webrtc"]')
        webrtc.get_by_role("button", name="START").click()
        wait_until(lambda: metric(page, "Poses detected") > 0 and metric(page, "FPS") > 0, 90,
                   "Poses detected and FPS above zero")
        assert metric(page, "Latency (ms)") > 0
        _assert_received_size_shown(page)
        assert page.get_by_test_id("stMetric").filter(has_text="Reps").count() == 1  # the live rep counter
        page.screenshot(path=str(artifacts_dir / "live-running.png"))
        page.get_by_role("button", name="Start recording").click()
        page.get_by_role("button", name="Stop recording").wait_for()
        wait_until(lambda: _recorded_frames(page) >= 10, 60, "10 recorded frames")
        page.get_by_role("button", name="Stop recording").click()
        page.get_by_text("Recording: Webcam").first.wait_for(timeout=60_000)
        page.get_by_text("Annotated video").first.wait_for()
        page.get_by_text("Saved in the library").first.wait_for()  # saved once, when recording stopped
        assert page.get_by_role("button", name="Save to library").count() == 0
        assert page.get_by_text("source clip is not stored").count() == 0  # the inspector has the camera's frames
        page.screenshot(path=str(artifacts_dir / "live.png"), full_page=True)
        webrtc.get_by_role("button", name="STOP").click()
        webrtc.get_by_role("button", name="START").wait_for()
        time.sleep(2)  # let the server close the connection and the landmarker
    except Exception:
        print("\n".join([e for e in events if "backMessage" not in e][-30:]))
        raise
    finally:
        page.screenshot(path=str(artifacts_dir / "live-last.png"))  # what the page showed last, pass or fail
        context.close()
    recordings = list((app_server.home / "recordings").glob("live-*/annotated.mp4"))
    assert len(recordings) == 1 and recordings[0].stat().st_size > 1000
    assert (recordings[0].parent / "source.mp4").stat().st_size > 1000
    assert [e.kind for e in Library(app_server.home).list()] == ["live"]
    assert_clean_log(app_server)


def test_live_page_says_clearly_when_there_is_no_camera(app_server, page) -> None:
    """The shared browser has no camera: the component names the error and the page says what it means."""
    page.goto(app_server.url)
    page.get_by_test_id("stSidebarNav").get_by_text("Live webcam").click()
    webrtc = page.frame_locator('iframe[title*="webrtc"]')
    webrtc.get_by_role("button", name="START").click()
    webrtc.get_by_text(re.compile(r"NotFoundError|NotAllowedError")).first.wait_for(timeout=30_000)
    help_text = page.get_by_text(re.compile(r"NotFoundError.*no usable camera")).first
    assert "press START again" in help_text.inner_text()
