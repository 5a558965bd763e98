"""Pure geometry of the "find more people" mode: tiles, crops, mapping back, and merging candidates.

MediaPipe's person detector sees the whole frame shrunk to a small square, so a person a tenth of the
frame tall is a few pixels to it. Run on a tile, the same person is several times larger. Everything
here is numpy on ``FramePoses`` (no model): ``engine/people.py`` runs the models.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from poselab.engine.landmarker import FramePoses

TILE_OVERLAP = 0.2  # a person up to a fifth of a tile wide lies whole in at least one tile
# Landmarks at least this much (share of the window side) inside a window's edge are "in" it; an edge
# on the frame's own border never cuts anyone off (the whole-frame pass has the same border).
EDGE_MARGIN = 0.02
RELIABLE_VISIBILITY = 0.3
# Two candidates are one person when their shared reliable landmarks lie, in the median, closer than this
# share of the person's height: two people side by side at 50 cm are about 0.3 heights apart.
SAME_PERSON_SHARE = 0.15
MIN_SHARED_LANDMARKS = 4
SAME_BOX_OVERLAP = 0.6  # without enough shared landmarks: share of the smaller box inside the other
# A search candidate with less of its body inside its tile is a cut-off part of someone another tile
# (or the whole frame) sees whole: it is not a person of its own.
MIN_COMPLETENESS = 0.6
# A tile that cuts through a big person makes MediaPipe see a whole small "person" in a part of them (legs,
# an arm with a hat; two neighbours' shoulders): a window's candidate with this share of its landmarks in
# the boxes (grown by PART_GROW of their size each side) of kept people over 1/PART_HEIGHT its height.
PART_INSIDE = 0.8
PART_GROW = 0.15
PART_HEIGHT = 0.75


@dataclass(frozen=True)
class Window:
    """A rectangle of the frame in pixels, ``x0 <= x < x1``, ``y0 <= y < y1``."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def crop(self, image_rgb: np.ndarray) -> np.ndarray:
        """The window's pixels as a C-contiguous copy (what mp.Image needs)."""
        return np.ascontiguousarray(image_rgb[self.y0:self.y1, self.x0:self.x1])


def whole(width: int, height: int) -> Window:
    return Window(0, 0, width, height)


def tile_windows(width: int, height: int, grid: int, overlap: float = TILE_OVERLAP) -> list[Window]:
    """Square-ish tiles: ``grid`` along the frame's short side, as many as needed along the long one,
    neighbours overlapping by ``overlap`` of a tile, together covering the frame exactly."""
    short = min(width, height)
    side = short / (grid - (grid - 1) * overlap) if grid > 1 else short
    xs = _starts(width, side, overlap)
    ys = _starts(height, side, overlap)
    tile = round(side)
    return [Window(x, y, min(x + tile, width), min(y + tile, height)) for y in ys for x in xs]


def _starts(length: int, side: float, overlap: float) -> list[int]:
    if side >= length:
        return [0]
    count = math.ceil((length - side) / (side * (1 - overlap)) - 1e-9) + 1
    return [round(i * (length - side) / (count - 1)) for i in range(count)]


def to_frame(poses: FramePoses, window: Window, frame_width: int) -> FramePoses:
    """Poses found on ``window``'s crop in full-frame pixels. MediaPipe's z has the scale of x in the image
    it saw (x normalised by that image's width), so it is rescaled to the frame's width; world metres do
    not depend on the crop."""
    offset = np.array([window.x0, window.y0], np.float32)
    return FramePoses(
        image_xy_px=poses.image_xy_px + offset,
        image_z=poses.image_z * np.float32(window.width / frame_width),
        visibility=poses.visibility,
        presence=poses.presence,
        world_xyz_m=poses.world_xyz_m,
        mask=None,
    )


