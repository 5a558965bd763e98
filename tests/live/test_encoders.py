"""The live stream's encoders (issue 13): a repeated frame is not encoded again, a keyframe always is, and the
cheaper VP8 settings still make a stream the decoder reads back."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
from aiortc import codecs
from aiortc.codecs.vpx import Vp8Decoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from poselab.live import encoders
from poselab.media.encode import i420_frame


def _frames(count: int) -> list[av.VideoFrame]:
    frames = []
    for index in range(count):
        image = np.zeros((240, 320, 3), np.uint8)
        image[:, :, 0] = 40
        image[60:180, 20 + 10 * index:120 + 10 * index] = (250, 200, 30)  # a block moving right
        frame = i420_frame(image)
        frame.pts, frame.time_base = index * 3000, Fraction(1, 90000)
        frames.append(frame)
    return frames


def _vp8_frame(payloads: list[bytes]) -> bytes:
    """The VP8 frame in aiortc's packets (each payload starts with its descriptor)."""
    from aiortc.codecs.vpx import VpxPayloadDescriptor

    return b"".join(VpxPayloadDescriptor.parse(p)[1] for p in payloads)


def test_install_makes_aiortc_use_the_live_encoders() -> None:
    encoders.install()
    vp8 = codecs.get_encoder(RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96))
    h264 = codecs.get_encoder(RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=97))
    assert isinstance(vp8, encoders.LiveVp8Encoder) and isinstance(h264, encoders.LiveH264Encoder)


def test_a_repeated_frame_is_sent_as_nothing_and_a_keyframe_always_goes() -> None:
    encoder = encoders.LiveVp8Encoder()
    first, second = _frames(2)
    assert encoder.encode(first)[0]
    assert encoder.encode(first) == ([], 0)  # the same frame object again: the browser still shows it
    assert encoder.encode(first, force_keyframe=True)[0]  # the browser asked for a full picture
    assert encoder.encode(second)[0]
    assert encoder.encode(second)[0] == []


def test_the_cheaper_vp8_stream_decodes_to_the_frames_sent() -> None:
    encoder, decoder = encoders.LiveVp8Encoder(), Vp8Decoder()
    frames = _frames(8)
    for frame in frames:
        payloads, timestamp = encoder.encode(frame)
        decoded = decoder.decode(JitterFrame(data=_vp8_frame(payloads), timestamp=timestamp))
        assert len(decoded) == 1
        sent, got = frame.to_ndarray(format="rgb24").astype(int), decoded[0].to_ndarray(format="rgb24")
        assert got.shape == sent.shape
        assert np.abs(sent - got).mean() < 6  # lossy, but the picture: the moving block where it was


def test_i420_frames_keep_the_colours_of_the_rgb_image() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (31, 41, 3), dtype=np.uint8)
    image = np.ascontiguousarray(np.repeat(np.repeat(image, 8, 0), 8, 1)[:240, :320])  # flat 8x8 blocks
    frame = i420_frame(image)
    assert frame.format.name == "yuv420p" and (frame.width, frame.height) == (320, 240)
    ours = frame.to_ndarray(format="rgb24").astype(int)
    assert np.abs(ours - image).mean() < 3  # the colour matrix decoders read it with (BT.601, video range)


def test_odd_sizes_still_make_a_frame() -> None:
    frame = i420_frame(np.full((241, 319, 3), 128, np.uint8))
    assert frame.format.name == "yuv420p" and (frame.width, frame.height) == (319, 241)
