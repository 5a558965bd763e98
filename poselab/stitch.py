"""Joining segments tracked separately: which slot of one is which slot of the other.

Two segments share a stretch of frames (the later one's warm-up). A person is the same person in
both when their landmarks there lie close: slots are paired by median landmark distance, the
closest pairs first (a handful of people: greedy is as good as optimal here).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from poselab.sequence import PoseSequence

# Cost of pairing a slot seen in the overlap with one that is not: worse than any real distance.
UNMATCHED_COST_PX = 1e6


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
