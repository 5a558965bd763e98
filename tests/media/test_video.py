"""Decoding: contiguous upright RGB frames, stream timestamps, rotation, images, limits, refusals."""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from poselab.errors import InputError
from poselab.media.decode import Limits, iter_frames, probe, read_frame_at, sniff_kind
from tests.conftest import write_test_clip


def test_frames_are_contiguous_rgb_in_order_with_times(tmp_path: Path) -> None:
    clip = write_test_clip(tmp_path / "c.mp4", frames=8, size=(600, 40), fps=20)  # 600 px rows get padded
    frames = list(iter_frames(clip))
    assert [f.index for f in frames] == list(range(8))
    assert [round(f.time_s, 3) for f in frames] == [i / 20 for i in range(8)]
    for frame in frames:
        assert frame.image_rgb.shape == (40, 600, 3) and frame.image_rgb.dtype == np.uint8
        assert frame.image_rgb.flags["C_CONTIGUOUS"]
    grey = [int(np.median(f.image_rgb)) for f in frames]
    assert grey == sorted(grey) and grey[-1] - grey[0] > 100


def test_probe_reads_size_rate_and_length(tmp_path: Path) -> None:
    info = probe(write_test_clip(tmp_path / "c.mp4", frames=25, size=(64, 48), fps=25))
    assert (info.width, info.height, info.fps, info.frame_count) == (64, 48, 25.0, 25)
    assert info.duration_s == pytest.approx(1.0, abs=0.05)
    assert not info.is_image


def test_variable_frame_rate_keeps_real_times(tmp_path: Path) -> None:
    path = tmp_path / "vfr.mp4"
    times_s = [0.0, 0.1, 0.15, 0.5, 0.55, 1.2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        for t in times_s:
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts, frame.time_base = round(t * 1000), Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    assert [round(f.time_s, 3) for f in iter_frames(path)] == times_s


def _rotate_tkhd(path: Path) -> None:
    """Patch the track header's matrix to a 90 degree turn, as a phone held upright writes it."""
    data = bytearray(path.read_bytes())
    at = data.index(b"tkhd") + 4
    version = data[at]
    matrix_at = at + 4 + (32 if version == 1 else 20) + 16
    struct.pack_into(">9i", data, matrix_at, 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    path.write_bytes(bytes(data))


def test_rotation_metadata_makes_frames_upright(tmp_path: Path) -> None:
    path = tmp_path / "phone.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        image = np.zeros((48, 64, 3), np.uint8)
        image[:16, :16] = 255  # a white square in the stored top-left corner
        for _ in range(3):
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    _rotate_tkhd(path)
    info = probe(path)
    assert (info.width, info.height, abs(info.rotation_deg)) == (48, 64, 90)
    upright = next(iter_frames(path)).image_rgb
    assert upright.shape == (64, 48, 3)
    # Turned a quarter clockwise for display, the stored top-left corner ends up top-right.
    assert upright[:12, -12:].mean() > 200 and upright[:12, :12].mean() < 50


def test_images_are_one_frame_upright_by_exif(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    image = Image.new("RGB", (40, 20), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to view", as phones write it
    image.save(path, exif=exif)
    frames = list(iter_frames(path))
    assert len(frames) == 1 and frames[0].image_rgb.shape == (40, 20, 3)
    info = probe(path)
    assert info.is_image and (info.width, info.height, info.frame_count) == (20, 40, 1)


def test_read_frame_at_returns_the_frame_shown_then(tmp_path: Path) -> None:
    clip = write_test_clip(tmp_path / "c.mp4", frames=20, fps=10)
    frames = list(iter_frames(clip))
    for index in (0, 7, 19):
        assert np.array_equal(read_frame_at(clip, frames[index].time_s), frames[index].image_rgb)


@pytest.mark.parametrize(("limits", "phrase"), [
    (Limits(max_side_px=32), "limit is 32 px"),
    (Limits(max_duration_s=0.5), "limit is 0 s"),
    (Limits(max_frames=5), "limit is 5"),
])
def test_limits_are_named_in_the_refusal(tmp_path: Path, limits: Limits, phrase: str) -> None:
    clip = write_test_clip(tmp_path / "c.mp4", frames=10, fps=10)
    with pytest.raises(InputError, match=phrase):
        probe(clip, limits)


def test_only_supported_containers_are_opened(tmp_path: Path) -> None:
    playlist = tmp_path / "p.mp4"
    playlist.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nhttp://127.0.0.1:9/x.ts\n")
    with pytest.raises(InputError, match="not a supported video"):
        sniff_kind(playlist)
    png = tmp_path / "still.mp4"
    Image.new("RGB", (32, 32)).save(png, format="PNG")
    assert sniff_kind(png) == "image"


def test_audio_only_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "voice.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 16000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    with pytest.raises(InputError, match="no video track"):
        probe(path)


def test_read_frame_at_on_a_damaged_clip_is_a_clear_error(tmp_path: Path) -> None:
    clip = write_test_clip(tmp_path / "c.mp4", frames=20, fps=10)
    data = bytearray(clip.read_bytes())
    start = data.index(b"mdat") + 8
    data[start:start + 2000] = bytes(len(data[start:start + 2000]))  # wipe the first frames' bytes
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    try:
        frame = read_frame_at(damaged, 0.0)
    except InputError as error:
        assert "damaged.mp4" in str(error)
    else:
        assert frame.shape == (48, 64, 3)  # FFmpeg concealed the damage: a frame, never a raw FFmpeg error
