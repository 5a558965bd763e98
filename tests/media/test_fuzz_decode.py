"""Fuzzing the decoding boundary: sniff_kind, probe and iter_frames on mutated and random files.

Every case runs in a worker process with a time limit, so a hang (past ``CASE_TIMEOUT_S``) or a crash of the
process (a signal from FFmpeg) is caught and reported with the input that caused it; the worker is then restarted.
Allowed outcomes are frames (checked for shape, dtype, order) or a ``PoseLabError``; anything else fails.

The default run is quick; the full run (>= 10,000 cases) is::

    POSELAB_FUZZ_EXAMPLES=10000 .venv/bin/pytest tests/media/test_fuzz_decode.py -q -s
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO

EXAMPLES = int(os.environ.get("POSELAB_FUZZ_EXAMPLES", "300"))
CASE_TIMEOUT_S = 20.0
WORKER_MEMORY_BYTES = 4 << 30
MAX_FRAMES_PER_CASE = 40  # decode a bounded prefix: enough to reach damaged packets, keeps cases fast


# ---------------------------------------------------------------------------------------------- the worker


def worker_main() -> None:
    """Reads one file path per line, decodes it, answers one JSON line: {"outcome": ..., "detail": ...}."""
    import resource

    from poselab.errors import PoseLabError
    from poselab.media.decode import Limits, iter_frames, probe, sniff_kind

    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    limits = Limits(max_frames=MAX_FRAMES_PER_CASE + 1000)
    for line in sys.stdin:
        path = Path(line.strip())
        try:
            sniff_kind(path)
            info = probe(path, limits)
            frames = 0
            last_time_s = -1.0
            for frame in iter_frames(path, limits):
                image = frame.image_rgb
                assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3, image.shape
                assert image.flags["C_CONTIGUOUS"], "frame not C-contiguous"
                assert frame.index == frames and frame.time_s > last_time_s, (frame.index, frame.time_s)
                last_time_s = frame.time_s
                frames += 1
                if frames >= MAX_FRAMES_PER_CASE:
                    break
            answer = {"outcome": "frames", "detail": f"{info.width}x{info.height} {frames} frames"}
        except PoseLabError as error:
            answer = {"outcome": "refused", "detail": str(error)}
        except BaseException:  # anything else is a finding: report it, keep serving
            answer = {"outcome": "bug", "detail": traceback.format_exc()}
        print(json.dumps(answer), flush=True)


class Worker:
    """The decoding worker process: restarted after a crash or a hang."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.restarts = 0

    def _start(self) -> subprocess.Popen[str]:
        command = [sys.executable, "-c", "from tests.media.test_fuzz_decode import worker_main; worker_main()"]
        return subprocess.Popen(command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def run(self, path: Path) -> dict[str, str]:
        if self.process is None or self.process.poll() is not None:
            self.process = self._start()
        process = self.process
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(f"{path}\n")
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], CASE_TIMEOUT_S)
        if not ready:
            self.stop()
            return {"outcome": "hang", "detail": f"no answer within {CASE_TIMEOUT_S:.0f} s"}
        line = process.stdout.readline()
        if not line:
            code = process.wait(timeout=10)
            self.process = None
            self.restarts += 1
            return {"outcome": "crash", "detail": f"worker died with exit code {code}"}
        return json.loads(line)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # our own child, by its handle
            self.process.wait(timeout=10)
        self.process = None
        self.restarts += 1


# ---------------------------------------------------------------------------------------------- seeds and strategies


