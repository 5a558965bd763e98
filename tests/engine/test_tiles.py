"""The find-people mode's geometry without a model: tiles, mapping back to the frame, merging candidates."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from poselab.engine import tiles
from poselab.engine.landmarker import FramePoses
from poselab.skeleton import LANDMARK_NAMES, NUM_LANDMARKS

# A standing person as shares of their height: (x from the body's centre line, y from the top of the head).
_HEIGHTS = {"nose": 0.05, "eye": 0.04, "ear": 0.05, "mouth": 0.08, "shoulder": 0.18, "elbow": 0.35,
            "wrist": 0.48, "pinky": 0.52, "index": 0.52, "thumb": 0.51, "hip": 0.52, "knee": 0.74,
            "ankle": 0.95, "heel": 0.97, "foot": 0.99}
_WIDTHS = {"nose": 0.0, "eye": 0.03, "ear": 0.06, "mouth": 0.02, "shoulder": 0.12, "elbow": 0.16,
           "wrist": 0.18, "pinky": 0.19, "index": 0.19, "thumb": 0.17, "hip": 0.08, "knee": 0.08,
           "ankle": 0.08, "heel": 0.08, "foot": 0.1}


def standing(centre_x: float, top_y: float, height: float) -> np.ndarray:
    """(33, 2) pixels of a standing person (left side on the image's right, as seen from the front)."""
    xy = np.zeros((NUM_LANDMARKS, 2), np.float32)
    for index, name in enumerate(LANDMARK_NAMES):
        part = next(key for key in _HEIGHTS if key in name)
        side = 1 if name.startswith("left") else -1 if name.startswith("right") else 0
        xy[index] = (centre_x + side * _WIDTHS[part] * height, top_y + _HEIGHTS[part] * height)
    return xy


def candidate(xy: np.ndarray, window: tiles.Window, rank: int = 2, frame: tuple[int, int] = (1920, 1080),
              source: int = 0) -> tiles.Candidate:
    ones = np.ones(NUM_LANDMARKS, np.float32)
    return tiles.Candidate(xy, ones, ones, tiles.inside(xy, window, *frame), rank, source)


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920), (600, 600), (641, 359)])
@pytest.mark.parametrize("grid", [2, 3])
def test_tiles_cover_the_frame_with_the_overlap(size: tuple[int, int], grid: int) -> None:
    width, height = size
    windows = tiles.tile_windows(width, height, grid)
    covered = np.zeros((height, width), bool)
    for window in windows:
        assert 0 <= window.x0 < window.x1 <= width and 0 <= window.y0 < window.y1 <= height
        assert abs(window.width - window.height) <= 1  # square: MediaPipe's detector input is square
        covered[window.y0:window.y1, window.x0:window.x1] = True
    assert covered.all()
    side = windows[0].width
    xs = sorted({w.x0 for w in windows})
    assert len({w.y0 for w in windows}) == grid if height <= width else len(xs) == grid
    overlaps = [side - (b - a) for a, b in itertools.pairwise(xs)]
    assert all(o >= tiles.TILE_OVERLAP * side - 1 for o in overlaps)
    assert side < min(size)  # a tile is smaller than the frame: people are larger in it


def test_poses_on_a_crop_map_back_to_frame_pixels_exactly() -> None:
    window = tiles.Window(300, 200, 700, 600)  # 400 px square, frame 1600 wide
    crop_xy = np.zeros((1, NUM_LANDMARKS, 2), np.float32)
    crop_xy[0, 0], crop_xy[0, 1] = (10.5, 20.25), (399.0, 0.0)
    z = np.full((1, NUM_LANDMARKS), 0.5, np.float32)
    world = np.arange(NUM_LANDMARKS * 3, dtype=np.float32).reshape(1, NUM_LANDMARKS, 3)
    found = FramePoses(crop_xy, z, z * 1.5, z * 1.8, world)
    mapped = tiles.to_frame(found, window, frame_width=1600)
    np.testing.assert_array_equal(mapped.image_xy_px[0, 0], [310.5, 220.25])
    np.testing.assert_array_equal(mapped.image_xy_px[0, 1], [699.0, 200.0])
    np.testing.assert_array_equal(mapped.image_z, z * 0.25)  # z has x's scale: crop width / frame width
    np.testing.assert_array_equal(mapped.world_xyz_m, world)  # metres do not depend on the crop
    np.testing.assert_array_equal(mapped.visibility, found.visibility)


