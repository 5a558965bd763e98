"""Writing browser-playable H.264 MP4 (libx264, yuv420p, +faststart) with PyAV.

OpenCV's wheels cannot encode H.264 and ``mp4v`` does not play in browsers, hence PyAV here.
Presets: at 1080p ``medium`` alone costs ~400 MB and more CPU than inference. Measured per 1080x1920
frame on 2 cores (inference with the full model: ~15 ms): veryfast 21 ms, superfast 13 ms,
ultrafast 7 ms of CPU. Up to 720p ``veryfast`` keeps the analysis above 0.8x the bare model loop;
beyond it ``superfast`` trades ~2x the file size (about 4 Mbit/s at 1080p60) for speed.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import cv2
import numpy as np

from poselab.media.decode import fraction_rate

# Millisecond ticks keep the input's real (possibly variable) frame times.
_TIME_BASE = Fraction(1, 1000)
_HD_PIXELS = 1280 * 720


def preset_for(width: int, height: int) -> str:
    """The x264 preset for a frame size; ``POSELAB_X264_PRESET`` overrides it (benchmarks, slow servers)."""
    return os.environ.get("POSELAB_X264_PRESET") or ("veryfast" if width * height <= _HD_PIXELS else "superfast")


class H264Writer:
    """Append RGB frames with their times; ``close`` flushes and finalises the file.

    Odd sizes are padded by one pixel on the right or bottom because yuv420p needs even sides.
    Every frame goes through the same three buffers (padded RGB, I420, the encoder's input frame),
    allocated once: no per-frame 3-6 MB allocation (see ``framepool`` for why that matters).
    """

    def __init__(self, path: Path, width: int, height: int, fps: float, preset: str | None = None) -> None:
        self.path = path
        self._width = width + width % 2
        self._height = height + height % 2
        self._container = av.open(str(path), mode="w", options={"movflags": "+faststart"})
        stream = self._container.add_stream("libx264", rate=fraction_rate(fps))
        stream.width = self._width
        stream.height = self._height
        stream.pix_fmt = "yuv420p"
        stream.time_base = _TIME_BASE
        stream.codec_context.time_base = _TIME_BASE  # else the encoder rounds times to 1/fps
        stream.options = {"preset": preset or preset_for(width, height), "crf": "23"}
        self._stream = stream
        self._last_pts = -1
        self.frames_written = 0
        self._padded: np.ndarray | None = None
        self._yuv = np.empty((self._height * 3 // 2, self._width), np.uint8)
        # libx264 copies its input inside each encode call, so one frame can carry every picture.
        self._frame = av.VideoFrame(self._width, self._height, "yuv420p")
        self._planes = [_plane_view(plane) for plane in self._frame.planes]

    def write(self, image_rgb: np.ndarray, time_s: float) -> None:
        image_rgb = self._pad_even(image_rgb)
        # OpenCV's RGB -> I420 is ~6x cheaper than PyAV's rgb24 path through swscale (same BT.601 colours):
        # at 1080p that is most of the annotated video's cost beside inference.
        cv2.cvtColor(np.ascontiguousarray(image_rgb), cv2.COLOR_RGB2YUV_I420, dst=self._yuv)
        # I420: the luma plane, then each chroma plane as (height / 2) x (width / 2) bytes back to back.
        flat = self._yuv.reshape(-1)
        luma, chroma = self._height * self._width, self._height * self._width // 4
        self._planes[0][:] = flat[:luma].reshape(self._height, self._width)
        for index, start in ((1, luma), (2, luma + chroma)):
            self._planes[index][:] = flat[start:start + chroma].reshape(self._height // 2, self._width // 2)
        frame = self._frame
        pts = max(round(time_s * 1000), self._last_pts + 1)
        frame.pts = pts
        frame.time_base = _TIME_BASE
        self._last_pts = pts
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        if self._container is None:
            return
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        finally:
            self._container.close()
            self._container = None

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _pad_even(self, image_rgb: np.ndarray) -> np.ndarray:
        height, width = image_rgb.shape[:2]
        if (height, width) == (self._height, self._width):
            return image_rgb
        if self._padded is None:
            self._padded = np.zeros((self._height, self._width, 3), dtype=np.uint8)
        self._padded[:height, :width] = image_rgb
        return self._padded


def _plane_view(plane: av.video.plane.VideoPlane) -> np.ndarray:
    """A writable (height, width) view of a frame plane, without its row padding."""
    rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]


def i420_frame(image_rgb: np.ndarray) -> av.VideoFrame:
    """A new yuv420p frame of an RGB image, converted by OpenCV (as in ``H264Writer``, ~10x cheaper than PyAV's
    rgb24 path: 0.3 against 4 ms at 640x480); odd sizes, which I420 cannot hold, through PyAV."""
    height, width = image_rgb.shape[:2]
    if height % 2 or width % 2:
        return av.VideoFrame.from_ndarray(image_rgb, format="rgb24").reformat(format="yuv420p")
    yuv = cv2.cvtColor(np.ascontiguousarray(image_rgb), cv2.COLOR_RGB2YUV_I420)
    return av.VideoFrame.from_ndarray(yuv, format="yuv420p")