def take(poses: FramePoses, indices: list[int]) -> FramePoses:
    """The listed people of ``poses`` (the union mask, if any, is kept as it is)."""
    index = np.asarray(indices, dtype=np.intp)
    return FramePoses(poses.image_xy_px[index], poses.image_z[index], poses.visibility[index],
                      poses.presence[index], poses.world_xyz_m[index], poses.mask)


def concat(parts: list[FramePoses], mask: np.ndarray | None = None) -> FramePoses:
    if not parts:
        return FramePoses.none() if mask is None else _with_mask(FramePoses.none(), mask)
    return FramePoses(*(np.concatenate([getattr(p, name) for p in parts]) for name in
                        ("image_xy_px", "image_z", "visibility", "presence", "world_xyz_m")), mask=mask)


def _with_mask(poses: FramePoses, mask: np.ndarray) -> FramePoses:
    return FramePoses(poses.image_xy_px, poses.image_z, poses.visibility, poses.presence, poses.world_xyz_m, mask)


def inside(xy_px: np.ndarray, window: Window, frame_width: int, frame_height: int) -> np.ndarray:
    """(33,) which landmarks lie in ``window``'s interior (edges on the frame border do not cut)."""
    margin = EDGE_MARGIN * max(window.width, window.height)
    low_x = -np.inf if window.x0 <= 0 else window.x0 + margin
    high_x = np.inf if window.x1 >= frame_width else window.x1 - margin
    low_y = -np.inf if window.y0 <= 0 else window.y0 + margin
    high_y = np.inf if window.y1 >= frame_height else window.y1 - margin
    x, y = xy_px[:, 0], xy_px[:, 1]
    return (x >= low_x) & (x <= high_x) & (y >= low_y) & (y <= high_y)


@dataclass(frozen=True)
class Candidate:
    """One person found somewhere: landmarks in frame pixels, the window they were found in, and its rank
    (0 the whole frame's own tracking, 1 a person followed in a window of their own, 2 a new search find)."""

    xy_px: np.ndarray  # (33, 2)
    visibility: np.ndarray  # (33,)
    presence: np.ndarray  # (33,)
    in_window: np.ndarray  # (33,) bool
    rank: int
    source: int  # the caller's index of this candidate

    @property
    def completeness(self) -> float:
        return float(np.mean(self.in_window))

    @property
    def score(self) -> float:
        return self.completeness * float(np.mean(self.presence))

    @property
    def height_px(self) -> float:
        xy = self.xy_px[self.in_window] if self.in_window.sum() >= 2 else self.xy_px
        extent = np.nanmax(xy, axis=0) - np.nanmin(xy, axis=0)
        return float(max(extent[0], extent[1], 1.0))

    def box(self) -> tuple[float, float, float, float]:
        return (*np.nanmin(self.xy_px, axis=0), *np.nanmax(self.xy_px, axis=0))

    def seen_box(self) -> tuple[float, float, float, float]:
        """The box of the landmarks inside the window (MediaPipe's guesses past its edges left out)."""
        xy = self.xy_px[self.in_window] if self.in_window.sum() >= 2 else self.xy_px
        return (*np.nanmin(xy, axis=0), *np.nanmax(xy, axis=0))


def candidates_of(poses: FramePoses, window: Window, frame_width: int, frame_height: int, rank: int,
                  first_source: int = 0) -> list[Candidate]:
    """One Candidate per person of ``poses`` (already in frame pixels), numbered from ``first_source``."""
    return [Candidate(poses.image_xy_px[i], poses.visibility[i], poses.presence[i],
                      inside(poses.image_xy_px[i], window, frame_width, frame_height), rank, first_source + i)
            for i in range(poses.count)]


