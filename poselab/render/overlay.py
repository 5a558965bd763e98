"""The 2D skeleton drawn over a frame, optionally over the tinted segmentation mask."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from poselab.render.colors import MASK_RGB, SIDE_RGB, person_rgb, visibility_rgb
from poselab.skeleton import CONNECTIONS, connection_side


@dataclass(frozen=True)
class OverlayStyle:
    """Display-only choices: changing them never re-runs the model."""

    visibility_threshold: float = 0.5
    colour_by_visibility: bool = True
    show_mask: bool = True
    mask_alpha: float = 0.45


def draw_pose(
    image_rgb: np.ndarray,
    xy_px: np.ndarray,
    visibility: np.ndarray,
    mask: np.ndarray | None = None,
    style: OverlayStyle = OverlayStyle(),
    in_place: bool = False,
) -> np.ndarray:
    """A copy of ``image_rgb`` with every person slot drawn; ``in_place``: ``image_rgb`` itself, drawn on
    (it must be C-contiguous and writable: the pipeline's pooled frames, no 6 MB copy per frame).

    xy_px: (P, 33, 2) pixels; visibility: (P, 33); NaN slots are skipped.
    mask: (h, w) uint8 0..255 or float 0..1 at any size, stretched over the frame.
    """
    canvas = image_rgb if in_place else np.ascontiguousarray(image_rgb).copy()
    if mask is not None and style.show_mask:
        np.copyto(canvas, _tint(canvas, mask, style.mask_alpha))
    scale = max(1, round(min(canvas.shape[:2]) / 300))
    several = xy_px.shape[0] > 1
    for slot in range(xy_px.shape[0]):
        shown = np.nan_to_num(visibility[slot], nan=-1.0) >= style.visibility_threshold
        shown &= np.isfinite(xy_px[slot]).all(axis=1)
        if shown.any():
            _draw_person(canvas, xy_px[slot], visibility[slot], shown, scale, slot if several else None, style)
    return canvas


def _draw_person(canvas, xy, visibility, shown, scale, slot, style) -> None:
    points = np.round(np.nan_to_num(xy)).astype(np.int32)
    for a, b in CONNECTIONS:
        if shown[a] and shown[b]:
            colour = person_rgb(slot) if slot is not None else SIDE_RGB[connection_side((a, b))]
            cv2.line(canvas, tuple(points[a]), tuple(points[b]), colour, 2 * scale, cv2.LINE_AA)
    dot_rgb = visibility_rgb(visibility) if style.colour_by_visibility else None
    for index in np.flatnonzero(shown):
        colour = tuple(int(c) for c in dot_rgb[index]) if dot_rgb is not None else (255, 255, 255)
        cv2.circle(canvas, tuple(points[index]), 3 * scale, colour, -1, cv2.LINE_AA)
        cv2.circle(canvas, tuple(points[index]), 3 * scale, (20, 20, 20), max(1, scale // 2), cv2.LINE_AA)


def _tint(canvas: np.ndarray, mask: np.ndarray, alpha: float) -> np.ndarray:
    height, width = canvas.shape[:2]
    weight = mask.astype(np.float32)
    if mask.dtype == np.uint8:
        weight /= 255.0
    if weight.shape != (height, width):
        weight = cv2.resize(weight, (width, height), interpolation=cv2.INTER_LINEAR)
    weight = (weight * alpha)[..., None]
    tinted = canvas * (1 - weight) + np.array(MASK_RGB, np.float32) * weight
    return tinted.astype(np.uint8)


def draw_labels(image_rgb: np.ndarray, labels: list[tuple[float, float, str]]) -> np.ndarray:
    """Short texts (e.g. joint angles) at pixel positions, legible on any background."""
    scale = max(0.4, min(image_rgb.shape[:2]) / 900)
    for x, y, text in labels:
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        origin = (int(x) + 6, int(y) - 6)
        cv2.putText(image_rgb, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(image_rgb, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return image_rgb
