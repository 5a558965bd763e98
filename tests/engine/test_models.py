"""Model lookup and download against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from poselab.engine.models import ensure_model, find_model, verify_bundle
from poselab.errors import ModelError
from poselab.settings import variant_name


def _bundle_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("pose_detector.tflite", b"detector" * 100)
        bundle.writestr("pose_landmarks_detector.tflite", b"landmarks" * 100)
    return buffer.getvalue()


GOOD = _bundle_bytes()
ROUTES = {  # path -> (status, body, declared length)
    "good": (200, GOOD, len(GOOD)),
    "truncated": (200, GOOD[: len(GOOD) // 2], len(GOOD)),
    "missing": (404, b"not found", 9),
    "notzip": (200, b"<html>captive portal</html>", 27),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        name = self.path.strip("/").split("/")[0]
        status, body, length = ROUTES.get(name, (404, b"", 0))
        self.send_response(status)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def empty_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("POSELAB_MODEL_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "poselab" / "models"


def test_good_download_lands_in_the_cache(server: str, empty_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSELAB_MODEL_URL", server + "/good/{variant}.task")
    seen: list[tuple[int, int]] = []
    path = ensure_model("lite", progress=lambda done, total: seen.append((done, total)))
    assert path == empty_env / "pose_landmarker_lite.task"
    assert path.read_bytes() == GOOD and seen[-1] == (len(GOOD), len(GOOD))
    assert find_model(0) == path
    assert sorted(p.name for p in empty_env.iterdir()) == ["pose_landmarker_lite.task"]


@pytest.mark.parametrize("route", ["truncated", "missing", "notzip"])
def test_bad_downloads_leave_nothing_and_say_what_to_do(
    route: str, server: str, empty_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server + f"/{route}/{{variant}}.task"
    monkeypatch.setenv("POSELAB_MODEL_URL", url)
    with pytest.raises(ModelError) as caught:
        ensure_model("heavy")
    message = str(caught.value)
    assert "heavy" in message and url.format(variant="heavy") in message and "POSELAB_MODEL_DIR" in message
    assert not any(empty_env.iterdir())


def test_other_variants_keep_working_when_one_download_fails(
    server: str, empty_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty_env.mkdir(parents=True)
    (empty_env / "pose_landmarker_full.task").write_bytes(GOOD)
    monkeypatch.setenv("POSELAB_MODEL_URL", server + "/missing/{variant}.task")
    assert ensure_model("full") == empty_env / "pose_landmarker_full.task"
    with pytest.raises(ModelError):
        ensure_model("lite")


def test_model_dir_comes_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, empty_env: Path) -> None:
    (tmp_path / "pose_landmarker_full.task").write_bytes(GOOD)
    monkeypatch.setenv("POSELAB_MODEL_DIR", str(tmp_path))
    assert find_model("full") == tmp_path / "pose_landmarker_full.task"
    assert find_model("lite") is None


def test_verify_rejects_a_zip_without_the_models(tmp_path: Path) -> None:
    path = tmp_path / "x.task"
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("readme.txt", "hi")
    with pytest.raises(ModelError, match="lacks"):
        verify_bundle(path)


def test_variant_names() -> None:
    assert [variant_name(i) for i in (0, 1, 2)] == ["lite", "full", "heavy"]
    with pytest.raises(ModelError):
        variant_name(3)
    with pytest.raises(ModelError):
        variant_name("medium")
