"""Finding the pose landmarker bundles: $POSELAB_MODEL_DIR, then the user cache, else a download.

A download goes to a temporary file beside its destination and is renamed into place only once
it is verified to be a pose landmarker bundle, so a broken download never poses as a model.
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from poselab.errors import ModelError
from poselab.settings import variant_name  # the model names are settings' vocabulary

MODEL_DIR_ENV = "POSELAB_MODEL_DIR"
MODEL_URL_ENV = "POSELAB_MODEL_URL"
OFFICIAL_URL = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{variant}/float16/latest/pose_landmarker_{variant}.task"
)
_BUNDLE_MEMBERS = {"pose_detector.tflite", "pose_landmarks_detector.tflite"}
_CHUNK_BYTES = 1 << 16

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total or 0 when unknown)


def file_name(variant: str) -> str:
    return f"pose_landmarker_{variant}.task"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "poselab" / "models"


def model_url(variant: str) -> str:
    template = os.environ.get(MODEL_URL_ENV) or OFFICIAL_URL
    return template.format(variant=variant)


def find_model(model: str | int) -> Path | None:
    """The bundle's path when it is already on disk, else None (nothing is downloaded)."""
    name = file_name(variant_name(model))
    candidates = []
    if os.environ.get(MODEL_DIR_ENV):
        candidates.append(Path(os.environ[MODEL_DIR_ENV]) / name)
    candidates.append(cache_dir() / name)
    return next((path for path in candidates if path.is_file()), None)


def ensure_model(model: str | int, progress: ProgressFn | None = None) -> Path:
    """The bundle's path, downloading it into the user cache when it is nowhere on disk."""
    variant = variant_name(model)
    found = find_model(variant)
    if found is not None:
        return found
    return download_model(variant, cache_dir() / file_name(variant), progress)


def download_model(variant: str, dest: Path, progress: ProgressFn | None = None) -> Path:
    url = model_url(variant)
    advice = f"download it by hand from {url} or set {MODEL_DIR_ENV} to a folder holding {file_name(variant)}"
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as error:
        raise ModelError(f"cannot write the {variant} model into {dest.parent} ({error.strerror}); {advice}") from None
    temp_path = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            _fetch(url, out, progress)
        verify_bundle(temp_path, variant)
        os.replace(temp_path, dest)
    except (urllib.error.URLError, OSError, ValueError, ModelError) as error:
        reason = getattr(error, "reason", None) or getattr(error, "strerror", None) or error
        raise ModelError(f"could not download the {variant} model from {url} ({reason}); {advice}") from None
    finally:
        temp_path.unlink(missing_ok=True)
    return dest


def verify_bundle(path: Path, variant: str = "pose") -> None:
    """Raise ModelError unless ``path`` is a zip holding both pose .tflite models, undamaged."""
    try:
        with zipfile.ZipFile(path) as bundle:
            missing = _BUNDLE_MEMBERS - set(bundle.namelist())
            damaged = bundle.testzip()
    except (zipfile.BadZipFile, OSError) as error:
        raise ModelError(f"{path.name} is not a {variant} model bundle ({error})") from None
    if missing:
        raise ModelError(f"the {variant} model file {path.name} lacks {', '.join(sorted(missing))}")
    if damaged:
        raise ModelError(f"the {variant} model file {path.name} is damaged ({damaged})")


def _fetch(url: str, out, progress: ProgressFn | None) -> None:
    with urllib.request.urlopen(url, timeout=30) as response:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        while chunk := response.read(_CHUNK_BYTES):
            out.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    if total and done != total:
        raise ValueError(f"received {done} of {total} bytes")
