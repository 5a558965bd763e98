"""Which clips a batch covers, and the output folder each one gets.

INPUT arguments are files (taken as given, whatever their type: a bad one becomes a ``failed`` row with the
message ``analyze`` gives), folders (searched recursively for the supported types) or glob patterns.
"""

from __future__ import annotations

import glob
import hashlib
from collections import Counter
from pathlib import Path

from poselab.errors import InputError
from poselab.media.decode import SUPPORTED_TYPES


def find_clips(inputs: list[str]) -> list[Path]:
    """Every clip the arguments name, each once, in a stable order (by path)."""
    found: dict[Path, None] = {}
    unmatched = []
    for text in inputs:
        path = Path(text).expanduser()
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*") if p.is_file() and _supported(p) and not _hidden(p, path))
        elif glob.has_magic(text) and not path.exists():
            matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
        else:
            matches = [path]  # a missing or unreadable file: its task says why, as `analyze` would
        if not matches:
            unmatched.append(text)
        found.update({p.absolute(): None for p in matches})
    if unmatched:
        raise InputError(f"no clips found in {', '.join(map(repr, unmatched))} "
                         f"(folders are searched for {', '.join(SUPPORTED_TYPES)})")
    if not found:
        raise InputError("no clips to analyse")
    return list(found)


def folder_names(clips: list[Path]) -> list[str]:
    """The output folder name of each clip: its file name without the extension, unless two clips share it;
    then the shared ones get a short hash of their path (stable from run to run, which resuming needs)."""
    stems = Counter(p.stem for p in clips)
    return [p.stem if stems[p.stem] == 1 else f"{p.stem}-{hashlib.sha256(str(p).encode()).hexdigest()[:8]}"
            for p in clips]


def _supported(path: Path) -> bool:
    return path.suffix.lower().lstrip(".") in SUPPORTED_TYPES


def _hidden(path: Path, root: Path) -> bool:
    """Dot files and folders (editor backups, a batch's own staging folders) are not clips."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)
