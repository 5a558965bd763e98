"""Pose tracking on a live stream (the webcam over WebRTC), UI-free.

One ``LiveProcessor`` per connection, with its own ``PoseDetector`` (VIDEO mode), driven by
streamlit-webrtc's media worker thread through ``recv_queued`` (or ``recv``). The UI never touches
the detector: it sets wishes (``configure``, ``start_recording``) and reads a locked ``snapshot``.

Real time over completeness: when frames queue up while a frame is being processed, only the
newest is processed and the others are counted as dropped (a queue would only add latency).

A stall never ends the stream: streamlit-webrtc stops a connection's processing for good when one
call takes 10 s (a heavy model loading on an overloaded server can), so frames are processed on the
processor's own thread and a call gives up waiting after ``STALL_S``; the frame still finishes there,
and frames arriving meanwhile are dropped until it does.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import av
import numpy as np

from poselab.engine.landmarker import FramePoses, PoseDetector
from poselab.engine.tracking import SlotTracker
from poselab.errors import PoseLabError
from poselab.live.history import HISTORY_MAX_FRAMES, HISTORY_S, history_sequence, slot_rows
from poselab.live.recording import Recording
from poselab.media.encode import i420_frame
from poselab.render.overlay import OverlayStyle, draw_pose
from poselab.sequence import PoseSequence
from poselab.settings import InferenceSettings
from poselab.store.analysis import Analysis
from poselab.store.owners import Principal

RATE_WINDOW_S = 2.0  # processed fps is measured over this window
LATENCY_WINDOW = 30  # frames averaged for the latency figure
STALL_S = 4.0  # well below streamlit-webrtc's 10 s limit per call

DetectorFactory = Callable[[InferenceSettings], PoseDetector]


@dataclass(frozen=True)
class LiveStats:
    """Counters since the stream started; rates over the last seconds."""

    frames_received: int = 0
    frames_processed: int = 0
    frames_dropped: int = 0
    frames_with_pose: int = 0
    poses_in_frame: int = 0
    fps: float = 0.0  # filled in by snapshot()
    latency_ms: float = 0.0
    inference_ms: float = 0.0
    recording: bool = False
    recorded_frames: int = 0
    error: str | None = None
    frame_size: tuple[int, int] = (0, 0)  # (width, height) of the last frame received: what the browser sends


@dataclass(frozen=True)
class LiveSnapshot:
    """What the UI reads: stats and the last HISTORY_S seconds as a PoseSequence (may be empty)."""

    stats: LiveStats
    history: PoseSequence | None = None


class LiveProcessor:
    """Annotates frames with the poses found; duck-types streamlit-webrtc's VideoProcessorBase."""

    def __init__(self, settings: InferenceSettings, style: OverlayStyle | None = None,
                 detector_factory: DetectorFactory | None = None, clock: Callable[[], float] = time.monotonic):
        self._lock = threading.Lock()
        self._wanted = settings
        self._style = style or OverlayStyle()
        self._make_detector = detector_factory or (lambda s: PoseDetector(s, video=True))
        self._clock = clock
        self._detector: PoseDetector | None = None
        self._stats = LiveStats()
        self._start_s: float | None = None
        self._tracker = SlotTracker(settings.num_poses)
        self._history: deque[tuple[float, np.ndarray]] = deque(maxlen=HISTORY_MAX_FRAMES)
        # The history as a PoseSequence, built once per new frame: the page's panels read it several times a
        # second in the server process that also runs this stream, so a rebuild per read only takes CPU (and
        # the interpreter lock) from the frames. (version of the deque it was built from, sequence)
        self._history_version = 0
        self._built: tuple[int, PoseSequence] | None = None
        self._done_times: deque[float] = deque()
        self._latencies_ms: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._arrival_offset_s: float | None = None
        self._loading = False
        self._failed: InferenceSettings | None = None
        self._recording: Recording | None = None
        # Frames are processed here rather than on streamlit-webrtc's worker, so its calls never wait past
        # STALL_S; one thread, so the detector is never used by two at once.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="poselab-live")
        self._busy: Future | None = None
        self.finished: list[Analysis] = []  # recordings closed when the stream ended on its own

    # --- called from the UI thread -------------------------------------------------------------

    def configure(self, settings: InferenceSettings, style: OverlayStyle) -> None:
        """New wishes: the style applies to the next frame, new settings swap the landmarker there."""
        with self._lock:
            self._wanted, self._style = settings, style

    def snapshot(self, history: bool = True) -> LiveSnapshot:
        """Stats, and the rolling history unless ``history`` is False (the metrics need none).

        Snapshots taken before the next frame arrives share one history sequence, with read-only arrays."""
        now_s = self._clock()
        with self._lock:
            # Rate over the window ending now, so a stalled stream reads as slow, not as its last rate.
            recent = sum(1 for t in self._done_times if t > now_s - RATE_WINDOW_S)
            stats = replace(self._stats, fps=recent / RATE_WINDOW_S if self._stats.frames_processed > 1 else 0.0)
            if not history or not self._history:
                return LiveSnapshot(stats)
            version, built = self._history_version, self._built
            if built is not None and built[0] == version:
                return LiveSnapshot(stats, built[1])
            items = list(self._history)
        sequence = history_sequence(items, stats.frame_size)  # outside the lock: the frame thread never waits
        with self._lock:
            if self._built is None or self._built[0] < version:
                self._built = (version, sequence)
        return LiveSnapshot(stats, sequence)

    def start_recording(self, folder: Path, owner: Principal | None = None) -> None:
        """Frames processed from now on go to ``folder`` (annotated.mp4 and the landmarks), then to ``owner``'s
        library (asked for here, on the page's thread: the media thread that finishes it knows no session)."""
        with self._lock:
            if self._recording is not None:
                return
            settings = self._wanted
            self._recording = Recording.start(folder, settings, self._clock(), owner=owner)
            self._stats = replace(self._stats, recording=True, recorded_frames=0)

    def stop_recording(self) -> Analysis | None:
        """Closes the recording and saves it as an Analysis; None when nothing was recorded."""
        with self._lock:
            recording, self._recording = self._recording, None
            self._stats = replace(self._stats, recording=False)
        return recording.finish() if recording is not None else None

    # --- called from the media thread ----------------------------------------------------------

    async def recv_queued(self, frames: list[av.VideoFrame]) -> list[av.VideoFrame]:
        """Only the newest queued frame is processed; the older ones are stale and dropped.
        Returns no frame when processing takes longer than STALL_S (the frame finishes on its own)."""
        if self._busy is not None and self._busy.done() and self._busy.exception() is not None:
            raise self._busy.exception()  # a frame failed after its call stopped waiting: the error is not lost
        busy = self._busy is not None and not self._busy.done()
        stale = len(frames) if busy else len(frames) - 1
        with self._lock:
            self._stats = replace(self._stats, frames_dropped=self._stats.frames_dropped + stale,
                                  frames_received=self._stats.frames_received + stale)
        if busy:
            return []
        self._busy = self._worker.submit(self.recv, frames[-1])
        waiting = asyncio.wrap_future(self._busy)
        try:
            return [await asyncio.wait_for(asyncio.shield(waiting), STALL_S)]
        except TimeoutError:
            # The outcome is read from self._busy; marked as seen here, or asyncio reports it as lost.
            waiting.add_done_callback(lambda done: done.cancelled() or done.exception())
            return []  # the browser keeps showing the last annotated frame

    def recv(self, frame: av.VideoFrame) -> av.VideoFrame:
        arrived_s = self._clock()
        image_rgb = frame.to_ndarray(format="rgb24")
        annotated = self.process(image_rgb, arrived_s, frame.time)
        # Handed on as I420, the encoder's own format: streamlit-webrtc may hand the last annotated frame on
        # again, and the encoder would convert an RGB frame each time (a tenth of a core at 640x480, 30 fps).
        out = i420_frame(annotated)
        if frame.time_base is not None:
            out.pts, out.time_base = frame.pts, frame.time_base
        return out

    def process(self, image_rgb: np.ndarray, arrived_s: float, source_time_s: float | None = None) -> np.ndarray:
        """Detects, draws and records one frame; returns the annotated RGB frame."""
        with self._lock:
            wanted, style = self._wanted, self._style
            self._stats = replace(self._stats, frame_size=(image_rgb.shape[1], image_rgb.shape[0]))
        if self._start_s is None:
            self._start_s = arrived_s
        detector = self._ensure_detector(wanted)
        if detector is None:
            self._count(0, arrived_s, arrived_s, 0.0)
            return image_rgb
        began_s = self._clock()
        poses = detector.detect(image_rgb, began_s - self._start_s)
        inference_ms = 1000 * (self._clock() - began_s)
        row = slot_rows(self._tracker, poses, detector.settings.num_poses)
        mask = poses.mask if detector.settings.segmentation else None
        annotated = draw_pose(image_rgb, row[..., 0:2], row[..., 3], mask, style)
        self._record(image_rgb, annotated, poses, arrived_s)
        done_s = self._clock()
        self._count(poses.count, self._arrival_s(arrived_s, source_time_s), done_s, inference_ms)
        with self._lock:
            self._history.append((arrived_s - self._start_s, row))
            while self._history and self._history[0][0] < arrived_s - self._start_s - HISTORY_S:
                self._history.popleft()
            self._history_version += 1
        return annotated

    def on_ended(self) -> None:
        """The stream ended: free the landmarker and keep an unfinished recording as an Analysis."""
        self._worker.shutdown(wait=True)  # a frame still in the model finishes before the model closes
        with self._lock:
            recording, self._recording = self._recording, None
            self._stats = replace(self._stats, recording=False)
        if recording is not None:
            try:
                analysis = recording.finish()
            except PoseLabError as error:
                self._fail(str(error))
            else:
                if analysis is not None:
                    self.finished.append(analysis)
        if self._detector is not None:
            self._detector.close()
            self._detector = None

    close = on_ended

    # --- internals -----------------------------------------------------------------------------

    def _ensure_detector(self, wanted: InferenceSettings) -> PoseDetector | None:
        """The landmarker for ``wanted``, swapped here (its own thread) when the settings changed."""
        if self._detector is not None and self._detector.settings == wanted:
            return self._detector
        if wanted == self._failed:
            return None  # no retry on every frame: wait for other settings
        if self._detector is not None:
            self._detector.close()
            self._detector = None
        self._loading = True  # this frame's latency is the model load: keep it out of the figure
        try:
            self._detector = self._make_detector(wanted)
        except (PoseLabError, RuntimeError, ValueError) as error:
            self._failed = wanted
            self._fail(f"Could not load the {wanted.model} model: {error}")
            return None
        self._failed = None
        if self._tracker.num_slots != wanted.num_poses:
            self._tracker = SlotTracker(wanted.num_poses)
            with self._lock:
                self._history.clear()  # rows of another width cannot share a chart
                self._history_version += 1
        with self._lock:
            self._stats = replace(self._stats, error=None)
        return self._detector

    def _arrival_s(self, arrived_s: float, source_time_s: float | None) -> float:
        """When the frame really arrived: the frame's own clock mapped onto ours by the smallest
        offset seen, so time spent waiting in the queue counts as latency too."""
        if source_time_s is None:
            return arrived_s
        offset = arrived_s - source_time_s
        if self._arrival_offset_s is None or offset < self._arrival_offset_s:
            self._arrival_offset_s = offset
        return source_time_s + self._arrival_offset_s

    def _count(self, poses: int, arrived_s: float, done_s: float, inference_ms: float) -> None:
        if not self._loading:
            self._latencies_ms.append(1000 * (done_s - arrived_s))
        self._loading = False
        with self._lock:
            self._done_times.append(done_s)
            while self._done_times and self._done_times[0] < done_s - RATE_WINDOW_S:
                self._done_times.popleft()
            s = self._stats
            self._stats = replace(
                s, frames_received=s.frames_received + 1, frames_processed=s.frames_processed + 1,
                frames_with_pose=s.frames_with_pose + (poses > 0), poses_in_frame=poses,
                latency_ms=float(np.mean(self._latencies_ms)) if self._latencies_ms else 0.0, inference_ms=inference_ms,
            )

    def _record(self, image_rgb: np.ndarray, annotated: np.ndarray, poses: FramePoses, arrived_s: float) -> None:
        with self._lock:
            recording = self._recording
            if recording is None:
                return
            try:
                recording.append(annotated, poses, arrived_s - recording.start_s, image_rgb)
            except (OSError, av.error.FFmpegError) as error:
                self._recording = None
                self._stats = replace(self._stats, recording=False, error=f"Recording stopped: {error}")
                return
            self._stats = replace(self._stats, recorded_frames=recording.frames)

    def _fail(self, message: str) -> None:
        with self._lock:
            self._stats = replace(self._stats, error=message)
