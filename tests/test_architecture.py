"""The import architecture (issue 14), read from the source with ``ast``: no circles, wings import one way.

Every import counts, also one inside a function or under ``TYPE_CHECKING``: a late import dodges a circle
at import time but the two modules still know each other. The last tests feed the same checks a
synthetic tree with each fault, so they are seen to fail.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO

# A module imports from its own wing and from lower layers only; never from a higher layer, nor from another
# wing of its own layer. A new wing (a folder under poselab/) must be placed here before anything imports it.
# cli/ sits above parallel/: it runs its analyses through parallel/analyze.py (serially unless --workers).
LAYERS: dict[str, int] = {
    "vocabulary": 0,  # poselab/{skeleton,sequence,settings,errors}.py and poselab/__init__.py
    "media": 1,
    "motion": 1,
    "render": 1,
    "assess": 2,
    "engine": 3,
    "store": 3,
    "live": 4,
    "parallel": 4,
    "batch": 5,  # batch analysis on Dask: runs its clips through cli/'s analyze path handed in as the task
    "cli": 6,
    "__main__": 7,
}
VOCABULARY = {"poselab", "poselab.skeleton", "poselab.sequence", "poselab.settings", "poselab.errors"}
LANDMARKER = "poselab.engine.landmarker"
UI_PACKAGES = ("streamlit", "streamlit_webrtc", "components")


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name; a submodule when ``from package import submodule``
    names: tuple[str, ...]  # names taken from ``module`` (empty for ``import x`` and submodules)
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def scan(root: Path, folders: tuple[str, ...] = ("poselab", "components")) -> dict[str, list[Import]]:
    """Every module under ``folders`` of ``root`` and what it imports."""
    paths = {}
    for folder in folders:
        base = root / folder
        found = [base] if base.is_file() else sorted(base.rglob("*.py")) if base.is_dir() else []
        paths.update({module_name(p, root): p for p in found if ".venv" not in p.parts})
    return {name: _imports(path, name, set(paths)) for name, path in paths.items()}


def _imports(path: Path, name: str, known: set[str]) -> list[Import]:
    found = []
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = []
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    found.append(Import(f"{base}.{alias.name}", (), node.lineno))
                else:
                    names.append(alias.name)
            if names:
                found.append(Import(base, tuple(names), node.lineno))
    return found


def graph(modules: dict[str, list[Import]]) -> dict[str, set[str]]:
    """Module -> the scanned modules it imports."""
    return {name: {i.module for i in imports if i.module in modules and i.module != name}
            for name, imports in modules.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def wing(module: str) -> str:
    if module in VOCABULARY:
        return "vocabulary"
    return module.split(".")[1]


def layer_violations(modules: dict[str, list[Import]]) -> list[str]:
    problems = []
    for source, targets in graph(modules).items():
        if not source.startswith("poselab"):
            continue
        for target in sorted(targets):
            if not target.startswith("poselab"):
                continue
            here, there = wing(source), wing(target)
            if here not in LAYERS or there not in LAYERS:
                problems.append(f"{source} -> {target}: place wing {here if here not in LAYERS else there!r} in LAYERS")
            elif here != there and LAYERS[there] >= LAYERS[here]:
                problems.append(f"{source} ({here}, layer {LAYERS[here]}) imports {target} "
                                f"({there}, layer {LAYERS[there]})")
    return problems


def forbidden_imports(modules: dict[str, list[Import]]) -> list[str]:
    """The core importing UI code, and any module but the landmarker importing MediaPipe (benchmarks and
    tests may: they time and check MediaPipe itself)."""
    problems = []
    for source, imports in modules.items():
        if source.startswith(("bench.", "tests.")):
            continue
        for item in imports:
            top = item.module.split(".")[0]
            if source.startswith("poselab") and top in UI_PACKAGES:
                problems.append(f"{source}:{item.line} imports {item.module} (poselab stays UI-free)")
            if top == "mediapipe" and source != LANDMARKER:
                problems.append(f"{source}:{item.line} imports mediapipe (only {LANDMARKER} may)")
    return problems


def private_imports(modules: dict[str, list[Import]]) -> list[str]:
    """``from other_module import _name``: a private name used outside its module."""
    return [f"{source}:{item.line} imports {name} from {item.module}"
            for source, imports in modules.items() for item in imports
            for name in item.names
            if name.startswith("_") and not (name.startswith("__") and name.endswith("__")) and item.module != source]


CODE = scan(REPO)
EVERYTHING = scan(REPO, ("poselab", "components", "pages", "tests", "bench", "app.py"))


def test_the_scan_sees_the_wings() -> None:
    assert {"poselab.engine.landmarker", "poselab.parallel.analyze", "components.results"} <= set(CODE)
    assert "poselab.engine.pipeline" in graph(CODE)["poselab.parallel.analyze"]
    assert "poselab.parallel.workers" in graph(CODE)["poselab.parallel.analyze"]  # a late import counts too


def test_every_module_sits_in_a_placed_wing() -> None:
    # A new top-level module is not vocabulary by default: it goes into a wing, or VOCABULARY says why not.
    assert [m for m in CODE if m.startswith("poselab") and wing(m) not in LAYERS] == []


def test_no_import_circles() -> None:
    assert find_cycle(graph(CODE)) is None


def test_wings_import_one_way() -> None:
    assert layer_violations(CODE) == []


def test_the_core_imports_no_ui_and_only_the_landmarker_imports_mediapipe() -> None:
    assert forbidden_imports(EVERYTHING) == []


def test_no_module_imports_a_private_name_of_another() -> None:
    assert private_imports(EVERYTHING) == []


def _write(root: Path, files: dict[str, str]) -> dict[str, list[Import]]:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return scan(root)


def test_the_checks_fail_on_a_synthetic_tree_with_each_fault(tmp_path: Path) -> None:
    modules = _write(tmp_path, {
        "poselab/__init__.py": "",
        "poselab/sequence.py": "from poselab.media.decode import probe\n",  # vocabulary -> media: upwards
        "poselab/media/__init__.py": "",
        "poselab/media/decode.py": "import mediapipe\nfrom poselab.media.encode import _pad\n",
        "poselab/media/encode.py": "def f():\n    from poselab.media import decode\n",  # late import: a circle
        "poselab/engine/__init__.py": "",
        "poselab/engine/pipeline.py": "from poselab.parallel.workers import run\n",  # engine -> parallel: upwards
        "poselab/parallel/__init__.py": "",
        "poselab/parallel/workers.py": "from poselab.engine.pipeline import track\nimport streamlit\nrun = 1\n",
        "poselab/unplaced/__init__.py": "from poselab import sequence\n",  # a wing nobody placed
        "components/results.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                 "    from components.views import View\n",
        "components/views.py": "from components.results import show\n",
    })
    cycle = find_cycle(graph(modules))
    assert cycle is not None and cycle[0] == cycle[-1]
    assert find_cycle(graph({k: v for k, v in modules.items() if k.startswith("components")})) == [
        "components.results", "components.views", "components.results"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    problems = layer_violations(modules)
    assert any(p.startswith("poselab.sequence (vocabulary, layer 0) imports poselab.media.decode") for p in problems)
    assert any(p.startswith("poselab.engine.pipeline (engine, layer 3) imports poselab.parallel.workers")
               for p in problems)
    assert any("place wing 'unplaced'" in p for p in problems)
    assert [m for m in modules if m.startswith("poselab") and wing(m) not in LAYERS] == ["poselab.unplaced"]
    assert not any(p.startswith("poselab.parallel.workers") for p in problems)  # downwards is fine
    forbidden = forbidden_imports(modules)
    assert any(p.startswith("poselab.media.decode:1 imports mediapipe") for p in forbidden)
    assert any(p.startswith("poselab.parallel.workers:2 imports streamlit") for p in forbidden)
    assert private_imports(modules) == ["poselab.media.decode:2 imports _pad from poselab.media.encode"]
