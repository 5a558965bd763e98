"""A small labelled multi-person set for people_bench.py, made from the shared single-person clips.

People are cut out of shared frames with MediaPipe's own segmentation mask (heavy model, IMAGE mode, the
frame at full size) and pasted at chosen sizes into 1920x1080 frames. Their truth is the landmarks heavy
found on the source frame, mapped by the same scale and offset: so "truth" is MediaPipe at its best
(a big, lone person), and the benchmark asks how much of that the mode keeps when the person is small,
far or beside someone else. Everything is cached in the temp folder (people.npz), never in the repo.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from clips import CLIPS, source_frames  # bench/ is on sys.path (people_bench.py puts it there)

from poselab.engine.landmarker import PoseDetector
from poselab.settings import InferenceSettings

FRAME_W, FRAME_H = 1920, 1080
CACHE = Path(tempfile.gettempdir()) / "poselab-people-bench" / "people.npz"
# (clip, frame indices): one person, whole body in view, in all of these.
SOURCES = {"squats": (5, 30, 55), "dance": (10, 50, 90), "lab": (15, 50, 85)}


@dataclass(frozen=True)
class Cutout:
    image_rgb: np.ndarray  # (h, w, 3) the person's box, with room around
    alpha: np.ndarray  # (h, w) float 0..1, the person
    xy_px: np.ndarray  # (33, 2) truth landmarks in the cutout's pixels
    visibility: np.ndarray  # (33,)

    @property
    def height_px(self) -> float:
        return float(np.ptp(self.xy_px[:, 1]))


@dataclass(frozen=True)
class Truth:
    xy_px: np.ndarray  # (33, 2) in frame pixels
    visibility: np.ndarray
    height_px: float


@dataclass(frozen=True)
class Scene:
    name: str
    image_rgb: np.ndarray
    people: list[Truth]


def cutouts() -> list[Cutout]:
    if CACHE.is_file():
        data = np.load(CACHE, allow_pickle=True)
        return [Cutout(*item) for item in data["cutouts"]]
    found = []
    settings = InferenceSettings(model="heavy", num_poses=1, segmentation=True)
    with PoseDetector(settings, video=False) as detector:
        for clip, indices in SOURCES.items():
            frames = source_frames(CLIPS[clip])
            for index in indices:
                found.append(_cut(frames[index], detector))
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    items = np.empty(len(found), dtype=object)
    items[:] = [(c.image_rgb, c.alpha, c.xy_px, c.visibility) for c in found]
    np.savez(CACHE, cutouts=items)
    return found


def _cut(image_rgb: np.ndarray, detector: PoseDetector) -> Cutout:
    poses = detector.detect(image_rgb)
    if poses.count != 1 or poses.mask is None:
        raise RuntimeError("a source frame of people_set no longer holds exactly one person")
    xy = poses.image_xy_px[0]
    ys, xs = np.nonzero(poses.mask > 0.5)
    x0, x1 = min(xs.min(), xy[:, 0].min()), max(xs.max(), xy[:, 0].max())
    y0, y1 = min(ys.min(), xy[:, 1].min()), max(ys.max(), xy[:, 1].max())
    pad = 0.1 * (y1 - y0)
    height, width = image_rgb.shape[:2]
    left, top = int(max(0, x0 - pad)), int(max(0, y0 - pad))
    right, bottom = int(min(width, x1 + pad)), int(min(height, y1 + pad))
    return Cutout(image_rgb[top:bottom, left:right].copy(), poses.mask[top:bottom, left:right].copy(),
                  xy - np.array([left, top], np.float32), poses.visibility[0].copy())


def background(seed: int) -> np.ndarray:
    """A plain room: a smooth two-tone gradient, some furniture-like boxes, sensor noise."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, FRAME_H, dtype=np.float32)[:, None, None]
    top, bottom = rng.uniform(90, 200, 3), rng.uniform(60, 160, 3)
    image = np.broadcast_to(top * (1 - ramp) + bottom * ramp, (FRAME_H, FRAME_W, 3)).copy()
    for _ in range(6):
        x, y = int(rng.uniform(0, FRAME_W - 200)), int(rng.uniform(0, FRAME_H - 150))
        image[y:y + int(rng.uniform(60, 300)), x:x + int(rng.uniform(80, 400))] = rng.uniform(30, 230, 3)
    image += rng.normal(0, 4, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def paste(image_rgb: np.ndarray, cutout: Cutout, height_px: float, centre_x: float, feet_y: float) -> Truth:
    """Pastes the person ``height_px`` tall (their landmarks' extent), centred at ``centre_x`` with the lowest
    landmark at ``feet_y``; returns their truth in frame pixels."""
    scale = height_px / cutout.height_px
    size = (max(1, round(cutout.image_rgb.shape[1] * scale)), max(1, round(cutout.image_rgb.shape[0] * scale)))
    person = cv2.resize(cutout.image_rgb, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    alpha = cv2.resize(cutout.alpha.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)[..., None]
    xy = cutout.xy_px * scale
    left = round(centre_x - (xy[:, 0].min() + xy[:, 0].max()) / 2)
    top = round(feet_y - xy[:, 1].max())
    x0, y0 = max(0, left), max(0, top)
    x1, y1 = min(image_rgb.shape[1], left + size[0]), min(image_rgb.shape[0], top + size[1])
    region = image_rgb[y0:y1, x0:x1].astype(np.float32)
    part, weight = person[y0 - top:y1 - top, x0 - left:x1 - left], alpha[y0 - top:y1 - top, x0 - left:x1 - left]
    image_rgb[y0:y1, x0:x1] = (region * (1 - weight) + part * weight).astype(np.uint8)
    return Truth(xy + np.array([left, top], np.float32), cutout.visibility, float(height_px))


def scenes(seed: int = 7) -> list[Scene]:
    """20 frames: 8 with 4-5 people of mixed sizes, 6 with two people side by side (50 cm between their
    centres, about 0.3 of a height), 6 with three people at three distances."""
    people = cutouts()
    rng = np.random.default_rng(seed)
    made = []
    for index in range(8):
        made.append(_sizes_scene(index, people, rng))
    for index, height in enumerate((280, 420, 640, 280, 420, 640)):
        image, order = background(100 + index), rng.permutation(len(people))[:2]
        left = rng.uniform(0.25, 0.6) * FRAME_W
        truth = [paste(image, people[order[k]], height, left + k * 0.3 * height, 0.8 * FRAME_H + height * 0.1)
                 for k in range(2)]
        made.append(Scene(f"side-by-side-{height}px", image, truth))
    for index in range(6):
        image, order = background(200 + index), rng.permutation(len(people))[:3]
        slots = rng.permutation(3)
        truth = []
        for k, (height, feet) in enumerate(((860, 1060), (430, 760), (215, 600))):  # near, middle, far
            centre = (0.2 + 0.3 * slots[k] + rng.uniform(-0.05, 0.05)) * FRAME_W
            truth.append(paste(image, people[order[k]], height, centre, feet))
        made.append(Scene("three-distances", image, truth))
    return made


def _sizes_scene(index: int, people: list[Cutout], rng: np.random.Generator) -> Scene:
    image = background(index)
    boxes: list[tuple[float, float, float, float]] = []
    truth = []
    count = 4 + index % 2
    for pick in rng.permutation(len(people))[:count]:
        height = float(rng.choice([120, 160, 240, 320, 480]))
        for _ in range(200):  # a free spot: boxes (as wide as half the height) must not overlap
            cx = rng.uniform(0.3 * height + 10, FRAME_W - 0.3 * height - 10)
            feet = rng.uniform(height + 20, FRAME_H - 10)
            box = (cx - 0.3 * height, feet - height, cx + 0.3 * height, feet)
            if all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in boxes):
                boxes.append(box)
                truth.append(paste(image, people[pick], height, cx, feet))
                break
    return Scene(f"sizes-{count}", image, truth)


def moving_scene(frames: int, seed: int = 11) -> list[Scene]:
    """A video: one mixed-sizes scene whose people walk sideways 3-6 px per frame."""
    people = cutouts()
    rng = np.random.default_rng(seed)
    heights = [120, 160, 240, 320, 480]
    starts = [(0.1 + 0.2 * k) * FRAME_W for k in range(5)]
    feet = [300, 900, 500, 1000, 700]
    speeds = rng.uniform(3, 6, 5) * rng.choice([-1, 1], 5)
    picks = rng.permutation(len(people))[:5]
    made = []
    back = background(seed)
    for frame in range(frames):
        image = back.copy()
        truth = [paste(image, people[picks[k]], heights[k], starts[k] + speeds[k] * frame, feet[k]) for k in range(5)]
        made.append(Scene("moving", image, truth))
    return made


if os.environ.get("PEOPLE_SET_PREVIEW"):  # write the frames as PNGs to look at them
    out = CACHE.parent
    for number, scene in enumerate(scenes()):
        cv2.imwrite(str(out / f"{number:02d}-{scene.name}.png"), scene.image_rgb[..., ::-1])
