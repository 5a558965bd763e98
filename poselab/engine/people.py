"""The "find more people" mode: MediaPipe's own models on tiles of the frame, not only the whole frame.

Per frame, the whole frame goes through the usual landmarker (VIDEO mode: MediaPipe's tracking, as with
the mode off). Every ``find_every_frames`` frames (every image) an IMAGE-mode landmarker also searches
overlapping tiles (``SEARCH_GRIDS``) for people the whole frame missed; each such person is then followed
in a square window of their own by a VIDEO-mode landmarker (one per person: MediaPipe's tracking needs
one timeline per landmarker), until the whole frame finds them itself or they are lost. ``tiles.merge``
keeps one candidate per person; the slot tracker downstream keeps slots consistent.

Measured (bench/people_bench.py): one 2-grid of tiles gives the recall (about 3x the whole frame's on the
labelled set); a second, finer grid added 2-5 points for 2-2.5x the cost and 1-3 false people per 20
frames, and a re-run of the whole frame with the found people masked out (``mask_pass``, kept for the
bench) found nobody the tiles missed.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from types import TracebackType

import numpy as np

from poselab.engine import tiles
from poselab.engine.landmarker import FramePoses, PoseDetector
from poselab.settings import InferenceSettings

SEARCH_GRIDS: tuple[int, ...] = (2,)  # tiles along the frame's short side, per extra scale
FOLLOW_SCALE = 2.0  # a followed person's window: this many times their height a side
RECENTRE_COMPLETENESS = 0.9  # a followed person this close to their window's edge gets a new window
FOLLOWER_POSES = 3
FOLLOW_MAX_STEP = 0.5  # a followed person moves less than half their height from one frame to the next


@dataclass
class FinderStats:
    """What the mode did: frames, new people its searches found, person-frames it added, its extra time."""

    frames: int = 0
    searches: int = 0
    search_finds: int = 0  # people the searches' tiles returned, before merging (duplicates included)
    extra_people: int = 0
    extra_person_frames: int = 0
    extra_s: float = 0.0

    def to_meta(self, settings: InferenceSettings) -> dict[str, object]:
        return {
            "mode": settings.find_people,
            "every_frames": settings.find_every_frames,
            "searches": self.searches,
            "extra_people": self.extra_people,
            "extra_person_frames": self.extra_person_frames,
            "extra_ms_per_frame": round(1000 * self.extra_s / self.frames, 2) if self.frames else 0.0,
        }


@dataclass
class _Follower:
    detector: PoseDetector
    window: tiles.Window
    last_xy_px: np.ndarray  # (33, 2) where their landmarks were last: the window may hold other people too


@dataclass
class PeopleFinder:
    """``PoseDetector``'s interface (``detect``, ``close``, a context manager) with the search on top."""

    settings: InferenceSettings
    video: bool = True
    grids: tuple[int, ...] = SEARCH_GRIDS
    mask_pass: bool = False  # also re-run the whole frame with the people found so far masked out
    stats: FinderStats = field(default_factory=FinderStats)

    def __post_init__(self) -> None:
        self._main = PoseDetector(self.settings, video=self.video)
        self._searcher = PoseDetector(dataclasses.replace(self.settings, segmentation=False), video=False)
        self._followers: list[_Follower] = []
        self._spare: list[PoseDetector] = []  # followers' landmarkers, reused: creating one takes 0.15-0.35 s

    def detect(self, image_rgb: np.ndarray, time_s: float = 0.0) -> FramePoses:
        main = self._main.detect(image_rgb, time_s)
        started = time.perf_counter()
        height, width = image_rgb.shape[:2]
        found = [main]
        candidates = tiles.candidates_of(main, tiles.whole(width, height), width, height, rank=0)
        for index, follower in enumerate(self._followers):
            poses = tiles.to_frame(follower.detector.detect(follower.window.crop(image_rgb), time_s),
                                   follower.window, width)
            poses = tiles.take(poses, _nearest(poses, follower.last_xy_px, width))
            candidates += tiles.candidates_of(poses, follower.window, width, height, 1, _source(1, index, 0))
            found.append(poses)
        searched: list[tuple[FramePoses, tiles.Window]] = []
        if not self.video or self.stats.frames % self.settings.find_every_frames == 0:
            searched = self._search(image_rgb, candidates)
            self.stats.searches += 1
            for index, (poses, window) in enumerate(searched):
                self.stats.search_finds += poses.count
                candidates += tiles.candidates_of(poses, window, width, height, 2, _source(2, index, 0))
        kept = tiles.merge(candidates, self.settings.num_poses)
        result = self._collect(kept, found, searched, main.mask)
        if self.video:
            self._update_followers(kept, width, height, time_s)
        extra = sum(1 for c in kept if c.rank > 0)
        self.stats.extra_person_frames += extra
        self.stats.extra_people += extra if not self.video else sum(1 for c in kept if c.rank == 2)
        self.stats.frames += 1
        self.stats.extra_s += time.perf_counter() - started
        return result

    def _search(self, image_rgb: np.ndarray, known: list[tiles.Candidate]) -> list[tuple[FramePoses, tiles.Window]]:
        height, width = image_rgb.shape[:2]
        found = []
        for grid in self.grids:
            for window in tiles.tile_windows(width, height, grid):
                found.append((tiles.to_frame(self._searcher.detect(window.crop(image_rgb)), window, width), window))
        if self.mask_pass:
            boxes = [c.box() for c in known]
            boxes += [(*p.image_xy_px[i].min(axis=0), *p.image_xy_px[i].max(axis=0)) for p, _ in found
                      for i in range(p.count)]
            if boxes:
                window = tiles.whole(width, height)
                found.append((self._searcher.detect(tiles.masked(image_rgb, boxes)), window))
        return found

    def _collect(self, kept: list[tiles.Candidate], found: list[FramePoses],
                 searched: list[tuple[FramePoses, tiles.Window]], mask: np.ndarray | None) -> FramePoses:
        parts = []
        for candidate in kept:
            rank, group, person = _unpack(candidate.source)
            poses = found[0] if rank == 0 else found[1 + group] if rank == 1 else searched[group][0]
            parts.append(tiles.take(poses, [person]))
        return tiles.concat(parts, mask)

    def _update_followers(self, kept: list[tiles.Candidate], width: int, height: int, time_s: float) -> None:
        """Followers whose person was kept go on (in a new window near its edge); new finds get one."""
        carried: list[_Follower] = []
        used = set()
        for candidate in kept:
            rank, group, _ = _unpack(candidate.source)
            if rank == 1:
                follower = self._followers[group]
                used.add(group)
                if candidate.completeness < RECENTRE_COMPLETENESS:
                    follower.window = tiles.follow_window(candidate, width, height, FOLLOW_SCALE)
                follower.last_xy_px = candidate.xy_px
                carried.append(follower)
            elif rank == 2:
                window = tiles.follow_window(candidate, width, height, FOLLOW_SCALE)
                carried.append(_Follower(self._follower_detector(), window, candidate.xy_px))
        for index, follower in enumerate(self._followers):
            if index not in used:  # lost, or now tracked by the whole frame's landmarker
                self._spare.append(follower.detector)
        self._followers = carried

    def _follower_detector(self) -> PoseDetector:
        if self._spare:
            return self._spare.pop()
        # Up to FOLLOWER_POSES poses: with one, MediaPipe may lock on to a larger neighbour in the window.
        poses = min(self.settings.num_poses, FOLLOWER_POSES)
        return PoseDetector(dataclasses.replace(self.settings, num_poses=poses, segmentation=False), video=True)

    def close(self) -> None:
        for detector in [self._main, self._searcher, *self._spare, *(f.detector for f in self._followers)]:
            detector.close()
        self._followers, self._spare = [], []

    def __enter__(self) -> PeopleFinder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


