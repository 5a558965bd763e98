"""The frame pool's contract (issue 13): buffers reused only once given back, frames correct and in order."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from poselab.engine.pipeline import OverlayWriter
from poselab.media.decode import iter_frames, probe
from poselab.media.encode import H264Writer
from poselab.media.framepool import FramePool, FramePoolExhaustedError
from poselab.parallel.videoparts import frames_between
from poselab.skeleton import NUM_LANDMARKS
from tests.test_bad_input import write_clip

LEVELS = [8 + 6 * k for k in range(40)]  # one flat grey level per frame: order and identity survive H.264
SHAPE = (720, 1280, 3)
NOTHING_TO_DRAW = np.full((1, NUM_LANDMARKS, 8), np.nan, np.float32)
# Tinting by an empty mask changes no pixel but costs the drawing thread a float pass over the frame:
# the decoder (flat frames decode fast) then runs well ahead of the writer, as a reused buffer needs.
EMPTY_MASK = np.zeros(SHAPE[:2], np.float32)


@pytest.fixture(scope="module")
def levels_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frames = [np.full(SHAPE, level, np.uint8) for level in LEVELS]
    return write_clip(tmp_path_factory.mktemp("pool") / "levels.mp4", frames, fps=20.0)


def _levels(path: Path, height: int = SHAPE[0], width: int = SHAPE[1]) -> list[float]:
    return [float(frame.image_rgb[:height, :width].mean()) for frame in iter_frames(path)]


def test_a_buffer_is_handed_out_again_only_once_given_back() -> None:
    pool = FramePool((4, 6, 3), 3, timeout_s=0.05)
    taken = [pool.acquire() for _ in range(3)]
    assert len({id(buffer) for buffer in taken}) == 3
    assert all(buffer.flags.c_contiguous and buffer.shape == (4, 6, 3) for buffer in taken)
    with pytest.raises(FramePoolExhaustedError, match="all 3 frame buffers"):
        pool.acquire()
    pool.release(taken[1])
    assert pool.acquire() is taken[1]
    assert pool.free == 0


def test_giving_back_twice_or_a_foreign_array_is_refused() -> None:
    pool = FramePool((4, 6, 3), 2)
    buffer = pool.acquire()
    pool.release(buffer)
    with pytest.raises(ValueError, match="twice"):
        pool.release(buffer)
    with pytest.raises(ValueError, match="does not belong"):
        pool.release(np.zeros((4, 6, 3), np.uint8))
    assert pool.free == 2


def test_acquire_waits_for_a_buffer_given_back_on_another_thread() -> None:
    pool = FramePool((2, 2, 3), 1)
    buffer = pool.acquire()
    giver = threading.Timer(0.05, pool.release, args=(buffer,))
    giver.start()
    assert pool.acquire(timeout_s=30) is buffer  # back-pressure, not an error
    giver.join()


def test_a_decoder_whose_frames_are_never_given_back_stops_with_a_clear_error(levels_clip: Path) -> None:
    frames = iter_frames(levels_clip, pool=FramePool(SHAPE, 2, timeout_s=0.05))
    next(frames), next(frames)
    with pytest.raises(FramePoolExhaustedError):
        next(frames)


def test_decoding_into_the_pool_gives_the_same_pixels(levels_clip: Path, test_data: Path) -> None:
    for clip in (levels_clip, test_data / "videos" / "lab_single_portrait_60fps.mp4"):
        info = probe(clip)
        pool = FramePool((info.height, info.width, 3), 2)
        for plain, pooled in zip(iter_frames(clip), iter_frames(clip, pool=pool), strict=True):
            assert pooled.pool is pool and pool.owns(pooled.image_rgb)
            assert pooled.image_rgb.flags.c_contiguous  # mp.Image needs it (PyAV pads 1080 * 3 bytes rows)
            np.testing.assert_array_equal(pooled.image_rgb, plain.image_rgb)
            pooled.release()


def test_pooled_frames_queued_for_drawing_come_out_correct_and_in_order(levels_clip: Path, tmp_path: Path) -> None:
    """The decoder runs far ahead of x264 here: had a queued buffer been reused, a later grey level would show."""
    pool = FramePool(SHAPE, 2)  # fewer than the writer's queue: the decoder must wait for given-back buffers
    with OverlayWriter(tmp_path / "out.mp4", probe(levels_clip)) as writer:
        for frame in iter_frames(levels_clip, pool=pool):
            writer.put(frame, NOTHING_TO_DRAW, EMPTY_MASK)
    assert pool.free == pool.count
    np.testing.assert_allclose(_levels(tmp_path / "out.mp4"), LEVELS, atol=2.5)


def test_segments_decoded_into_the_pool_come_out_correct_and_in_order(levels_clip: Path, tmp_path: Path) -> None:
    pool = FramePool(SHAPE, 2)
    with OverlayWriter(tmp_path / "part.mp4", probe(levels_clip)) as writer:
        for frame in frames_between(levels_clip, 0.5, 1.5, pool):
            frame.image_rgb  # noqa: B018 - converted into the pool on this thread, as render_segment does
            writer.put(frame, NOTHING_TO_DRAW, EMPTY_MASK)
    assert pool.free == pool.count
    np.testing.assert_allclose(_levels(tmp_path / "part.mp4"), LEVELS[10:30], atol=2.5)


def test_the_encoder_reuses_its_buffers_without_mixing_up_frames(tmp_path: Path) -> None:
    # odd sides: the padded buffer is reused too; 46 rows: chroma planes that do not fill whole I420 rows
    with H264Writer(tmp_path / "odd.mp4", 63, 45, 20.0) as writer:
        for index, level in enumerate(LEVELS):
            image_rgb = np.full((45, 63, 3), level, np.uint8)
            image_rgb[:, :8] = (255, 0, 0)  # a red band: chroma planes in their right places
            writer.write(image_rgb, index / 20)
    frames = [frame.image_rgb for frame in iter_frames(tmp_path / "odd.mp4")]
    np.testing.assert_allclose([frame[:45, 12:63].mean() for frame in frames], LEVELS, atol=2.5)  # not the padding
    for frame in frames:
        np.testing.assert_allclose(frame[4:40, 1:6].reshape(-1, 3).mean(axis=0), (255, 0, 0), atol=12)
