"""Resuming and idempotence: a clip whose complete output exists for the same bytes and settings is skipped.

A clip's folder gets ``batch.json`` (its key and its row) in the staging folder, before the folder is renamed
into place; so a folder with a matching ``batch.json`` is complete, and nothing else counts. The key is the
library cache's (content hash + ``run_key`` of the inference settings) plus a hash of the options that
shape the files (smoothing, angles, reps, ergonomics, ``--no-video``, ...).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from poselab.settings import InferenceSettings, run_key

DONE_FILE = "batch.json"


@dataclass(frozen=True)
class ClipKey:
    content_hash: str
    settings_key: str
    options_key: str

    @classmethod
    def of(cls, content_hash: str, settings: InferenceSettings, options: dict[str, Any]) -> ClipKey:
        text = json.dumps({k: str(v) for k, v in options.items()}, sort_keys=True)
        return cls(content_hash, run_key(settings), hashlib.sha256(text.encode()).hexdigest()[:16])

    def to_dict(self) -> dict[str, str]:
        return {"content_hash": self.content_hash, "settings_key": self.settings_key,
                "options_key": self.options_key}


def finished_row(folder: Path, key: ClipKey | None) -> dict[str, Any] | None:
    """The row stored with a complete output of this key in ``folder``, else None."""
    if key is None:
        return None
    try:
        record = json.loads((folder / DONE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return record.get("row") if record.get("key") == key.to_dict() else None


def write_done(staging: Path, key: ClipKey | None, row: dict[str, Any]) -> None:
    record = {"key": key.to_dict() if key is not None else None, "row": row}
    (staging / DONE_FILE).write_text(json.dumps(record, indent=2) + "\n")


def remove_leftovers(out: Path, names: list[str]) -> list[Path]:
    """Staging folders an interrupted batch left beside its clips' folders (``.<name>.<random>``)."""
    removed = []
    wanted = {f".{name}." for name in names}
    for path in out.iterdir() if out.is_dir() else []:
        if path.is_dir() and any(path.name.startswith(prefix) for prefix in wanted):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
