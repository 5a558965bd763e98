"""Longer benchmark clips made from the shared ones (written to a temp folder, never to the repo).

Frames play forward then backward (ping-pong) so motion stays continuous at every loop: the
tracker sees one long take, as in a real recording, rather than jumps it must re-detect.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

SHARED_DATA = Path(os.environ.get("POSELAB_TEST_DATA", "/work/shared/data"))
CLIPS = {
    "squats": SHARED_DATA / "mediapipe" / "pose_squats.mp4",
    "dance": SHARED_DATA / "videos" / "dance_600x600.mp4",
    "lab": SHARED_DATA / "videos" / "lab_single_portrait_60fps.mp4",
    "lab2": SHARED_DATA / "videos" / "lab_two_people_portrait_60fps.mp4",
}


def source_frames(path: Path, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """All frames of a short clip as RGB, optionally resized to (width, height)."""
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if size is not None:
                frame = frame.reformat(width=size[0], height=size[1])
            frames.append(frame.to_ndarray(format="rgb24"))
    return frames


def looped_clip(source: Path, out: Path, duration_s: float, fps: float,
                size: tuple[int, int] | None = None, preset: str = "veryfast") -> Path:
    """A ping-pong loop of ``source`` lasting ``duration_s`` at ``fps`` (reused when it exists).

    ``preset``: ``ultrafast`` makes long 1080p clips (10 min = 12,000 frames) in a few minutes."""
    if out.is_file():
        return out
    frames = source_frames(source, size)
    order = list(range(len(frames))) + list(range(len(frames) - 2, 0, -1))
    count = round(duration_s * fps)
    partial = out.with_suffix(".part.mp4")
    with av.open(str(partial), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": preset, "crf": "23"}
        stream.gop_size = max(1, round(fps))  # a keyframe a second, as phones record (x264 defaults to 250)
        for index in range(count):
            image = frames[order[index % len(order)]]
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    partial.rename(out)
    return out
