"""Joining segments tracked separately: which slot of one is which slot of the other.

Two segments share a stretch of frames (the later one's warm-up). A person is the same person in
both when their landmarks there lie close: slots are paired by median landmark distance, the
closest pairs first (a handful of people: greedy is as good as optimal here).

A segment tracked from a fresh start may follow other people than the segment before it did at the
seam (with ``num_poses`` 1 and two people in view, the detector picks one, not necessarily the one
the serial run had been following since earlier). ``continues_previous`` tells; ``steered`` gives the
warm-up frames with everyone but the previous segment's people blanked out, so a re-tracked segment
locks onto them and follows them past the seam as a serial run would.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

from poselab.media.decode import Frame
from poselab.sequence import PoseSequence

# Cost of pairing a slot seen in the overlap with one that is not: worse than any real distance.
UNMATCHED_COST_PX = 1e6
# Two trackers following one person agree within a few pixels once settled; another person is a body
# away. A gap of a quarter of the person's size (box diagonal) tells the two apart with room to spare.
SAME_PERSON_FRACTION = 0.25
# Margin around a followed person's box kept visible in steered warm-up frames, as a fraction of its size.
STEER_MARGIN = 0.3


def match_slots(previous: PoseSequence, part: PoseSequence, start_s: float) -> list[int]:
    """``order`` such that slot j of ``previous`` continues as slot ``order[j]`` of ``part``.

    Compares the frames of ``part`` before ``start_s`` with the same frames (same times) in ``previous``.
    """
    warm = part.time_s < start_s
    _, in_prev, in_part = np.intersect1d(previous.time_s, part.time_s[warm], return_indices=True)
    cost = slot_costs(previous.image_xy_px[in_prev], part.image_xy_px[in_part])
    return greedy_order(cost)


def slot_costs(prev_xy_px: np.ndarray, part_xy_px: np.ndarray) -> np.ndarray:
    """(P, P) cost between the slots of two (T, P, 33, 2) runs over the same T frames."""
    slots = prev_xy_px.shape[1]
    cost = np.zeros((slots, slots))
    prev_seen = np.isfinite(prev_xy_px).all(axis=3).any(axis=2)  # (T, P)
    part_seen = np.isfinite(part_xy_px).all(axis=3).any(axis=2)
    for j in range(slots):
        for i in range(slots):
            both = prev_seen[:, j] & part_seen[:, i]
            if both.any():
                gap_px = np.linalg.norm(prev_xy_px[both, j] - part_xy_px[both, i], axis=-1)
                cost[j, i] = float(np.nanmedian(gap_px))
            elif prev_seen[:, j].any() or part_seen[:, i].any():
                cost[j, i] = UNMATCHED_COST_PX
    return cost


def greedy_order(cost: np.ndarray) -> list[int]:
    """Pairs rows with columns, cheapest first; ties keep slots where they are."""
    slots = cost.shape[0]
    order = [-1] * slots
    taken: set[int] = set()
    # Stable sort on (cost, not-diagonal): an equal-cost identity pairing wins.
    keys = [(cost[j, i], i != j, j, i) for j in range(slots) for i in range(slots)]
    for _, _, j, i in sorted(keys):
        if order[j] < 0 and i not in taken:
            order[j] = i
            taken.add(i)
    return order


def permute_slots(sequence: PoseSequence, order: list[int]) -> PoseSequence:
    """The sequence with slot j taken from slot ``order[j]``."""
    return dataclasses.replace(
        sequence,
        image_xy_px=sequence.image_xy_px[:, order],
        image_z=sequence.image_z[:, order],
        visibility=sequence.visibility[:, order],
        presence=sequence.presence[:, order],
        world_xyz_m=sequence.world_xyz_m[:, order],
    )


def continues_previous(previous: PoseSequence, part: PoseSequence, start_s: float, order: list[int]) -> bool:
    """Whether each person ``previous`` follows in the last shared frame is followed by ``part`` (in ``order[j]``)."""
    warm = part.time_s < start_s
    _, in_prev, in_part = np.intersect1d(previous.time_s, part.time_s[warm], return_indices=True)
    if not len(in_prev):
        return True  # nothing shared to compare (a segment without warm-up)
    prev_xy, part_xy = previous.image_xy_px[in_prev[-1]], part.image_xy_px[in_part[-1]]  # (P, 33, 2)
    for j, i in enumerate(order):
        size_px = _box_size_px(prev_xy[j])
        if size_px is None:
            continue  # nobody in slot j at the seam: nothing to continue
        gap_px = np.linalg.norm(prev_xy[j] - part_xy[i], axis=-1)
        if not np.isfinite(gap_px).any() or np.nanmedian(gap_px) > SAME_PERSON_FRACTION * size_px:
            return False
    return True


def steered(frames: Iterator[Frame], previous: PoseSequence, start_s: float) -> Iterator[Frame]:
    """``frames`` with, before ``start_s``, only the boxes of the people ``previous`` follows left visible."""
    for frame in frames:
        if frame.time_s < start_s:
            at = int(np.argmin(np.abs(previous.time_s - frame.time_s))) if previous.num_frames else -1
            near = at >= 0 and abs(previous.time_s[at] - frame.time_s) < 1e-6
            kept = _only_boxes(frame.image_rgb, previous.image_xy_px[at] if near else None)
            if frame.pool is not None:  # a pooled buffer goes back to its pool after use: blank it in place
                np.copyto(frame.image_rgb, kept)
            else:
                frame = Frame(frame.index, frame.time_s, kept)
        yield frame


def _only_boxes(image_rgb: np.ndarray, people_xy_px: np.ndarray | None) -> np.ndarray:
    """A black image but for the (margined) boxes of the given (P, 33, 2) people."""
    kept = np.zeros_like(image_rgb)
    height, width = image_rgb.shape[:2]
    for xy in people_xy_px if people_xy_px is not None else []:
        size_px = _box_size_px(xy)
        if size_px is None:
            continue
        margin = STEER_MARGIN * size_px
        (x0, y0), (x1, y1) = np.nanmin(xy, axis=0) - margin, np.nanmax(xy, axis=0) + margin
        cols = slice(int(np.clip(x0, 0, width)), int(np.clip(np.ceil(x1), 0, width)))
        rows = slice(int(np.clip(y0, 0, height)), int(np.clip(np.ceil(y1), 0, height)))
        kept[rows, cols] = image_rgb[rows, cols]
    return kept


def _box_size_px(xy_px: np.ndarray) -> float | None:
    """Diagonal of the box around one person's (33, 2) landmarks; None when nobody is there."""
    seen = np.isfinite(xy_px).all(axis=1)
    if not seen.any():
        return None
    return float(np.linalg.norm(xy_px[seen].max(axis=0) - xy_px[seen].min(axis=0))) or 1.0