# A candidate's ``source`` packs where its landmarks are: rank, the group (follower or searched window) and
# the person within that group's FramePoses.
_GROUP = 1_000


def _source(rank: int, group: int, person: int) -> int:
    return (rank * _GROUP + group) * _GROUP + person


def _unpack(source: int) -> tuple[int, int, int]:
    rank_group, person = divmod(source, _GROUP)
    rank, group = divmod(rank_group, _GROUP)
    return rank, group, person


def _nearest(poses: FramePoses, last_xy_px: np.ndarray, frame_width: int) -> list[int]:
    """The pose whose landmarks lie nearest (median) to where the followed person was, if it is near enough
    to be them (else the window holds only someone else, and the followed person is lost)."""
    if not poses.count:
        return []
    distances = np.median(np.linalg.norm(poses.image_xy_px - last_xy_px[None], axis=2), axis=1)
    nearest = int(np.argmin(distances))
    height_px = max(float(np.ptp(last_xy_px[:, 1])), 0.02 * frame_width)
    return [nearest] if distances[nearest] < FOLLOW_MAX_STEP * height_px else []


def open_detector(settings: InferenceSettings, video: bool = True) -> PoseDetector | PeopleFinder:
    """The landmarker an analysis runs: MediaPipe's alone, or with the find-people search around it."""
    if settings.find_people == "off":
        return PoseDetector(settings, video=video)
    return PeopleFinder(settings, video=video)
