"""The CLI's all-or-nothing output folder, shared by ``analyze`` and ``library export``."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from poselab.errors import PoseLabError


class staging_dir:  # noqa: N801 - used as a context manager, reads like one
    """A temp folder beside ``out``; on success its files move into ``out``, on failure it vanishes.

    ``whole=True`` publishes the folder itself with one rename (a previous ``out`` is moved aside first and
    removed after): a reader, or a process killed at any moment, sees the old folder or the new one, never
    a mix. ``batch`` needs that, since a folder's presence there means "this clip is done".
    """

    def __init__(self, out: Path, whole: bool = False) -> None:
        self.out = out
        self.whole = whole

    def __enter__(self) -> Path:
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.path = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", dir=self.out.parent))
        except OSError as error:
            raise PoseLabError(f"cannot write into {self.out.parent}: {error.strerror}") from None
        return self.path

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: object) -> None:
        try:
            if kind is None:
                self._publish()
        finally:
            shutil.rmtree(self.path, ignore_errors=True)

    def _publish(self) -> None:
        if self.whole:
            self._publish_whole()
            return
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            for item in sorted(self.path.iterdir()):
                target = self.out / item.name
                if target.is_dir():
                    shutil.rmtree(target)
                shutil.move(str(item), str(target))
        except OSError as error:
            raise PoseLabError(f"cannot write the results into {self.out}: {error.strerror}") from None

    def _publish_whole(self) -> None:
        old = self.path.with_name(self.path.name + ".old")
        moved = False
        try:
            os.chmod(self.path, 0o755)  # mkdtemp's 0700 would hide the results from the rest of a lab
            if self.out.exists():
                os.replace(self.out, old)
                moved = True
            os.replace(self.path, self.out)
        except OSError as error:
            if moved:  # put the previous results back rather than lose both
                with contextlib.suppress(OSError):
                    os.replace(old, self.out)
            raise PoseLabError(f"cannot write the results into {self.out}: {error.strerror}") from None
        shutil.rmtree(old, ignore_errors=True)
