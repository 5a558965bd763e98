"""The core stays UI-free: importing poselab and its non-UI modules loads no Streamlit."""

import subprocess
import sys

from tests.conftest import REPO


def test_poselab_imports_no_streamlit() -> None:
    code = (
        "import sys, poselab, poselab.cli.commands, poselab.engine.pipeline, poselab.render.plot3d\n"
        "import poselab.store.tables\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'streamlit']\n"
        "assert not bad, bad\n"
        "print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr


def test_only_the_landmarker_imports_mediapipe() -> None:
    importers = [
        path.relative_to(REPO).as_posix()
        for path in (REPO / "poselab").rglob("*.py")
        if any(line.lstrip().startswith(("import mediapipe", "from mediapipe"))
               for line in path.read_text().splitlines())
    ]
    assert importers == ["poselab/engine/landmarker.py"]
