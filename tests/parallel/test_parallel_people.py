"""Parallel tracking follows the same people as a serial run, also when people enter and leave.

The clip is built here from the shared clips (two people in tiles of one canvas, each shown only part
of the time) so that a segment tracked from a fresh start would pick the other person than the one a
serial run follows at its seam.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from poselab.media.decode import Frame
from poselab.parallel import workers as parallel
from poselab.parallel.analyze import analyze_clip
from poselab.parallel.seams import continues_previous, steered
from poselab.sequence import PoseSequence, VideoInfo
from poselab.settings import InferenceSettings
from tests.test_bad_input import write_clip

FPS = 20.0
SIZE = (640, 480)


def _frames(path: Path, width: int, height: int, count: int, step: int = 1) -> list[np.ndarray]:
    """``count`` frames of ``path`` scaled to width x height, looped back and forth (no jump at the loop)."""
    with av.open(str(path)) as container:
        decoded = [f.to_ndarray(width=width, height=height, format="rgb24")
                   for i, f in enumerate(container.decode(video=0)) if i % step == 0]
    cycle = decoded + decoded[-2:0:-1]
    return [cycle[i % len(cycle)] for i in range(count)]


def people_in_and_out_clip(test_data: Path, path: Path) -> Path:
    """8 s: person A (left) in view 1-7 s; person B (right) in view 0-2 s and from 3 s on.

    One worker follows B, then A from 2 s (B gone), then B again from 7 s (A gone). A fresh start
    at 3-7 s with both in view picks B (measured: the dancer scores higher): the seam test case.
    """
    count = int(8 * FPS)
    left = _frames(test_data / "videos" / "lab_single_portrait_60fps.mp4", 180, 320, count, step=3)
    right = _frames(test_data / "videos" / "dance_600x600.mp4", 300, 300, count)
    canvas = []
    for index in range(count):
        time_s = index / FPS
        image = np.full((SIZE[1], SIZE[0], 3), 40, np.uint8)
        if 1.0 <= time_s < 7.0:
            image[SIZE[1] - 320:, 40:220] = left[index]
        if not 2.0 <= time_s < 3.0:
            image[SIZE[1] - 300:, SIZE[0] - 320:SIZE[0] - 20] = right[index]
        canvas.append(image)
    return write_clip(path, canvas, fps=FPS)


def _centre_x(sequence: PoseSequence, slot: int) -> np.ndarray:
    """Mean landmark x of the person in ``slot`` per frame; NaN where nobody is."""
    xy = sequence.image_xy_px[:, slot, :, 0]
    count = np.isfinite(xy).sum(axis=1)
    return np.where(count > 0, np.nansum(xy, axis=1) / np.maximum(count, 1), np.nan)


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_follow_the_same_person_as_one_when_people_come_and_go(
        test_data: Path, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    monkeypatch.setattr(parallel, "HEAD_START", False)  # seams at fixed times, however busy the machine is
    clip = people_in_and_out_clip(test_data, tmp_path / "in_and_out.mp4")
    settings = InferenceSettings(model="lite", num_poses=1)
    serial = analyze_clip(clip, settings)
    split = analyze_clip(clip, settings, video_out=tmp_path / "split.mp4", workers=workers)
    assert split.meta["workers"] == workers
    assert np.array_equal(split.time_s, serial.time_s)
    serial_x, split_x = _centre_x(serial, 0), _centre_x(split, 0)
    assert np.nanmin(serial_x[60:130]) < SIZE[0] / 2 < np.nanmax(serial_x[:30])  # the clip does what it says
    same = (np.isnan(serial_x) & np.isnan(split_x)) | (np.abs(serial_x - split_x) < 0.1 * SIZE[0])
    assert (~same).sum() <= 5, f"another person than serial in frames {np.nonzero(~same)[0].tolist()}"
    assert len(list(av.open(str(tmp_path / "split.mp4")).decode(video=0))) == serial.num_frames


def _blob(times: np.ndarray, centres: list[tuple[float, float] | None]) -> PoseSequence:
    """Slot s: a 33-point person 100 px tall at centres[s] (None: nobody) in every frame."""
    xy = np.full((len(times), len(centres), 33, 2), np.nan, np.float32)
    for slot, centre in enumerate(centres):
        if centre is not None:
            xy[:, slot] = np.array(centre, np.float32) + np.linspace(-50, 50, 33, dtype=np.float32)[:, None]
    filled = np.where(np.isnan(xy[..., 0]), np.nan, 0.9).astype(np.float32)
    world = np.repeat(filled[..., None], 3, axis=-1)
    return PoseSequence(times, xy, filled.copy(), filled.copy(), filled.copy(), world,
                        VideoInfo(640, 480, 10.0, len(times), len(times) / 10))


def test_continues_previous_tells_another_person_from_the_same_one() -> None:
    times = np.round(np.arange(0, 1.5, 0.1), 6)
    previous = _blob(times, [(150, 300)])
    part_times = np.round(np.arange(1.0, 2.0, 0.1), 6)
    assert continues_previous(previous, _blob(part_times, [(153, 302)]), 1.5, [0])
    assert not continues_previous(previous, _blob(part_times, [(480, 300)]), 1.5, [0])
    assert not continues_previous(previous, _blob(part_times, [None]), 1.5, [0])
    assert continues_previous(_blob(times, [None]), _blob(part_times, [(480, 300)]), 1.5, [0])  # nobody to follow
    two = _blob(times, [(150, 300), (480, 300)])
    assert continues_previous(two, _blob(part_times, [(480, 300), (150, 300)]), 1.5, [1, 0])
    assert not continues_previous(two, _blob(part_times, [(480, 300), (320, 300)]), 1.5, [1, 0])


def test_steered_warm_up_shows_only_the_previous_segments_people() -> None:
    previous = _blob(np.round(np.arange(0, 1.5, 0.1), 6), [(150, 300)])
    frames = [Frame(i, round(1.0 + i / 10, 6), np.full((480, 640, 3), 200, np.uint8)) for i in range(10)]
    out = list(steered(iter(frames), previous, 1.5))
    warm, owned = out[2].image_rgb, out[7].image_rgb  # 1.2 s (warm-up) and 1.7 s (owned)
    assert warm[300, 150].tolist() == [200] * 3 and warm[300, 480].tolist() == [0] * 3
    assert warm[300, 150 + 130].tolist() == [0] * 3  # beyond the box and its margin
    assert (owned == 200).all() and out[7] is frames[7]
    assert frames[2].image_rgb[300, 480].tolist() == [200] * 3  # the decoded frame itself is untouched
