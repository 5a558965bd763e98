"""One writer of the concurrency test: ``python -m tests.store.library_worker PREFIX COUNT`` saves COUNT
analyses into the library that POSELAB_HOME / POSELAB_DATABASE_URL name, renames each, deletes every third,
opening a new Library (which runs recover()) each time, as separate page reruns would."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from poselab.store.library import Library
from tests.store.test_library import make_analysis


def main(prefix: str, count: int) -> None:
    with tempfile.TemporaryDirectory(prefix=f"writer-{prefix}-") as scratch:
        original = make_analysis(Path(scratch) / "a", name=f"{prefix}-draft")
        for index in range(count):
            library = Library()
            original.name = f"{prefix}-{index}"
            entry = library.save(original)
            Library().rename(entry.id, f"{prefix}-{index}-renamed")
            if index % 3 == 2:
                Library().delete(entry.id)
    print("done", prefix)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
