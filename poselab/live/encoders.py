"""The live stream's video encoders: each annotated frame is encoded and sent once, and VP8 costs less.

aiortc pulls one frame from the outgoing track per camera frame. streamlit-webrtc hands it the last annotated
frame again (the same ``av.VideoFrame`` object) until the processor has the next one ready, and aiortc encodes
every one of them: with the model at 18 of the camera's 30 fps, 4 encodes in 10 were repeats, each as dear as a
new frame (about 5 ms of CPU at 640x480 for VP8), and the browser decoded them all again. A repeat is sent as
nothing instead, which aiortc supports (an encoder may return no payloads); the browser keeps showing the frame,
as it did with the repeat. A keyframe asked for by the browser is always encoded.

aiortc has no setting for its encoders, so ``install`` puts these subclasses where aiortc looks them up
(``aiortc.codecs.get_encoder``). VP8 also runs without its denoiser (the annotated frames were already
decoded once, there is no sensor noise to remove) at libvpx's fastest real-time speed: about 12 % less CPU
per frame than aiortc's settings at the same bitrate (bench/live_browser_bench.py, issue 13).
"""

from __future__ import annotations

import multiprocessing

import av
from aiortc import codecs
from aiortc.codecs.base import Encoder
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder, number_of_threads
from av.frame import Frame

# aiortc's VP8 options (aiortc/codecs/vpx.py, 1.16) with the two cheaper ones; the rate control is unchanged.
VP8_OPTIONS = {
    "cpu-used": "-16",  # libvpx's fastest real-time speed (aiortc: -6)
    "deadline": "realtime",
    "lag-in-frames": "0",
    "noise-sensitivity": "0",  # no temporal denoiser (aiortc: 4)
    "overshoot-pct": "15",
    "partitions": "0",
    "static-thresh": "1",
    "undershoot-pct": "100",
}


class _SendsEachFrameOnce(Encoder):
    """Returns no payloads for the frame object it encoded last, unless a keyframe is wanted."""

    _last_frame: Frame | None = None

    def encode(self, frame: Frame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        if frame is self._last_frame and not force_keyframe:
            return [], 0
        self._last_frame = frame
        self._prepare(frame)
        return super().encode(frame, force_keyframe)

    def _prepare(self, frame: Frame) -> None:
        """Called before a frame is encoded."""


class LiveVp8Encoder(_SendsEachFrameOnce, Vp8Encoder):
    def _prepare(self, frame: Frame) -> None:
        if isinstance(frame, av.VideoFrame) and self._needs_codec(frame):
            # Made here with our options; aiortc's encode finds it matching the frame and the bitrate and keeps it.
            codec = av.CodecContext.create("libvpx", "w")
            codec.width, codec.height, codec.pix_fmt = frame.width, frame.height, "yuv420p"
            codec.bit_rate = self.target_bitrate
            codec.gop_size, codec.qmin, codec.qmax = 3000, 2, 56
            rate = str(self.target_bitrate)
            # bufsize, minrate = maxrate = bitrate: aiortc's constant bitrate, as it sets it.
            codec.options = VP8_OPTIONS | {"bufsize": rate, "minrate": rate, "maxrate": rate}
            codec.thread_count = number_of_threads(frame.width * frame.height, multiprocessing.cpu_count())
            self.codec = codec

    def _needs_codec(self, frame: av.VideoFrame) -> bool:
        codec = self.codec
        return codec is None or (frame.width, frame.height) != (codec.width, codec.height) \
            or abs(self.target_bitrate - codec.bit_rate) / codec.bit_rate > 0.1  # aiortc's rule for a new one


class LiveH264Encoder(_SendsEachFrameOnce, H264Encoder):
    pass


def install() -> None:
    """Every new connection of this process encodes with the classes above (idempotent)."""
    codecs.Vp8Encoder = LiveVp8Encoder
    codecs.H264Encoder = LiveH264Encoder