def test_a_crop_is_the_window_and_c_contiguous() -> None:
    image = np.arange(60 * 80 * 3, dtype=np.uint8).reshape(60, 80, 3)
    crop = tiles.Window(10, 5, 50, 45).crop(image)
    assert crop.flags.c_contiguous and crop.shape == (40, 40, 3)
    np.testing.assert_array_equal(crop, image[5:45, 10:50])


def test_the_same_person_in_two_overlapping_tiles_is_kept_once() -> None:
    left, right = tiles.Window(0, 0, 600, 600), tiles.Window(440, 0, 1040, 600)
    person = standing(520, 100, 300)  # wholly inside the overlap of both
    noisy = person + np.random.default_rng(1).normal(0, 3, person.shape).astype(np.float32)
    kept = tiles.merge([candidate(person, left, source=0), candidate(noisy, right, source=1)], limit=6)
    assert len(kept) == 1


def test_a_person_split_across_two_tiles_becomes_one() -> None:
    # Arms spread across the seam: each tile sees one side whole and guesses the other beyond its edge.
    left, right = tiles.Window(0, 0, 600, 600), tiles.Window(480, 0, 1080, 600)
    person = standing(545, 100, 400)
    seen_left, seen_right = person.copy(), person.copy()
    seen_left[person[:, 0] > 588] += (25, -15)  # MediaPipe's guesses past the edge are off
    seen_right[person[:, 0] < 492] += (-30, 20)
    a, b = candidate(seen_left, left, source=0), candidate(seen_right, right, source=1)
    assert 0.6 <= a.completeness < 1 and 0.6 <= b.completeness < 1  # both cut, neither dropped as a part
    kept = tiles.merge([a, b], limit=6)
    assert len(kept) == 1


def test_two_people_side_by_side_50_cm_apart_stay_two() -> None:
    window = tiles.Window(0, 0, 1920, 1080)
    height = 500  # 1.7 m: 50 cm between their centres is 0.29 heights
    first, second = standing(800, 100, height), standing(800 + 0.29 * height, 110, height)
    kept = tiles.merge([candidate(first, window, 0), candidate(second, window, 2, source=1)], limit=6)
    assert len(kept) == 2


def test_a_tile_cut_part_of_a_big_person_is_not_a_person() -> None:
    # A tile holding only a big person's legs: MediaPipe sees a small whole "person" there.
    whole = standing(900, 100, 800)
    legs = standing(900, 520, 380)
    tile = tiles.Window(600, 500, 1200, 1080)
    kept = tiles.merge([candidate(whole, tiles.whole(1920, 1080), 0), candidate(legs, tile, 2, source=1)], 6)
    assert [c.source for c in kept] == [0]


def test_the_whole_frame_wins_over_a_tile_and_the_limit_holds() -> None:
    frame = tiles.whole(1920, 1080)
    tile = tiles.Window(0, 0, 600, 600)
    person = standing(300, 100, 300)
    main = candidate(person, frame, rank=0, source=7)
    others = [candidate(standing(1000 + 200 * k, 300, 300), frame, rank=2, source=k) for k in range(4)]
    kept = tiles.merge([candidate(person + 2, tile, source=9), *others, main], limit=3)
    assert kept[0].source == 7 and len(kept) == 3
    assert 9 not in [c.source for c in kept]


def test_a_search_find_cut_off_by_its_tile_is_dropped() -> None:
    tile = tiles.Window(0, 0, 600, 600)
    person = standing(560, 300, 500)  # mostly below and right of the tile
    assert candidate(person, tile).completeness < tiles.MIN_COMPLETENESS
    assert tiles.merge([candidate(person, tile)], limit=6) == []


def test_take_and_concat_keep_people_in_order() -> None:
    xy = np.stack([standing(100 * k + 100, 50, 200) for k in range(3)])
    ones = np.ones((3, NUM_LANDMARKS), np.float32)
    poses = FramePoses(xy, ones * 0, ones, ones, np.zeros((3, NUM_LANDMARKS, 3), np.float32))
    joined = tiles.concat([tiles.take(poses, [2]), tiles.take(poses, [0])])
    np.testing.assert_array_equal(joined.image_xy_px, xy[[2, 0]])
    assert tiles.concat([]).count == 0


def test_masked_fills_boxes_with_the_mean_colour() -> None:
    image = np.zeros((100, 100, 3), np.uint8)
    image[:, 50:] = 200
    out = tiles.masked(image, [(10.0, 10.0, 30.0, 30.0)], pad=0.0)
    assert out.flags.c_contiguous
    assert (out[10:31, 10:31] == 100).all() and (out[40:, :50] == 0).all() and (image[10:31, 10:31] == 0).all()
