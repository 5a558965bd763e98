"""Live webcam path at 640x480 from a 30 fps source: processed fps, added latency, share of frames dropped.

Runs ``LiveProcessor`` exactly as the Live page does: inside streamlit-webrtc's
``AsyncVideoProcessTrack`` (worker thread, newest frame only), fed by a track that emits a shared
clip at 30 fps, drained at 30 fps like the outgoing WebRTC sender. The WebRTC codec (VP8 in and
out) is left out: that cost belongs to the browser link, not to PoseLab.

Latency is from a frame's capture (when the source emits it) to its annotated copy being ready,
so time waiting in the queue counts. "Model" is the bare ``PoseDetector.detect`` time on the same
frames in VIDEO mode; the target for full: >= 25 processed fps, latency <= 1.5x the model time.

Run: POSELAB_MODEL_DIR=../shared/models POSELAB_TEST_DATA=../shared/data .venv/bin/python bench/live_bench.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiortc import VideoStreamTrack
from av import VideoFrame
from streamlit_webrtc.process import AsyncVideoProcessTrack

from poselab.engine.landmarker import PoseDetector
from poselab.live.processor import LiveProcessor
from poselab.media.decode import iter_frames
from poselab.settings import InferenceSettings

SIZE = (640, 480)
WIDTHS = (12, 9, 7, 12, 8, 9, 9, 7)


def camera_frames(clip: Path, count: int = 100) -> list[np.ndarray]:
    """The clip letterboxed to 640x480, as a webcam would send it."""
    frames = []
    for frame in iter_frames(clip):
        image = frame.image_rgb
        scale = min(SIZE[0] / image.shape[1], SIZE[1] / image.shape[0])
        small = cv2.resize(image, (int(image.shape[1] * scale), int(image.shape[0] * scale)))
        canvas = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
        top, left = (SIZE[1] - small.shape[0]) // 2, (SIZE[0] - small.shape[1]) // 2
        canvas[top:top + small.shape[0], left:left + small.shape[1]] = small
        frames.append(canvas)
        if len(frames) == count:
            break
    return frames


def model_ms(model: str, frames: list[np.ndarray]) -> float:
    """Median bare inference time (VIDEO mode, after a warm-up)."""
    times = []
    with PoseDetector(InferenceSettings(model=model), video=True) as detector:
        for index, image in enumerate(frames):
            began = time.perf_counter()
            detector.detect(image, index / 30)
            times.append(time.perf_counter() - began)
    return 1000 * float(np.median(times[10:]))


class ClipSource(VideoStreamTrack):
    """Emits the frames at 30 fps (aiortc's pacing) and remembers when each was captured."""

    def __init__(self, frames: list[np.ndarray]) -> None:
        super().__init__()
        self.frames = frames
        self.sent = 0
        self.capture_s: dict[int, float] = {}

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame.from_ndarray(self.frames[self.sent % len(self.frames)], format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        self.capture_s[pts] = time.monotonic()
        self.sent += 1
        return frame


class Timed:
    """The processor, plus capture-to-ready latency of every frame it processes."""

    def __init__(self, inner: LiveProcessor, source: ClipSource) -> None:
        self.inner, self.source = inner, source
        self.latency_s: list[float] = []

    async def recv_queued(self, frames: list[VideoFrame]) -> list[VideoFrame]:
        out = await self.inner.recv_queued(frames)
        self.latency_s.append(time.monotonic() - self.source.capture_s[frames[-1].pts])
        return out

    def on_ended(self) -> None:
        self.inner.on_ended()


async def run_stream(model: str, frames: list[np.ndarray], seconds: float, record: Path | None) -> dict:
    source = ClipSource(frames)
    processor = LiveProcessor(InferenceSettings(model=model))
    processor.process(frames[0], time.monotonic())  # load the model before the clock starts
    before = processor.snapshot().stats
    if record is not None:
        processor.start_recording(record)
    timed = Timed(processor, source)
    track = AsyncVideoProcessTrack(track=source, processor=timed)
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        await track.recv()
    elapsed = time.monotonic() - began
    if record is not None:
        processor.stop_recording()
    track.stop()
    stats = processor.snapshot().stats
    processed = stats.frames_processed - before.frames_processed
    received = stats.frames_received - before.frames_received
    latency_ms = 1000 * np.array(timed.latency_s[len(timed.latency_s) // 10:])  # skip the warm-up tenth
    return {
        "fps": processed / elapsed,
        "latency_ms": float(np.median(latency_ms)),
        "latency_p90_ms": float(np.percentile(latency_ms, 90)),
        "dropped": (stats.frames_dropped - before.frames_dropped) / max(received, 1),
        "with_pose": (stats.frames_with_pose - before.frames_with_pose) / max(processed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--models", nargs="+", default=["lite", "full", "heavy"])
    parser.add_argument("--clip", type=Path, default=None)
    args = parser.parse_args()
    data = Path(os.environ.get("POSELAB_TEST_DATA", "../shared/data"))
    frames = camera_frames(args.clip or data / "videos" / "dance_600x600.mp4")
    print(f"load before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores; "
          f"{SIZE[0]}x{SIZE[1]} from a 30 fps source, {args.seconds:.0f} s per run")
    header = ("run", "model ms", "fps", "latency ms", "p90 ms", "x model", "dropped", "posed")
    print("".join(f"{h:<12}" if i == 0 else f"{h:>{w}}" for i, (h, w) in enumerate(zip(header, WIDTHS, strict=True))))
    runs = [(m, None) for m in args.models] + ([("full", "rec")] if "full" in args.models else [])
    for model, extra in runs:
        inference = model_ms(model, frames)
        record = Path(os.environ.get("TMPDIR", "/tmp")) / f"live-bench-{os.getpid()}" if extra else None
        result = asyncio.run(run_stream(model, frames, args.seconds, record))
        name = model + (" +record" if extra else "")
        print(f"{name:<12}{inference:>9.1f}{result['fps']:>7.1f}{result['latency_ms']:>12.1f}"
              f"{result['latency_p90_ms']:>8.1f}{result['latency_ms'] / inference:>9.2f}"
              f"{100 * result['dropped']:>8.0f}%{100 * result['with_pose']:>6.0f}%")
    print(f"load after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
