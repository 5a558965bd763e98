"""Webcam and upload at once against one dashboard server: neither disturbs the other.

Session A (a Chromium whose fake camera plays the dance clip) streams on the Live page; while it runs, session B
(the ordinary browser, own context) uploads a short squats clip on the Analyze page. B's stored landmarks must
equal a serial run exactly (the live landmarker and the upload's never meet), A must still be tracking once B is
done, and A must stop cleanly with nothing in the server log. Recording is left to test_live: here it doubled the
runtime on a busy box (the recording's result views rerun with every live rerun)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from poselab.media.decode import iter_frames
from tests.e2e.conftest import AppServer, assert_clean_log
from tests.e2e.test_concurrency import assert_same_as_serial, frames_shown
from tests.e2e.test_live import metric, wait_until
from tests.test_bad_input import write_clip

pytestmark = pytest.mark.e2e

UPLOAD_FRAMES = 14
SETTLE_MS = 3000  # the live metrics fragment may show figures a few seconds old on a loaded machine
MORE_POSES = 30  # about 3 s of the camera's 15 fps: more than a stale page can catch up on
STREAM_TIMEOUT_S = 90  # generous: two Chromiums, VP8 both ways and two analyses share 2 busy cores
# Logs the WebRTC connection's state changes (in the component's iframe too) for the failure report.
WATCH_CONNECTION = """
(() => {
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    const t0 = performance.now();
    const log = (what) => console.log(`poselab-pc ${((performance.now() - t0) / 1000).toFixed(1)} s ${what}`);
    pc.addEventListener("connectionstatechange", () => log(`connection ${pc.connectionState}`));
    pc.addEventListener("iceconnectionstatechange", () => log(`ice ${pc.iceConnectionState}`));
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
})();
"""


@pytest.fixture(scope="module")
def upload_clip(test_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short cut of the squats clip: another person than the camera's, so results cannot pass for each other."""
    frames = iter_frames(test_data / "mediapipe" / "pose_squats.mp4")
    images = [next(frames).image_rgb for _ in range(UPLOAD_FRAMES)]
    return write_clip(tmp_path_factory.mktemp("upload") / "squats.mp4", images, fps=5.0)


def _start_stream(page, server: AppServer):
    """Live page as a user reaches it, START, until the model finds poses; returns the component's frame."""
    page.goto(server.url)
    page.get_by_test_id("stSidebarNav").get_by_text("Live webcam").click()
    page.get_by_role("heading", name="Live webcam").wait_for()
    webrtc = page.frame_locator('iframe[title*="webrtc"]')
    webrtc.get_by_role("button", name="START").click()
    wait_until(lambda: metric(page, "Poses detected") > 0 and metric(page, "FPS") > 0, STREAM_TIMEOUT_S,
               "Poses detected and FPS above zero")
    return webrtc


def _open_analyze(page, server: AppServer) -> None:
    """B's Analyze page, ready for a file (opened before A streams: a first page load is the heaviest request)."""
    page.goto(server.url)
    page.locator("input[type=file]").wait_for(state="attached")


def _live_figures(page) -> str:
    """A's live figures as shown, for the failure report."""
    try:
        return ", ".join(f"{label} {metric(page, label)}" for label in ("FPS", "Poses detected", "Dropped"))
    except Exception as error:  # the page itself may be what broke
        return f"no figures: {error}"


def test_webcam_keeps_tracking_while_another_session_uploads(app_server: AppServer, browser, camera_browser,
                                                             upload_clip: Path, artifacts_dir: Path) -> None:
    live_context = camera_browser.new_context(viewport={"width": 1400, "height": 1100})
    live_context.add_init_script(WATCH_CONNECTION)
    upload_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    live, analyze = live_context.new_page(), upload_context.new_page()
    live.set_default_timeout(60_000)  # the machine may be busy
    analyze.set_default_timeout(120_000)
    events: list[str] = []
    live.on("crash", lambda _: events.append("live tab crashed"))
    live.on("console", lambda m: events.append(f"live console: {m.text}")
            if m.type == "error" or m.text.startswith("poselab-pc") else None)
    analyze.on("crash", lambda _: events.append("analyze tab crashed"))
    try:
        _open_analyze(analyze, app_server)
        webrtc = _start_stream(live, app_server)
        # A streams steadily before B starts, as when a user has had the camera on for a while.
        wait_until(lambda: metric(live, "Poses detected") >= MORE_POSES, STREAM_TIMEOUT_S, "a steady stream")
        before_upload = metric(live, "Poses detected")
        print(f"{time.monotonic():.1f} before the upload: {_live_figures(live)}")
        analyze.locator("input[type=file]").set_input_files(str(upload_clip))  # B's analysis starts
        shown = frames_shown(analyze)
        analyze.screenshot(path=str(artifacts_dir / "webcam-and-upload-analyze.png"), full_page=True)
        during_upload = metric(live, "Poses detected") - before_upload
        print(f"{time.monotonic():.1f} upload shown: {_live_figures(live)}")

        # Still tracking once B is done: frames with a pose keep coming. On a busy box the metrics reach the
        # page seconds late, so let them catch up first and then ask for more than a late burst could show.
        live.wait_for_timeout(SETTLE_MS)
        after_upload = metric(live, "Poses detected")
        print(f"{time.monotonic():.1f} settled: {_live_figures(live)}")
        wait_until(lambda: metric(live, "Poses detected") >= after_upload + MORE_POSES
                   and metric(live, "FPS") > 0,
                   STREAM_TIMEOUT_S, f"Poses detected to pass {after_upload:.0f} + {MORE_POSES} after the upload")
        print(f"{time.monotonic():.1f} still tracking: {_live_figures(live)}")
        live.screenshot(path=str(artifacts_dir / "webcam-and-upload-live.png"))
        webrtc.get_by_role("button", name="STOP").click()
        webrtc.get_by_role("button", name="START").wait_for()
        live.wait_for_timeout(2000)  # let the server close the connection and the landmarker
    except Exception:
        live.screenshot(path=str(artifacts_dir / "webcam-and-upload-live-failed.png"))
        analyze.screenshot(path=str(artifacts_dir / "webcam-and-upload-analyze-failed.png"), full_page=True)
        print("\n".join([e for e in events if "backMessage" not in e][-30:]))
        print(f"live figures at failure: {_live_figures(live)}")
        print("server log, last lines:\n" + "\n".join(app_server.log_text().splitlines()[-40:]))
        raise
    finally:
        live_context.close()
        upload_context.close()
    assert shown == UPLOAD_FRAMES
    assert during_upload > 0  # A tracked while B's clip was analysed, not only before and after
    assert_same_as_serial(app_server, upload_clip)
    assert not [e for e in events if "crashed" in e], events
    assert_clean_log(app_server)
