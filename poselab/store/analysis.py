"""A finished analysis as a folder: what the Analyze views, the Library and Live recordings exchange.

Layout of an analysis folder::

    sequence.npz      the PoseSequence (raw landmarks, exact round trip)
    source.<ext>      the input clip or image (frames for the inspector)
    annotated.mp4     the skeleton drawn on every frame (H.264), absent for images or --no-video
    analysis.json     name, content hash, settings, summary, created time
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from poselab.sequence import PoseSequence
from poselab.settings import InferenceSettings
from poselab.store.tables import summary

SEQUENCE_FILE = "sequence.npz"
ANNOTATED_FILE = "annotated.mp4"
RECORD_FILE = "analysis.json"


@dataclass
class Analysis:
    """One clip's results and the files behind them."""

    folder: Path
    sequence: PoseSequence
    settings: InferenceSettings
    name: str
    content_hash: str
    created_s: float = field(default_factory=time.time)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def source_path(self) -> Path | None:
        return next(iter(sorted(self.folder.glob("source.*"))), None)

    @property
    def annotated_path(self) -> Path | None:
        path = self.folder / ANNOTATED_FILE
        return path if path.is_file() else None

    def summary(self) -> dict[str, Any]:
        return summary(self.sequence)

    def save(self) -> None:
        """Writes sequence.npz and analysis.json (the media files are already in the folder)."""
        self.sequence.save_npz(self.folder / SEQUENCE_FILE)
        record = {
            "name": self.name,
            "content_hash": self.content_hash,
            "settings": self.settings.to_dict(),
            "created_s": self.created_s,
            "summary": self.summary(),
            "extra": self.extra,
        }
        (self.folder / RECORD_FILE).write_text(json.dumps(record, indent=2))

    @classmethod
    def load(cls, folder: Path) -> Analysis:
        record = json.loads((folder / RECORD_FILE).read_text())
        return cls(
            folder=folder,
            sequence=PoseSequence.load_npz(folder / SEQUENCE_FILE),
            settings=InferenceSettings.from_dict(record["settings"]),
            name=record["name"],
            content_hash=record["content_hash"],
            created_s=record.get("created_s", 0.0),
            extra=record.get("extra", {}),
        )


def content_hash(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (the cache key of a clip, whatever its name)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()
