"""H.264 writing: browser-playable settings, real frame times, odd sizes padded."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from poselab.media.encode import H264Writer, preset_for


def _read(path: Path) -> tuple[av.VideoStream, list[float], list[np.ndarray]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        return stream, [round(f.time, 3) for f in frames], [f.to_ndarray(format="rgb24") for f in frames]


def test_writes_h264_yuv420p_with_the_given_times(tmp_path: Path) -> None:
    path = tmp_path / "o.mp4"
    times_s = [0.0, 0.04, 0.08, 0.2, 0.24]
    with H264Writer(path, 64, 48, fps=25) as writer:
        for index, t in enumerate(times_s):
            writer.write(np.full((48, 64, 3), 40 * index, np.uint8), t)
    stream, read_times, images = _read(path)
    assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
    assert read_times == times_s
    assert [round(float(img.mean()) / 40) for img in images] == [0, 1, 2, 3, 4]


def test_moov_comes_first_for_streaming(tmp_path: Path) -> None:
    path = tmp_path / "o.mp4"
    with H264Writer(path, 32, 32, fps=10) as writer:
        for index in range(3):
            writer.write(np.zeros((32, 32, 3), np.uint8), index / 10)
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")


def test_odd_sizes_are_padded_to_even(tmp_path: Path) -> None:
    path = tmp_path / "odd.mp4"
    with H264Writer(path, 33, 21, fps=10) as writer:
        writer.write(np.full((21, 33, 3), 200, np.uint8), 0.0)
    stream, _, images = _read(path)
    assert (stream.width, stream.height) == (34, 22)
    assert images[0][:21, :33].mean() > 180


def test_repeated_times_still_increase(tmp_path: Path) -> None:
    path = tmp_path / "o.mp4"
    with H264Writer(path, 32, 32, fps=10) as writer:
        for _ in range(3):
            writer.write(np.zeros((32, 32, 3), np.uint8), 0.0)
    _, read_times, _ = _read(path)
    assert len(read_times) == 3 and read_times == sorted(set(read_times))


def test_preset_is_faster_above_720p_and_can_be_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSELAB_X264_PRESET", raising=False)
    assert preset_for(1280, 720) == "veryfast"
    assert preset_for(1080, 1920) in {"superfast", "ultrafast"}  # x264 would cost more than inference
    monkeypatch.setenv("POSELAB_X264_PRESET", "medium")
    assert preset_for(640, 480) == "medium"
