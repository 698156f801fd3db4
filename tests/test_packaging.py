"""Every package the code imports is declared, and the locks `make` installs carry a hash for every pin.

A package that is only installed because another one pulls it in (pillow came with streamlit) works
until that other package drops it; the import walk catches it. The runtime code (pipelines/,
dashboard/) may use only [project].dependencies; tests and bench may also use the dev extra.
"""
from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
LOCKS = {"run": ROOT / "requirements" / "run.txt", "test": ROOT / "requirements" / "test.txt"}


def _normal(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503): `Python_Calamine` is `python-calamine`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _names(requirements: list[str]) -> set[str]:
    return {_normal(re.match(r"[A-Za-z0-9._-]+", r.strip()).group()) for r in requirements}


RUNTIME = _names(PYPROJECT["dependencies"])
DEV = _names(PYPROJECT["optional-dependencies"]["dev"])
# An optional extra (`spark`: pyspark, sqlglot) is declared too: the runtime code imports it only where a
# command asks for it (linli build --engine spark) and says how to install it when it is missing.
OPTIONAL = set().union(*(_names(v) for k, v in PYPROJECT["optional-dependencies"].items() if k != "dev"))

# Our own top-level names: the packages at the root, and bench's scripts, which import each other
# (tests/bench puts bench/ on sys.path).
FIRST_PARTY = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()} | {
    p.stem for p in (ROOT / "bench").glob("*.py")
}


def _top_level_imports(folder: str) -> dict[str, set[str]]:
    """Each top-level module name imported anywhere under `folder` (inside functions too) -> the files."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                found.setdefault(module.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def _undeclared(folders: list[str], declared: set[str]) -> list[str]:
    distributions = importlib.metadata.packages_distributions()
    problems = []
    for folder in folders:
        for name, files in sorted(_top_level_imports(folder).items()):
            if name in sys.stdlib_module_names or name in FIRST_PARTY:
                continue
            owners = {_normal(d) for d in distributions.get(name, [])}
            if not owners:
                problems.append(f"{name} (in {', '.join(sorted(files))}) comes from no installed distribution")
            elif not owners & declared:
                problems.append(f"{name} (in {', '.join(sorted(files))}) comes from {', '.join(sorted(owners))}, "
                                "which pyproject.toml does not declare")
    return problems


def test_runtime_code_imports_only_declared_dependencies():
    assert _undeclared(["pipelines", "dashboard"], RUNTIME | OPTIONAL) == []


def test_tests_and_bench_import_only_declared_dependencies_or_the_dev_extra():
    assert _undeclared(["tests", "bench"], RUNTIME | DEV) == []


def test_the_walk_sees_what_the_code_imports():
    """Guards the two tests above against passing because the walk found nothing."""
    imported = _top_level_imports("pipelines").keys() | _top_level_imports("dashboard").keys()
    assert {"PIL", "duckdb", "polars", "streamlit", "fpdf", "vl_convert", "pipelines"} <= imported
    assert {"pipelines", "dashboard", "tests"} <= FIRST_PARTY
    assert importlib.metadata.packages_distributions()["PIL"] == ["pillow"]


def _lock_entries(path: Path) -> list[str]:
    """The requirements of a lock, each with its `--hash=` options (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _pins(path: Path) -> dict[str, str]:
    return {_normal(name): version
            for name, version in (re.match(r"([A-Za-z0-9._-]+)==(\S+)", e).groups() for e in _lock_entries(path))}


@pytest.mark.parametrize("lock", LOCKS.values(), ids=LOCKS.keys())
def test_every_requirement_in_a_lock_is_pinned_with_a_hash(lock):
    entries = _lock_entries(lock)
    assert len(entries) > 20
    unpinned = [e.split()[0] for e in entries if not re.match(r"[A-Za-z0-9._-]+==\S+ ", e)]
    unhashed = [e.split()[0] for e in entries if not re.search(r"--hash=sha256:[0-9a-f]{64}\b", e)]
    assert unpinned == [] and unhashed == []


@pytest.mark.parametrize("lock", LOCKS.values(), ids=LOCKS.keys())
def test_a_lock_says_how_to_regenerate_it(lock):
    header = lock.read_text(encoding="utf-8").split("\n", 3)[:3]
    assert header[0].startswith("#") and "uv pip compile pyproject.toml" in header[1]
    assert f"-o requirements/{lock.name}" in header[1] and "--generate-hashes" in header[1]


def test_make_run_gets_no_test_tools_and_make_test_the_same_versions_plus_them():
    run, test = _pins(LOCKS["run"]), _pins(LOCKS["test"])
    assert RUNTIME <= run.keys()                         # a dependency added to pyproject is in the lock
    assert DEV <= test.keys() and not DEV & run.keys()   # pytest, playwright, pypdf only for make test
    assert {name: test[name] for name in run} == run     # the app runs on the versions the tests ran on