def same_person(a: Candidate, b: Candidate) -> bool:
    """Whether two candidates are one person: by the landmarks both see reliably, else by their boxes."""
    shared = (a.in_window & b.in_window & (a.visibility >= RELIABLE_VISIBILITY)
              & (b.visibility >= RELIABLE_VISIBILITY))
    if shared.sum() >= MIN_SHARED_LANDMARKS:
        distance_px = float(np.median(np.linalg.norm(a.xy_px[shared] - b.xy_px[shared], axis=1)))
        return distance_px < SAME_PERSON_SHARE * max(a.height_px, b.height_px)
    return _box_overlap(a.box(), b.box()) >= SAME_BOX_OVERLAP


def part_of(part: Candidate, kept: list[Candidate]) -> bool:
    """Whether ``part`` is pieces of kept people that MediaPipe took for a smaller person of its own: most of
    its landmarks lie in the (grown) boxes of kept people taller than it (one person's legs, or two
    neighbours' arms and shoulders seen by one tile)."""
    covered = np.zeros(len(part.xy_px), bool)
    for whole in kept:
        if part.height_px >= PART_HEIGHT * whole.height_px:
            continue
        x0, y0, x1, y1 = whole.box()
        grow_x, grow_y = PART_GROW * (x1 - x0), PART_GROW * (y1 - y0)
        x, y = part.xy_px[:, 0], part.xy_px[:, 1]
        covered |= (x >= x0 - grow_x) & (x <= x1 + grow_x) & (y >= y0 - grow_y) & (y <= y1 + grow_y)
    return float(np.mean(covered)) >= PART_INSIDE


def _box_overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection area over the smaller box's area."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(width * height / smaller) if smaller > 0 else 0.0


def merge(candidates: list[Candidate], limit: int) -> list[Candidate]:
    """One candidate per person, at most ``limit``: lower rank first (the whole frame's tracking wins over a
    window's, a followed person over a new find), then the tallest (a whole person before any part of them a
    tile took for a person). A window's candidate cut off by its edge is dropped, as is anyone already kept
    and any part of someone kept."""
    kept: list[Candidate] = []
    for candidate in sorted(candidates, key=lambda c: (c.rank, -c.height_px)):
        if len(kept) >= limit:
            break
        if candidate.rank > 0 and candidate.completeness < MIN_COMPLETENESS:
            continue
        if any(same_person(candidate, other) for other in kept):
            continue
        if candidate.rank > 0 and part_of(candidate, kept):
            continue
        kept.append(candidate)
    return kept


def follow_window(candidate: Candidate, frame_width: int, frame_height: int, scale: float = 2.0) -> Window:
    """A square window around a person, ``scale`` times their height a side, moved (not shrunk) into the
    frame: room to move for a few frames, and the person large in it for the detector."""
    x0, y0, x1, y1 = candidate.seen_box()
    side = min(round(scale * max(x1 - x0, y1 - y0, 16.0)), frame_width, frame_height)
    left = int(np.clip(round((x0 + x1) / 2 - side / 2), 0, frame_width - side))
    top = int(np.clip(round((y0 + y1) / 2 - side / 2), 0, frame_height - side))
    return Window(left, top, left + side, top + side)


def masked(image_rgb: np.ndarray, boxes: list[tuple[float, float, float, float]], pad: float = 0.1) -> np.ndarray:
    """A copy of the frame with each box (grown by ``pad`` of its size) filled with the frame's mean colour:
    found people hidden, so the detector's overlap suppression cannot merge a neighbour into them."""
    out = np.array(image_rgb, copy=True, order="C")
    fill = image_rgb.reshape(-1, 3).mean(axis=0).astype(np.uint8)
    height, width = image_rgb.shape[:2]
    for x0, y0, x1, y1 in boxes:
        grow_x, grow_y = pad * (x1 - x0), pad * (y1 - y0)
        left, right = int(max(0, x0 - grow_x)), int(min(width, x1 + grow_x + 1))
        top, bottom = int(max(0, y0 - grow_y)), int(min(height, y1 + grow_y + 1))
        if right > left and bottom > top:
            out[top:bottom, left:right] = fill
    return out
