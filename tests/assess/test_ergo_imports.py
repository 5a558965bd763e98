"""assess/ builds on the vocabulary, motion and render modules only (never the engine, store, live or CLI)."""

from __future__ import annotations

import ast
from pathlib import Path

ASSESS = Path(__file__).resolve().parents[2] / "poselab" / "assess"
ALLOWED = ("poselab.assess", "poselab.skeleton", "poselab.sequence", "poselab.settings", "poselab.errors",
           "poselab.motion.angles", "poselab.motion.reps", "poselab.motion.smoothing", "poselab.motion.quality",
           "poselab.render")


def test_assess_imports_only_allowed_modules() -> None:
    bad = []
    for path in sorted(ASSESS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name.startswith("poselab") and name != "poselab" and not name.startswith(ALLOWED):
                    bad.append(f"{path.name}: {name}")
                if name.split(".")[0] in ("streamlit", "mediapipe", "av"):
                    bad.append(f"{path.name}: {name}")
    assert not bad, bad
