"""The find-people mode with the real models: small people found, one slot per person, exact mapping."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from poselab.engine import tiles
from poselab.engine.landmarker import PoseDetector
from poselab.engine.people import PeopleFinder, open_detector
from poselab.media.decode import iter_frames
from poselab.media.encode import H264Writer
from poselab.parallel.analyze import analyze_clip
from poselab.settings import InferenceSettings

LITE = InferenceSettings(model="lite", num_poses=4)
TILES = InferenceSettings(model="lite", num_poses=4, find_people="tiles")


@pytest.fixture(scope="module")
def pose_image(test_data: Path) -> np.ndarray:
    return next(iter_frames(test_data / "mediapipe" / "pose.jpg")).image_rgb


def _small_people(pose_image: np.ndarray, places: list[tuple[int, int]], scale: float = 0.3,
                  frame: tuple[int, int] = (1920, 1080)) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A grey frame with pose.jpg shrunk to ``scale`` at each top-left ``place``."""
    canvas = np.full((frame[1], frame[0], 3), 110, np.uint8)
    size = (round(pose_image.shape[1] * scale), round(pose_image.shape[0] * scale))
    small = cv2.resize(pose_image, size, interpolation=cv2.INTER_AREA)
    for x, y in places:
        canvas[y:y + size[1], x:x + size[0]] = small
    return canvas, places


def test_mapping_back_from_a_tile_is_exact_with_the_real_model(pose_image: np.ndarray, model_dir: Path) -> None:
    # The window's crop is pose.jpg pixel for pixel: the landmarks are the photo's own, moved by the offset.
    height, width = pose_image.shape[:2]
    frame = np.zeros((height + 300, width + 500, 3), np.uint8)
    frame[300:, 500:] = pose_image
    window = tiles.Window(500, 300, 500 + width, 300 + height)
    with PoseDetector(LITE, video=False) as detector:
        alone = detector.detect(pose_image)
        mapped = tiles.to_frame(detector.detect(window.crop(frame)), window, frame.shape[1])
    assert alone.count == mapped.count == 1
    np.testing.assert_allclose(mapped.image_xy_px, alone.image_xy_px + np.float32([500, 300]), atol=1e-3)
    np.testing.assert_array_equal(mapped.world_xyz_m, alone.world_xyz_m)


def test_small_people_the_whole_frame_misses_are_found(pose_image: np.ndarray, model_dir: Path) -> None:
    places = [(100, 100), (900, 450), (1500, 750)]
    frame, _ = _small_people(pose_image, places)
    with PoseDetector(LITE, video=False) as detector:
        off = detector.detect(frame)
    with PeopleFinder(TILES, video=False) as finder:
        on = finder.detect(frame)
        stats = finder.stats
    with PoseDetector(LITE, video=False) as detector:  # the truth: the photo at full size, shrunk like it
        truth = detector.detect(pose_image).image_xy_px[0] * 0.3
    assert off.count < on.count == len(places)
    for x, y in places:
        expected = truth + np.float32([x, y])
        errors = [np.median(np.linalg.norm(on.image_xy_px[i] - expected, axis=1)) for i in range(on.count)]
        assert min(errors) < 0.1 * np.ptp(expected[:, 1]), f"nobody found at {x}, {y}"
    assert stats.extra_people == on.count - off.count and stats.searches == 1


def test_a_person_found_in_two_overlapping_tiles_is_one_person(pose_image: np.ndarray, model_dir: Path) -> None:
    frame, _ = _small_people(pose_image, [(370, 400)])  # in the overlap of the first two tiles (440..600)
    with PeopleFinder(TILES, video=False) as finder:
        found = finder.detect(frame)
        assert finder.stats.search_finds >= 2  # both tiles saw them
    assert found.count == 1


def test_a_clip_in_tiles_mode_keeps_its_people_and_finds_the_one_in_the_back(test_data: Path,
                                                                           model_dir: Path) -> None:
    # Beside the two people in front, a woman stands small at the back on the left (x < 200 px of 1088):
    # the whole frame never finds her; the mode finds her and follows her between searches.
    clip = test_data / "videos" / "lab_two_people_portrait_60fps.mp4"
    settings = InferenceSettings(model="lite", num_poses=3, find_people="tiles", find_every_frames=15)
    plain = analyze_clip(clip, InferenceSettings(model="lite", num_poses=3))
    found = analyze_clip(clip, settings, workers=2)  # the mode runs in one process whatever the workers
    x_px = {name: s.image_xy_px[..., 0].mean(axis=2) for name, s in (("plain", plain), ("found", found))}
    in_front = {name: np.sum(x > 200, axis=1) for name, x in x_px.items()}
    at_back = {name: np.sum(x < 200, axis=1) for name, x in x_px.items()}
    assert in_front["found"].sum() >= in_front["plain"].sum() and in_front["found"].max() <= 2
    assert at_back["plain"].sum() == 0 and at_back["found"].sum() >= 0.5 * found.num_frames
    assert at_back["found"].max() == 1 and found.people_seen() == 3  # one slot for her, no made-up people
    meta = found.meta["find_people"]
    assert meta["mode"] == "tiles" and meta["every_frames"] == 15
    assert meta["searches"] == -(-found.num_frames // 15) and meta["extra_ms_per_frame"] > 0
    assert meta["extra_person_frames"] >= at_back["found"].sum()
    assert "find_people" not in plain.meta


def test_people_walking_in_a_video_keep_their_slots(pose_image: np.ndarray, model_dir: Path, tmp_path: Path) -> None:
    # Three small people walk right; searches every 5 frames, followed between them: each slot stays one person.
    starts = [(100, 100), (800, 450), (1300, 750)]
    frames = [_small_people(pose_image, [(x + 6 * i, y) for x, y in starts], frame=(1920, 1080))[0]
              for i in range(20)]
    clip = tmp_path / "walk.mp4"
    writer = H264Writer(clip, 1920, 1080, 20.0)
    for index, frame in enumerate(frames):
        writer.write(frame, index / 20)
    writer.close()
    settings = InferenceSettings(model="lite", num_poses=4, find_people="tiles", find_every_frames=5)
    found = analyze_clip(clip, settings)
    centres = found.image_xy_px.mean(axis=2)  # (frames, slots, 2); NaN where a slot is empty
    held = ~np.isnan(centres[..., 0])
    assert held.sum(axis=1).min() >= 3 - 1 and held.sum() >= 0.9 * 3 * len(frames)
    steps = np.linalg.norm(np.diff(centres, axis=0), axis=2)
    assert np.nanmax(steps) < 40  # a slot never jumps to another person (they are 350+ px apart)


def test_open_detector_follows_the_setting(model_dir: Path) -> None:
    with open_detector(LITE) as plain, open_detector(TILES) as finder:
        assert isinstance(plain, PoseDetector) and isinstance(finder, PeopleFinder)
