"""The arrows of the tree run one way (issue 14): files → pipelines → sql → dashboard.

Every import is read from the source with `ast`, those inside functions included (an import moved into
a function to dodge a circle still makes one). The walk fails on a module of pipelines/ that imports
dashboard or streamlit, a dashboard module other than the read layer that imports duckdb, and any
circle between the project's modules.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("pipelines", "dashboard")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Every module this file imports: project modules by their full name, others by their top name."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:   # `from pkg import module` imports the module itself
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
    return {m if m.split(".")[0] in PACKAGES else m.split(".")[0] for m in found}


def _graph() -> dict[str, set[str]]:
    """Module -> the project modules it runs on import: those it names, and their packages' __init__
    (importing a.b.c runs a/__init__ and a/b/__init__ first)."""
    modules = _modules()
    known = set(modules)
    graph = {}
    for name, path in modules.items():
        found = _imports(path, name, known)
        parents = {".".join(m.split(".")[:i]) for m in found for i in range(1, m.count(".") + 1)}
        graph[name] = found | (parents & known) - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module (or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_walk_sees_imports_inside_functions_and_relative_ones(tmp_path):
    pkg = tmp_path / "pipelines"
    pkg.mkdir()
    (pkg / "a.py").write_text("def f():\n    from . import b\n    from dashboard.x import y\n")
    name = "pipelines.a"
    assert _imports(pkg / "a.py", name, {"pipelines.b", "dashboard.x"}) == {"pipelines.b", "dashboard.x"}
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_pipelines_never_import_the_dashboard_or_streamlit():
    wrong = {name: sorted(m for m in deps if m.split(".")[0] in ("dashboard", "streamlit"))
             for name, deps in _graph().items() if name.startswith("pipelines")}
    assert {k: v for k, v in wrong.items() if v} == {}


def test_only_the_read_layer_of_the_dashboard_talks_to_duckdb():
    users = sorted(name for name, deps in _graph().items() if name.startswith("dashboard") and "duckdb" in deps)
    assert users == ["dashboard.queries"]


def test_screens_and_parts_hold_no_sql():
    for path in [*(ROOT / "dashboard" / "screens").glob("*.py"), *(ROOT / "dashboard" / "parts").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bselect\s+[\w*]|\bfrom\s+(kpi|mart_|stg_|raw_)|\.execute\(", text, re.I), path.name


# The packages of pipelines/ in the order data flows: a package may import those before it, never after.
# Top-level modules (feeds, metrics, personal, periods, database, errors, …) are shared by all and import
# none of the packages, except the snapshot reader (it reads for the layers above it) and __main__.
LAYERS = ["records", "ingest", "forecast", "build", "lake", "present", "reports", "demo", "cli"]
READERS_ABOVE = ("pipelines.snapshot_reader", "pipelines.__main__")


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "pipelines" else None


def test_pipelines_packages_import_only_the_layers_below():
    wrong = []
    for name, deps in _graph().items():
        mine = _layer(name)
        for dep in deps:
            theirs = _layer(dep)
            if mine and theirs and mine != theirs and LAYERS.index(theirs) > LAYERS.index(mine):
                wrong.append(f"{name} -> {dep}")
            top_level = name.startswith("pipelines.") and name.count(".") == 1 and name not in READERS_ABOVE
            if top_level and theirs is not None:
                wrong.append(f"{name} -> {dep} (a shared top-level module reaching into a package)")
    assert sorted(wrong) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_circle_between_modules(package):
    graph = _graph()
    circles = [c for c in _cycles(graph) if c[0].startswith(package)]
    assert circles == []
