"""Bad input catalogue through the CLI: each entry gets correct results or exit 2 with one ``error: ...`` line.

Never a traceback, never a hang, never anything left in (or beside) ``--out`` after a refusal. The inputs are
built here in temporary folders (no media is committed); ``tests/test_page_bad_input.py`` reuses the builders.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import resource
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pandas as pd
import pytest

from poselab.media.decode import iter_frames, probe
from tests.conftest import REPO, write_test_clip

CLI_TIMEOUT_S = 180

# ---------------------------------------------------------------------------------------------- input builders


def write_clip(path: Path, frames_rgb: list[np.ndarray], times_s: list[float] | None = None, fps: float = 10.0,
               codec: str = "libx264") -> Path:
    """An H.264 mp4 of ``frames_rgb``; ``times_s`` gives each frame's presentation time (variable rate)."""
    height, width = frames_rgb[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)  # else the encoder rounds times to 1/fps
        for index, image_rgb in enumerate(frames_rgb):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image_rgb), format="rgb24")
            frame.pts = round((times_s[index] if times_s else index / fps) * 1000)
            frame.time_base = Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def set_rotation(path: Path, matrix: tuple[int, ...] = (0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30)) -> Path:
    """Patch the first track's tkhd display matrix; the default is a phone's portrait (90 degrees clockwise)."""
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd")
    version = data[at + 4]
    # version/flags, times, track id, reserved, duration, reserved(8), layer, group, volume, reserved: then matrix
    offset = at + 4 + 4 + (8 if version == 0 else 16) + 4 + 4 + (4 if version == 0 else 8) + 8 + 8
    data[offset:offset + 36] = struct.pack(">9i", *matrix)
    path.write_bytes(bytes(data))
    return path