def _write_seed_clip(path: Path, codec: str, fmt: str | None, frames: int = 6, pix_fmt: str = "yuv420p") -> Path:
    rng = np.random.default_rng(3)
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=Fraction(10))
        stream.width, stream.height, stream.pix_fmt = 48, 32, pix_fmt
        for _ in range(frames):
            image = rng.integers(0, 255, (32, 48, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def build_seeds(folder: Path) -> list[bytes]:
    """Small valid files of every container and image kind we accept: the starting points of mutation."""
    from PIL import Image

    clips = [
        _write_seed_clip(folder / "a.mp4", "libx264", "mp4"),
        _write_seed_clip(folder / "b.mkv", "libx264", "matroska"),
        _write_seed_clip(folder / "c.webm", "libvpx", "webm"),
        _write_seed_clip(folder / "d.avi", "mpeg4", "avi"),
        _write_seed_clip(folder / "e.mov", "mjpeg", "mov", pix_fmt="yuvj420p"),
    ]
    image = Image.fromarray(np.random.default_rng(5).integers(0, 255, (20, 24, 3), dtype=np.uint8))
    image.save(folder / "f.png")
    image.save(folder / "g.jpg")
    return [path.read_bytes() for path in [*clips, folder / "f.png", folder / "g.jpg"]]


MAGIC_PREFIXES = [b"\x00\x00\x00\x18ftypisom", b"\x1aE\xdf\xa3", b"RIFF\x00\x00\x00\x00AVI ",
                  b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"#EXTM3U\n", b"ffconcat version 1.0\n"]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        operation = draw(st.sampled_from(["flip", "overwrite", "truncate", "insert", "duplicate", "zero"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if operation == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif operation == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[at:at + len(chunk)] = chunk
        elif operation == "truncate":
            del data[max(at, 1):]
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif operation == "duplicate":
            size = draw(st.integers(1, 256))
            data[at:at] = data[at:at + size]
        elif operation == "zero":
            size = draw(st.integers(1, 64))
            data[at:at + size] = bytes(len(data[at:at + size]))
    return bytes(data)


def inputs(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(
        mutated(seeds),
        mutated(seeds),
        mutated(seeds),  # mostly near-valid files: they get deepest into the demuxers and decoders
        st.binary(max_size=2048),
        st.builds(lambda prefix, tail: prefix + tail, st.sampled_from(MAGIC_PREFIXES), st.binary(max_size=2048)),
    )


# ---------------------------------------------------------------------------------------------- the test


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    running = Worker()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    return build_seeds(tmp_path_factory.mktemp("fuzz-seeds"))


def test_seeds_decode_cleanly(seeds: list[bytes], worker: Worker, tmp_path: Path) -> None:
    """The unmutated seeds give frames: the fuzz starts from inputs that reach the decoders."""
    for index, data in enumerate(seeds):
        path = tmp_path / f"seed{index}"
        path.write_bytes(data)
        assert worker.run(path)["outcome"] == "frames", index


def test_fuzz_decoding_never_hangs_or_crashes(seeds: list[bytes], worker: Worker, tmp_path: Path) -> None:
    """Every case runs to its end; distinct findings are collected (first input of each kept) and reported."""
    case_path = tmp_path / "case.mp4"
    tally: dict[str, int] = {}
    findings: dict[str, Path] = {}
    started = time.monotonic()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=EXAMPLES < 1000,
              suppress_health_check=list(HealthCheck))
    @given(case=inputs(seeds))
    def check(case: bytes) -> None:
        case_path.write_bytes(case)
        answer = worker.run(case_path)
        tally[answer["outcome"]] = tally.get(answer["outcome"], 0) + 1
        if answer["outcome"] not in ("frames", "refused"):
            lines = answer["detail"].strip().splitlines()
            signature = f"{answer['outcome']}: " + " | ".join(lines[-3:])
            if signature not in findings:
                findings[signature] = tmp_path / f"finding-{len(findings)}.bin"
                findings[signature].write_bytes(case)

    check()
    cases = sum(tally.values())
    print(f"\nfuzz: {cases} cases in {time.monotonic() - started:.0f} s: {tally}, worker restarts {worker.restarts}")
    assert not findings, "\n".join(f"{sig}\n  input kept in {path}" for sig, path in findings.items())
    assert tally.get("frames", 0) > 0 and tally.get("refused", 0) > 0  # both paths were exercised
