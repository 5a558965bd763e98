"""The CLI's all-or-nothing output folder, shared by ``analyze`` and ``library export``."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from poselab.errors import PoseLabError


class staging_dir:  # noqa: N801 - used as a context manager, reads like one
    """A temp folder beside ``out``; on success its files move into ``out``, on failure it vanishes."""

    def __init__(self, out: Path) -> None:
        self.out = out

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
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            for item in sorted(self.path.iterdir()):
                target = self.out / item.name
                if target.is_dir():
                    shutil.rmtree(target)
                shutil.move(str(item), str(target))
        except OSError as error:
            raise PoseLabError(f"cannot write the results into {self.out}: {error.strerror}") from None
