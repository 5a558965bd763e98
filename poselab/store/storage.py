"""Where the library's files live: a folder (the default, ``$POSELAB_HOME/library``) or object storage
through fsspec (``POSELAB_STORAGE_URL=s3://bucket/prefix``, s3fs; ``POSELAB_STORAGE_OPTIONS`` a JSON object of
fsspec options such as ``{"endpoint_url": ...}``; credentials as boto reads them).

Every analysis is assembled in a local staging folder first. Publishing it is the atomic-commit rule:
the files go under the analysis's own id (a key no reader looks at: readers follow only ``complete`` rows,
and the row is inserted before the first byte is written), then ONE transaction marks the row complete.
A writer that dies leaves files under an id no complete row names: ``orphans`` finds them and recovery
deletes them; nobody is ever shown one.

With object storage, readers that need local files (the dashboard plays the annotated video, Analysis
loads the sequence) get them materialised in ``$POSELAB_HOME/cache/library/<id>/``, downloaded once.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from poselab.errors import InputError

_REMOTE_SCAN_EVERY_S = 300.0  # listing a bucket is slow and costs money: once per process every 5 minutes
_last_scan: dict[str, float] = {}


def storage_url(home: Path) -> str:
    """``$POSELAB_STORAGE_URL``, else the ``library`` folder under ``home``."""
    return os.environ.get("POSELAB_STORAGE_URL", "").strip() or str(home / "library")


class FileStore:
    """The files of complete analyses, local or remote, and the local folders writers and readers use."""

    def __init__(self, url: str, home: Path) -> None:
        self.url = url.rstrip("/")
        local = "://" not in self.url or self.url.startswith("file://")
        self.remote = not local
        root = Path(self.url.removeprefix("file://")) if local else home / "cache" / "library"
        self.staging_dir = (root if local else home / "library") / "staging"
        # Local: where complete analyses live. Remote: the local copies of those that were opened.
        self.analyses_dir = root / "analyses" if local else root
        self._fs: Any = None

    @property
    def fs(self) -> Any:
        """The fsspec file system (remote only), made on first use."""
        if self._fs is None:
            import fsspec

            protocol = self.url.split("://", 1)[0]
            try:
                options = json.loads(os.environ.get("POSELAB_STORAGE_OPTIONS", "") or "{}")
                if protocol == "s3":
                    options.setdefault("use_listings_cache", False)  # other replicas write too
                self._fs = fsspec.filesystem(protocol, **options)
            except (ValueError, ImportError, TypeError) as error:
                raise InputError(f"POSELAB_STORAGE_URL {self.url!r} is not usable: {error}") from None
        return self._fs

    def folders(self) -> list[Path]:
        return [self.staging_dir, self.analyses_dir]

    def _key(self, entry_id: str, name: str = "") -> str:
        return f"{self.url}/analyses/{entry_id}" + (f"/{name}" if name else "")

    def publish(self, staged: Path, entry_id: str) -> Path:
        """Puts a staged folder's files where readers will find them once the row is complete; returns the
        local folder that now holds them (the library folder, or the local cache copy)."""
        final = self.analyses_dir / entry_id
        if self.remote:
            for path in sorted(staged.iterdir()):
                self.fs.put_file(str(path), self._key(entry_id, path.name))
            final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, final)
        return final

    def unpublish(self, entry_id: str, final: Path, staged: Path) -> None:
        """Undoes ``publish`` when the database refused to record it."""
        os.replace(final, staged)
        if self.remote:
            self.remove_stored(entry_id)

    def available(self, folder: Path) -> bool:
        """Whether a complete entry's files can be had (remote ones are fetched on demand)."""
        return self.remote or folder.is_dir()

    def materialise(self, entry_id: str, folder: Path) -> None:
        """Makes ``folder`` hold the entry's files (a no-op for a local library or a cached copy)."""
        if not self.remote or folder.is_dir():
            return
        partial = folder.with_name(f".{entry_id}-{uuid.uuid4().hex[:8]}.part")
        partial.mkdir(parents=True)
        try:
            keys = self.fs.ls(self._key(entry_id), detail=False)
            if not keys:
                raise FileNotFoundError(f"no files under {self._key(entry_id)}")
            for key in keys:
                self.fs.get_file(key, str(partial / key.rstrip("/").rsplit("/", 1)[-1]))
            try:
                os.replace(partial, folder)
            except OSError:
                if not folder.is_dir():  # else another reader was quicker: theirs is the same
                    raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    def remove(self, entry_id: str) -> None:
        """Deletes an entry's files (after its row is gone)."""
        shutil.rmtree(self.analyses_dir / entry_id, ignore_errors=True)
        if self.remote:
            self.remove_stored(entry_id)

    def remove_stored(self, entry_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self._key(entry_id), recursive=True)

    def stored_ids(self, force: bool = False) -> list[str] | None:
        """Ids with files in object storage (None: local, or scanned too recently to scan again)."""
        if not self.remote:
            return None
        now = time.monotonic()
        if not force and now - _last_scan.get(self.url, -_REMOTE_SCAN_EVERY_S) < _REMOTE_SCAN_EVERY_S:
            return None
        _last_scan[self.url] = now
        try:
            keys = self.fs.ls(f"{self.url}/analyses", detail=False)
        except FileNotFoundError:
            return []
        return [key.rstrip("/").rsplit("/", 1)[-1] for key in keys]
