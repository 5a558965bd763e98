"""Find-more-people mode (issue 19): recall, landmark accuracy, false people and cost, off vs on.

    flock /tmp/poselab-heavy.lock .venv/bin/python bench/people_bench.py --models full
    flock /tmp/poselab-heavy.lock .venv/bin/python bench/people_bench.py --part video --models full
    flock /tmp/poselab-heavy.lock .venv/bin/python bench/people_bench.py --part clips

``--part frames`` (default): the 20 labelled frames of people_set.py, each as a photo (IMAGE mode), with
the mode off and in the variants below. ``--part video``: 40 frames of people walking (VIDEO mode, a
search every N frames, followed people in between). ``--part clips``: the shared multi-person clips, off
vs on (no truth there: people per frame, slots used, cost). A found person matches a truth person when the
median distance of their landmarks is under 25 % of the truth's height (greedy, one to one); found people
matching nobody are false people. "within 10 %": the truth's visible (>= 0.5) landmarks of matched people
within 10 % of the truth's height.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]
os.environ.setdefault("POSELAB_MODEL_DIR", "/work/shared/models")

import numpy as np  # noqa: E402
from clips import SHARED_DATA  # noqa: E402
from people_set import Scene, moving_scene, scenes  # noqa: E402

from poselab.engine.landmarker import FramePoses, PoseDetector  # noqa: E402
from poselab.engine.people import PeopleFinder  # noqa: E402
from poselab.settings import InferenceSettings  # noqa: E402

MATCH_SHARE = 0.25
CLOSE_SHARE = 0.10
# name: (tile grids, mask pass); None = the mode off
VARIANTS: dict[str, tuple[tuple[int, ...], bool] | None] = {
    "off": None, "tiles2": ((2,), False), "tiles2+3": ((2, 3), False), "tiles2+mask": ((2,), True),
    "mask": ((), True),
}
SHARED_CLIPS = ("videos/lab_two_people_portrait_60fps.mp4", "falls/fall_two_people_dog.mp4",
                "videos/dance_600x600.mp4")


def match(scene: Scene, poses: FramePoses) -> tuple[int, int, int, int]:
    """(people matched, false people, close landmarks, visible truth landmarks of matched people)."""
    pairs = []
    for t, truth in enumerate(scene.people):
        for f in range(poses.count):
            distance = np.median(np.linalg.norm(poses.image_xy_px[f] - truth.xy_px, axis=1)) / truth.height_px
            if distance < MATCH_SHARE:
                pairs.append((distance, t, f))
    used_t, used_f = set(), set()
    close = visible = 0
    for _, t, f in sorted(pairs):
        if t in used_t or f in used_f:
            continue
        used_t.add(t)
        used_f.add(f)
        truth = scene.people[t]
        seen = truth.visibility >= 0.5
        error = np.linalg.norm(poses.image_xy_px[f] - truth.xy_px, axis=1) / truth.height_px
        close += int(np.sum(error[seen] <= CLOSE_SHARE))
        visible += int(seen.sum())
    return len(used_t), poses.count - len(used_f), close, visible


def detector(model: str, variant: str, video: bool, every: int = 10) -> PoseDetector | PeopleFinder:
    plan = VARIANTS[variant]
    if plan is None:
        return PoseDetector(InferenceSettings(model=model, num_poses=6), video=video)
    settings = InferenceSettings(model=model, num_poses=6, find_people="tiles", find_every_frames=every)
    return PeopleFinder(settings, video=video, grids=plan[0], mask_pass=plan[1])


def run_frames(model: str, variant: str, frames: list[Scene], video: bool, every: int) -> dict[str, float]:
    totals = np.zeros(4)
    present = 0
    with detector(model, variant, video, every) as running:
        running.detect(frames[0].image_rgb, 0.0) if not video else None  # warm-up (first call is slow)
        started = time.perf_counter()
        for index, scene in enumerate(frames):
            totals += match(scene, running.detect(scene.image_rgb, index / 30))
            present += len(scene.people)
        elapsed_s = time.perf_counter() - started
    matched, false, close, visible = totals
    return {"recall": matched / present, "close": close / visible if visible else 0.0,
            "close_all": close / max(1, visible) * matched / present,
            "false_per_20": 20 * false / len(frames), "ms": 1000 * elapsed_s / len(frames)}


def run_clip(model: str, path: Path, mode: str, num_poses: int) -> dict[str, float]:
    from poselab.parallel.analyze import analyze_clip

    settings = InferenceSettings(model=model, num_poses=num_poses, find_people=mode)
    sequence = analyze_clip(path, settings)
    people_per_frame = np.sum(~np.isnan(sequence.image_xy_px[..., 0, 0]), axis=1)
    extra = sequence.meta.get("find_people", {})
    return {"person_frames": int(people_per_frame.sum()), "frames": sequence.num_frames,
            "people_seen": sequence.people_seen(), "ms": 1000 * sequence.meta["elapsed_s"] / sequence.num_frames,
            "extra_ms": extra.get("extra_ms_per_frame", 0.0), "extra_people": extra.get("extra_people", 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lite,full,heavy")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--part", choices=("frames", "video", "clips"), default="frames")
    parser.add_argument("--every", type=int, default=10, help="video: search every N frames")
    parser.add_argument("--num-poses", default="3", help="clips: num_poses values, comma-separated")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (2 cores, shared)")
    models = args.models.split(",")
    if args.part == "clips":
        print("| model | clip | num_poses | mode | person-frames | frames | slots used | ms/frame | extra ms/frame |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for model in models:
            for clip in SHARED_CLIPS:
                for num_poses in (int(n) for n in args.num_poses.split(",")):
                    for mode in ("off", "tiles"):
                        r = run_clip(model, SHARED_DATA / clip, mode, num_poses)
                        print(f"| {model} | {Path(clip).name} | {num_poses} | {mode} | {r['person_frames']} | "
                              f"{r['frames']} | {r['people_seen']} | {r['ms']:.1f} | {r['extra_ms']:.1f} |",
                              flush=True)
        return
    video = args.part == "video"
    frames = moving_scene(40) if video else scenes()
    present = sum(len(s.people) for s in frames)
    how = f"VIDEO mode, search every {args.every}" if video else "IMAGE mode"
    print(f"{len(frames)} frames 1920x1080, {present} people; {how}")
    print("| model | variant | recall | x off | landmarks within 10 % (matched) | false people / 20 frames "
          "| ms/frame |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for model in models:
        base = None
        for variant in args.variants.split(","):
            if video and variant not in ("off", "tiles2"):
                continue
            r = run_frames(model, variant, frames, video, args.every)
            base = r["recall"] if variant == "off" else base
            ratio = f"{r['recall'] / base:.2f}" if base else "-"
            print(f"| {model} | {variant} | {r['recall']:.2f} | {ratio} | {r['close']:.2f} | "
                  f"{r['false_per_20']:.1f} | {r['ms']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