def png_bytes(width: int, height: int, pixel_rows: bool = True) -> bytes:
    """A grey RGB PNG; with ``pixel_rows=False`` only the header claims the size (a decompression bomb)."""
    raw = b"".join(b"\0" + b"\x80" * (3 * width) for _ in range(height)) if pixel_rows else b""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def write_audio_only(path: Path) -> Path:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=44100)
        for index in range(20):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, index * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def write_truncated(path: Path) -> Path:
    """An mp4 cut in half: PyAV writes ``moov`` last, so the index is gone."""
    whole = write_test_clip(path.with_suffix(".whole.mp4"), frames=30)
    data = whole.read_bytes()
    whole.unlink()
    assert data.rfind(b"moov") > len(data) // 2, "the test clip should hold moov at its end"
    path.write_bytes(data[: len(data) // 2])
    return path


def hls_playlist(url: str) -> str:
    return f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n{url}\n#EXT-X-ENDLIST\n"


def ffconcat_playlist(url: str) -> str:
    return f"ffconcat version 1.0\nfile '{url}'\n"


# name -> (builder(folder) -> path, a fragment the one error line must hold)
REFUSED: dict[str, tuple[Callable[[Path], Path], str]] = {
    "empty": (lambda d: _write(d / "empty.mp4", b""), "is empty"),
    "random bytes": (lambda d: _write(d / "noise.mp4", np.random.default_rng(7).bytes(4096)), "not a supported"),
    "text": (lambda d: _write(d / "notes.mp4", b"just some text, not a video\n" * 20), "not a supported"),
    "truncated mp4": (lambda d: write_truncated(d / "half.mp4"), "cannot be read as a video"),
    "audio only": (lambda d: write_audio_only(d / "song.mp4"), "no video track"),
    "zero-size png": (lambda d: _write(d / "zero.png", png_bytes(0, 10)), "cannot be read as an image"),
    "absurd png header": (lambda d: _write(d / "bomb.png", png_bytes(60000, 60000, False)), "exceeds limit"),
    "large png header": (lambda d: _write(d / "big.png", png_bytes(12000, 12000, False)), "the limit is 4096 px"),
    "too wide": (lambda d: write_test_clip(d / "wide.mp4", frames=2, size=(4352, 32)), "the limit is 4096 px"),
    "too small": (lambda d: write_test_clip(d / "tiny.mp4", frames=2, size=(8, 8)), "the minimum is 16 px"),
    "too long": (lambda d: write_clip(d / "long.mp4", [np.zeros((48, 64, 3), np.uint8)] * 3, [0.0, 1.0, 700.0]),
                 "the limit is 600 s"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------------------- CLI helpers


def run_cli(input_path: Path, out: Path, *extra: str, env: dict[str, str] | None = None,
            preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "poselab", "analyze", str(input_path), "--out", str(out), "--model", "lite",
               *extra]
    return subprocess.run(command, cwd=REPO, env=os.environ | (env or {}), capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_S, preexec_fn=preexec, check=False)


def assert_refused(result: subprocess.CompletedProcess[str], out: Path, fragment: str, alone: bool = True) -> None:
    """Exit 2, one ``error:`` line (the last; with ``alone`` the only line on stderr) holding ``fragment``,
    no traceback, nothing in or beside ``out``. Runs that loaded MediaPipe also carry its log and progress."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert lines and lines[-1].startswith("error: "), result.stderr
    assert sum(line.startswith("error:") for line in lines) == 1, result.stderr
    assert len(lines) == 1 or not alone, result.stderr
    assert fragment in lines[-1], lines[-1]
    assert not out.exists(), f"{out} was created: {list(out.iterdir())}"
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    assert not leftovers, f"staging folders left behind: {leftovers}"


def read_outputs(out: Path) -> tuple[dict, pd.DataFrame]:
    return json.loads((out / "summary.json").read_text()), pd.read_csv(out / "landmarks.csv")


# ---------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("name", list(REFUSED))
def test_cli_refuses_bad_input_with_one_clear_line(name: str, tmp_path: Path) -> None:
    build, fragment = REFUSED[name]
    source = build(tmp_path)
    out = tmp_path / "results"
    assert_refused(run_cli(source, out), out, fragment)


@contextlib.contextmanager
def recording_http_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server recording every request path: a refused playlist must cause none."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http_log() -> Iterator[tuple[str, list[str]]]:
    with recording_http_server() as log:
        yield log


@pytest.mark.parametrize("kind", ["hls", "ffconcat"])
def test_playlist_disguised_as_mp4_is_refused_without_fetching(kind: str, tmp_path: Path,
                                                              http_log: tuple[str, list[str]]) -> None:
    base_url, requests = http_log
    text = hls_playlist(f"{base_url}/{kind}-segment.ts") if kind == "hls" else ffconcat_playlist(f"{base_url}/x.mp4")
    source = tmp_path / f"{kind}.mp4"
    source.write_text(text)
    out = tmp_path / "results"
    assert_refused(run_cli(source, out), out, "not a supported video")
    with pytest.raises(Exception, match="not a supported"):
        probe(source)
    assert requests == [], f"the playlist's target was fetched: {requests}"


def test_ffconcat_control_shows_the_detector_works(tmp_path: Path, http_log: tuple[str, list[str]]) -> None:
    """Unrestricted FFmpeg does follow the playlist, so an empty request log above means something."""
    base_url, requests = http_log
    source = tmp_path / "cat.mp4"
    source.write_text(ffconcat_playlist(f"{base_url}/followed.mp4"))
    with pytest.raises(av.FFmpegError):
        av.open(str(source), format="concat", options={"safe": "0", "protocol_whitelist": "file,http,tcp"})
    assert requests == ["/followed.mp4"]


@pytest.mark.parametrize(("variable", "value", "fragment"), [
    ("POSELAB_MAX_FRAMES", "5", "the limit is 5"),
    ("POSELAB_MAX_DURATION_S", "0.5", "the limit is 0 s"),  # 1 s clip; the message rounds to whole seconds
    ("POSELAB_MAX_SIDE_PX", "32", "the limit is 32 px"),
])
def test_configured_limits_are_named_in_the_message(variable: str, value: str, fragment: str, tmp_path: Path) -> None:
    source = write_test_clip(tmp_path / "clip.mp4", frames=10, size=(64, 48), fps=10.0)
    out = tmp_path / "results"
    assert_refused(run_cli(source, out, env={variable: value}), out, fragment)


def test_limit_hidden_from_the_header_is_caught_while_decoding(tmp_path: Path) -> None:
    """A container may understate its length; decoding stops at the limit with a message naming it."""
    from poselab.media.decode import Limits

    source = write_test_clip(tmp_path / "clip.mp4", frames=10)
    with pytest.raises(Exception, match="more than 4 frames"):
        list(iter_frames(source, Limits(max_frames=4)))


# ---------------------------------------------------------------------------------------------- storage failures


def test_missing_model_without_network_is_a_clear_message(tmp_path: Path) -> None:
    source = write_test_clip(tmp_path / "clip.mp4", frames=3)
    empty, cache, out = tmp_path / "no-models", tmp_path / "cache", tmp_path / "results"
    empty.mkdir()
    env = {"POSELAB_MODEL_DIR": str(empty), "XDG_CACHE_HOME": str(cache),
           "POSELAB_MODEL_URL": "http://127.0.0.1:9/pose_landmarker_{variant}.task"}
    assert_refused(run_cli(source, out, env=env), out, "could not download the lite model")
    assert not list(cache.rglob("*.part")), "a half-downloaded model was left behind"


def test_unwritable_model_dir_is_a_clear_message(tmp_path: Path) -> None:
    source = write_test_clip(tmp_path / "clip.mp4", frames=3)
    blocker = _write(tmp_path / "a-file", b"x")  # a folder can't be made under a file, even as root
    empty, out = tmp_path / "no-models", tmp_path / "results"
    empty.mkdir()
    env = {"POSELAB_MODEL_DIR": str(empty), "XDG_CACHE_HOME": str(blocker / "cache"), "MPLCONFIGDIR": str(empty)}
    assert_refused(run_cli(source, out, env=env), out, "cannot write the lite model")


def test_unwritable_out_dir_is_a_clear_message(tmp_path: Path, model_dir: Path) -> None:
    source = write_test_clip(tmp_path / "clip.mp4", frames=3)
    out = _write(tmp_path / "a-file", b"x") / "results"
    result = run_cli(source, out)
    assert result.returncode == 2 and result.stderr.startswith("error: cannot write into"), result.stderr
    assert "Traceback" not in result.stderr


def _file_size_limit(limit_bytes: int) -> Callable[[], None]:
    def apply() -> None:  # Python ignores SIGXFSZ, so a write past the limit fails with EFBIG like a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return apply


def test_full_disk_during_export_leaves_nothing_half_written(tmp_path: Path, squat_frames: list[np.ndarray],
                                                             model_dir: Path) -> None:
    source = write_clip(tmp_path / "squats.mp4", squat_frames[:6], fps=5.0)
    out = tmp_path / "results"
    result = run_cli(source, out, preexec=_file_size_limit(max(source.stat().st_size + 1, 20_000)))
    assert_refused(result, out, "cannot write the results", alone=False)


# ---------------------------------------------------------------------------------------------- correct results


@pytest.fixture(scope="module")
def squat_frames(test_data: Path) -> list[np.ndarray]:
    """The first frames of the shared portrait squats clip (720x1280, one person)."""
    frames = iter_frames(test_data / "mediapipe" / "pose_squats.mp4")
    return [next(frames).image_rgb for _ in range(8)]


def test_variable_frame_rate_keeps_real_times(tmp_path: Path, squat_frames: list[np.ndarray],
                                              model_dir: Path) -> None:
    times_s = [0.0, 0.1, 0.15, 0.4, 0.45, 1.0, 1.05, 1.6]
    source = write_clip(tmp_path / "vfr.mp4", squat_frames, times_s)
    assert [round(f.time_s, 3) for f in iter_frames(source)] == times_s
    out = tmp_path / "results"
    result = run_cli(source, out, "--no-video")
    assert result.returncode == 0, result.stderr
    summary, table = read_outputs(out)
    assert summary["frames"] == len(times_s)
    assert sorted(table["time_s"].round(3).unique()) == times_s  # a pose in every frame, at its own time


def test_rotated_phone_clip_comes_out_upright(tmp_path: Path, squat_frames: list[np.ndarray],
                                              model_dir: Path) -> None:
    """Stored landscape with a 90-degree display matrix, as phones do: analysed upright, same landmarks."""
    upright = write_clip(tmp_path / "upright.mp4", squat_frames[:4])
    stored_sideways = [np.rot90(image, k=1) for image in squat_frames[:4]]  # what the sensor wrote
    rotated = set_rotation(write_clip(tmp_path / "phone.mp4", stored_sideways))
    first = next(iter_frames(rotated)).image_rgb
    assert first.shape == squat_frames[0].shape
    assert np.abs(first.astype(int) - next(iter_frames(upright)).image_rgb).mean() < 4
    info = probe(rotated)
    assert (info.width, info.height, abs(info.rotation_deg)) == (720, 1280, 90)
    results = {}
    for clip in (upright, rotated):
        out = tmp_path / f"out-{clip.stem}"
        assert run_cli(clip, out, "--no-video").returncode == 0
        results[clip.stem] = read_outputs(out)
    assert results["phone"][0]["width"] == 720 and results["phone"][0]["frames_with_pose"] == 4
    xy = {name: table[["x_px", "y_px"]].to_numpy() for name, (_, table) in results.items()}
    assert xy["phone"].shape == xy["upright"].shape
    assert np.nanmedian(np.abs(xy["phone"] - xy["upright"])) < 10  # pixels; sideways would be hundreds off


def test_names_with_spaces_and_unicode(tmp_path: Path, model_dir: Path) -> None:
    folder = tmp_path / "my clips ü"
    folder.mkdir()
    source = write_test_clip(folder / "squat été 日本 #1.mp4", frames=4)
    out = folder / "résultats 1"
    result = run_cli(source, out)
    assert result.returncode == 0, result.stderr
    summary, _ = read_outputs(out)
    assert summary["source"] == "squat été 日本 #1.mp4" and summary["frames"] == 4
    assert (out / "annotated.mp4").stat().st_size > 0


def test_png_renamed_mp4_is_analysed_as_the_image_it_is(tmp_path: Path, test_data: Path, model_dir: Path) -> None:
    source = tmp_path / "photo.mp4"
    source.write_bytes((test_data / "mediapipe" / "pose.jpg").read_bytes())
    out = tmp_path / "results"
    result = run_cli(source, out)
    assert result.returncode == 0, result.stderr
    summary, table = read_outputs(out)
    assert (summary["frames"], summary["frames_with_pose"], summary["width"]) == (1, 1, 1000)
    assert len(table) == 33 and not (out / "annotated.mp4").exists()


def test_4k_clip(tmp_path: Path, squat_frames: list[np.ndarray], model_dir: Path) -> None:
    """Portrait UHD (2160x3840): the squats frames scaled up three times."""
    frames = [image.repeat(3, axis=0).repeat(3, axis=1) for image in squat_frames[:3]]
    source = write_clip(tmp_path / "uhd.mp4", frames)
    out = tmp_path / "results"
    result = run_cli(source, out)
    assert result.returncode == 0, result.stderr
    summary, table = read_outputs(out)
    assert (summary["width"], summary["height"], summary["frames"], summary["frames_with_pose"]) == (2160, 3840, 3, 3)
    assert table["y_px"].max() > 1280  # landmarks in 4K pixels, not in the 720p frame's
    with av.open(str(out / "annotated.mp4")) as annotated:
        assert (annotated.streams.video[0].width, annotated.streams.video[0].height) == (2160, 3840)
