"""The live processor without a browser: over a real aiortc loopback, and driven frame by frame."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

from poselab.engine.landmarker import PoseDetector
from poselab.errors import InputError, ModelError
from poselab.live import processor as live
from poselab.live.ice import parse_ice_servers
from poselab.live.processor import LiveProcessor
from poselab.media.decode import iter_frames
from poselab.render.overlay import OverlayStyle
from poselab.settings import InferenceSettings
from poselab.store.analysis import Analysis

LOOPBACK_FRAMES = 20


@pytest.fixture(scope="module")
def dance_frames() -> list[np.ndarray]:
    """40 RGB frames of one man dancing (600x600) from the shared clips."""
    import os

    data = os.environ.get("POSELAB_TEST_DATA")
    if not data or not (Path(data) / "videos" / "dance_600x600.mp4").is_file():
        pytest.skip("shared test data not found: set POSELAB_TEST_DATA to ../shared/data (as .ci/run does)")
    frames = []
    for frame in iter_frames(Path(data) / "videos" / "dance_600x600.mp4"):
        frames.append(frame.image_rgb)
        if len(frames) == 40:
            break
    return frames


class _CountingFactory:
    """Makes real detectors and remembers the settings of each, to see when a swap happens."""

    def __init__(self) -> None:
        self.made: list[InferenceSettings] = []
        self.detectors: list[PoseDetector] = []

    def __call__(self, settings: InferenceSettings) -> PoseDetector:
        self.made.append(settings)
        self.detectors.append(PoseDetector(settings, video=True))
        return self.detectors[-1]


def _loopback(processor: LiveProcessor, frames: list[np.ndarray], count: int) -> list[av.VideoFrame]:
    """A browser stand-in sends the clip at 30 fps to a server peer that runs the processor the
    way streamlit-webrtc does (AsyncVideoProcessTrack) and sends the annotated frames back."""
    from aiortc import RTCConfiguration, RTCPeerConnection, VideoStreamTrack
    from streamlit_webrtc.process import AsyncVideoProcessTrack

    class ClipTrack(VideoStreamTrack):
        def __init__(self) -> None:
            super().__init__()
            self.sent = 0

        async def recv(self) -> av.VideoFrame:
            pts, time_base = await self.next_timestamp()
            frame = av.VideoFrame.from_ndarray(frames[self.sent % len(frames)], format="rgb24")
            frame.pts, frame.time_base = pts, time_base
            self.sent += 1
            return frame

    async def run() -> list[av.VideoFrame]:
        # No ICE servers: aiortc would otherwise ask Google's STUN, unreachable offline.
        browser = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        server = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        returned: asyncio.Queue = asyncio.Queue()
        tracks = []

        @server.on("track")
        def on_track(track) -> None:
            tracks.append(AsyncVideoProcessTrack(track=track, processor=processor))
            server.addTrack(tracks[-1])

        @browser.on("track")
        def on_returned(track) -> None:
            returned.put_nowait(track)

        browser.addTrack(ClipTrack())
        await browser.setLocalDescription(await browser.createOffer())
        await server.setRemoteDescription(browser.localDescription)
        await server.setLocalDescription(await server.createAnswer())
        await browser.setRemoteDescription(server.localDescription)
        back = await asyncio.wait_for(returned.get(), 20)
        out = []
        # Run until the processor has done `count` frames (the first waits for the model to load).
        while processor.snapshot().stats.frames_processed < count and len(out) < 30 * 30:
            out.append(await asyncio.wait_for(back.recv(), 20))
        for track in tracks:
            track.stop()  # what streamlit-webrtc does on STOP: ends the processor too
        await browser.close()
        await server.close()
        return out

    return asyncio.run(run())


def test_processor_finds_poses_through_aiortc_loopback(model_dir: Path, dance_frames: list[np.ndarray]) -> None:
    factory = _CountingFactory()
    processor = LiveProcessor(InferenceSettings(model="lite"), detector_factory=factory)
    out = _loopback(processor, dance_frames, LOOPBACK_FRAMES)
    stats = processor.snapshot().stats
    assert [(f.width, f.height) for f in out[-5:]] == [(600, 600)] * 5
    assert stats.frames_processed >= LOOPBACK_FRAMES
    assert stats.frames_with_pose >= 0.8 * stats.frames_processed
    assert stats.frames_received == stats.frames_processed + stats.frames_dropped
    assert 0 < stats.latency_ms < 2000
    assert len(factory.made) == 1  # one landmarker for the whole connection
    assert processor._detector is None  # closed when the stream ended


def test_only_the_newest_queued_frame_is_processed(model_dir: Path, dance_frames: list[np.ndarray]) -> None:
    processor = LiveProcessor(InferenceSettings(model="lite"))
    stale = [av.VideoFrame.from_ndarray(np.zeros((600, 600, 3), np.uint8), format="rgb24") for _ in range(3)]
    newest = av.VideoFrame.from_ndarray(dance_frames[0], format="rgb24")
    out = asyncio.run(processor.recv_queued([*stale, newest]))
    stats = processor.snapshot().stats
    processor.close()
    assert len(out) == 1
    assert (stats.frames_received, stats.frames_processed, stats.frames_dropped) == (4, 1, 3)
    assert stats.frames_with_pose == 1  # so it was the dancer, not a black frame


def test_settings_apply_live_and_swap_the_landmarker_only_when_needed(model_dir: Path,
                                                                   dance_frames: list[np.ndarray]) -> None:
    factory = _CountingFactory()
    settings = InferenceSettings(model="lite")
    processor = LiveProcessor(settings, OverlayStyle(visibility_threshold=0.0), detector_factory=factory)
    shown = processor.process(dance_frames[0], 0.0)
    processor.configure(settings, OverlayStyle(visibility_threshold=1.01))  # hides every landmark
    hidden = processor.process(dance_frames[1], 0.05)
    assert len(factory.made) == 1  # a display change never reloads the model
    assert np.abs(shown.astype(int) - dance_frames[0]).sum() > 1000  # skeleton drawn
    assert np.array_equal(hidden, dance_frames[1])  # nothing drawn, same frame back
    two = InferenceSettings(model="lite", num_poses=2)
    processor.configure(two, OverlayStyle())
    processor.process(dance_frames[2], 0.1)
    history = processor.snapshot().history
    processor.close()
    assert factory.made == [settings, two]
    assert history is not None and history.num_slots == 2 and history.num_frames == 1


def test_a_model_that_cannot_load_shows_an_error_and_passes_frames_through(dance_frames: list[np.ndarray]) -> None:
    calls = []

    def broken(settings: InferenceSettings) -> PoseDetector:
        calls.append(settings)
        raise ModelError("model bundle missing")

    processor = LiveProcessor(InferenceSettings(), detector_factory=broken)
    out = processor.process(dance_frames[0], 0.0)
    processor.process(dance_frames[1], 0.05)
    assert np.array_equal(out, dance_frames[0])
    assert "model bundle missing" in (processor.snapshot().stats.error or "")
    assert len(calls) == 1  # not retried on every frame
    processor.configure(InferenceSettings(model="lite"), OverlayStyle())
    processor.process(dance_frames[2], 0.1)
    assert len(calls) == 2  # new settings: a new attempt


def test_recording_becomes_an_analysis_with_video_and_landmarks(model_dir: Path, dance_frames: list[np.ndarray],
                                                                tmp_path: Path) -> None:
    processor = LiveProcessor(InferenceSettings(model="lite"))
    for index in range(5):
        processor.process(dance_frames[index], index / 20)
    processor.start_recording(tmp_path / "rec")
    for index in range(5, 25):
        processor.process(dance_frames[index], index / 20)
    assert processor.snapshot().stats.recorded_frames == 20
    analysis = processor.stop_recording()
    processor.process(dance_frames[25], 25 / 20)  # no longer recorded
    processor.close()
    assert analysis is not None
    loaded = Analysis.load(tmp_path / "rec")
    assert loaded.sequence.num_frames == 20
    assert loaded.sequence.frames_with_pose() >= 18
    assert (loaded.sequence.video.width, loaded.sequence.video.height) == (600, 600)
    assert loaded.summary()["model"] == "lite" and loaded.sequence.meta["source"] == "live"
    with av.open(str(loaded.annotated_path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in container.decode(stream)) == 20


def test_stream_ending_while_recording_keeps_the_recording(model_dir: Path, dance_frames: list[np.ndarray],
                                                            tmp_path: Path) -> None:
    processor = LiveProcessor(InferenceSettings(model="lite"))
    processor.start_recording(tmp_path / "rec")
    for index in range(3):
        processor.process(dance_frames[index], index / 20)
    processor.on_ended()
    assert [a.sequence.num_frames for a in processor.finished] == [3]
    assert processor.stop_recording() is None


def test_ice_servers_default_to_none_and_parse_json() -> None:
    assert parse_ice_servers(None) == [] and parse_ice_servers("  ") == []
    turn = '[{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]'
    assert parse_ice_servers(turn)[0]["username"] == "u"
    assert parse_ice_servers('{"iceServers": [{"urls": "stun:lan-stun:3478"}]}') == [{"urls": "stun:lan-stun:3478"}]
    with pytest.raises(InputError, match="not valid JSON"):
        parse_ice_servers("[{urls:")
    with pytest.raises(InputError, match="urls"):
        parse_ice_servers('[{"url": "stun:x"}]')


def test_page_reads_ice_servers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from components.webcam import ice_servers

    monkeypatch.delenv("POSELAB_ICE_SERVERS", raising=False)
    assert ice_servers() == []  # no secrets file either: host candidates only, no public STUN
    monkeypatch.setenv("POSELAB_ICE_SERVERS", '[{"urls": "turn:turn.lan:3478", "username": "a", "credential": "b"}]')
    assert ice_servers() == [{"urls": "turn:turn.lan:3478", "username": "a", "credential": "b"}]


class _FakeClock:
    def __init__(self) -> None:
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


class _SlowDetector:
    """Stands in for the model: loading costs 5 s and each frame 20 ms of the fake clock."""

    def __init__(self, settings: InferenceSettings, clock: _FakeClock) -> None:
        self.settings, self._clock = settings, clock
        clock.now_s += 5.0

    def detect(self, image_rgb: np.ndarray, time_s: float) -> object:
        from poselab.engine.landmarker import FramePoses

        self._clock.now_s += 0.020
        return FramePoses.none()

    def close(self) -> None:
        pass


def test_latency_and_fps_leave_the_model_load_out() -> None:
    clock = _FakeClock()
    processor = LiveProcessor(InferenceSettings(), detector_factory=lambda s: _SlowDetector(s, clock), clock=clock)
    image = np.zeros((48, 64, 3), np.uint8)
    for _ in range(60):
        clock.now_s += 1 / 30
        processor.process(image, clock())
    stats = processor.snapshot().stats
    assert stats.latency_ms == pytest.approx(20.0, abs=0.5)
    assert stats.fps == pytest.approx(1 / (1 / 30 + 0.020), rel=0.1)
    assert (stats.frames_processed, stats.frames_with_pose, stats.poses_in_frame) == (60, 0, 0)
    clock.now_s += 10.0  # the stream stalls: the rate must fall, not freeze at its last value
    assert processor.snapshot().stats.fps == 0.0


class _StuckDetector:
    """Stands in for a model that hangs on its first frame until released (an overloaded server)."""

    def __init__(self, settings: InferenceSettings) -> None:
        self.settings = settings
        self.release = threading.Event()
        self.frames = 0

    def detect(self, image_rgb: np.ndarray, time_s: float) -> object:
        from poselab.engine.landmarker import FramePoses

        self.release.wait(30)
        self.frames += 1
        return FramePoses.none()

    def close(self) -> None:
        pass


def test_a_stalled_model_never_holds_the_stream_past_the_stall_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # streamlit-webrtc ends a stream for good when one recv_queued takes 10 s: ours must return well before.
    monkeypatch.setattr(live, "STALL_S", 0.3)
    detectors: list[_StuckDetector] = []

    def make(settings: InferenceSettings) -> _StuckDetector:
        detectors.append(_StuckDetector(settings))
        return detectors[-1]

    processor = LiveProcessor(InferenceSettings(), detector_factory=make)
    frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")

    async def stream() -> list[tuple[float, int]]:
        calls = []
        for _ in range(3):  # stuck: the first call gives up waiting, the next two find the model busy
            began = time.monotonic()
            returned = await processor.recv_queued([frame, frame])
            calls.append((time.monotonic() - began, len(returned)))
        detectors[0].release.set()
        while processor.snapshot().stats.frames_processed < 1:
            await asyncio.sleep(0.01)
        calls.append((0.0, len(await processor.recv_queued([frame]))))  # free again: processed at once
        return calls

    calls = asyncio.run(stream())
    stats = processor.snapshot().stats
    processor.close()
    assert all(elapsed_s < 1.0 for elapsed_s, _ in calls), calls
    assert [returned for _, returned in calls] == [0, 0, 0, 1]
    assert detectors[0].frames == 2  # the stalled frame finished, then the one after the stall
    assert (stats.frames_processed, stats.frames_dropped, stats.frames_received) == (2, 5, 7)


def test_a_frame_that_fails_after_the_stall_limit_fails_the_next_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "STALL_S", 0.2)
    stuck = _StuckDetector(InferenceSettings())

    def detect_then_fail(image_rgb: np.ndarray, time_s: float) -> object:
        stuck.release.wait(30)
        raise RuntimeError("the model broke")

    stuck.detect = detect_then_fail  # type: ignore[method-assign]
    processor = LiveProcessor(InferenceSettings(), detector_factory=lambda _: stuck)
    frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")

    async def stream() -> None:
        assert await processor.recv_queued([frame]) == []  # gave up waiting
        stuck.release.set()
        while not processor._busy.done():
            await asyncio.sleep(0.01)
        await processor.recv_queued([frame])  # the error surfaces here, as streamlit-webrtc expects

    with pytest.raises(RuntimeError, match="the model broke"):
        asyncio.run(stream())
    processor.close()
