"""The shape of the code: the cycle sits above its ports (importing it pulls in no adapter)
and the imports have no circle, counting the ones made inside functions."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("sync", "scoring")
ADAPTERS = ("sync.google", "sync.outputs", "sync.sources")
# client libraries only an adapter may need
ADAPTER_LIBRARIES = ("googleapiclient", "gspread", "openpyxl", "docx", "segno", "aiosmtpd")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, in functions too, except under ``if TYPE_CHECKING``."""
    found: list[ast.Import | ast.ImportFrom] = []
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            todo.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif node.module and node.level == 0:
                deps.add(node.module)
                deps |= {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return circles


def test_the_walker_finds_a_circle():
    """The check itself: a made-up circle is found, a chain is not."""
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert _circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import sync.cycle\n"
        "def f():\n    import sync.state\n"
    )
    names = [a.name for n in _imports(tree) if isinstance(n, ast.Import) for a in n.names]
    assert names == ["sync.state"]  # the lazy import counts, the type-only one does not


def test_no_import_circle():
    graph = _graph()
    assert "sync.cycle" in graph and "sync.letters" in graph["sync.cycle"]
    assert _circles(graph) == []


def test_importing_the_cycle_pulls_in_no_adapter():
    """A fresh interpreter: what ``import sync.cycle`` loads."""
    code = "import json, sys, sync.cycle\nprint(json.dumps(sorted(sys.modules)))\n"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    assert "sync.cycle" in loaded and "sync.ports" in loaded
    adapters = [m for m in loaded if m.startswith(ADAPTERS)]
    libraries = [m for m in loaded if m.split(".")[0] in ADAPTER_LIBRARIES]
    assert adapters == [] and libraries == []


def test_the_sample_generator_is_not_installed():
    """The sample ward's generator is a developer tool (tools/, run from a checkout): the
    installed packages hold no sample module, pyproject's package list leaves tools/ out,
    and no installed module imports it (it would fail for a user who ran pip install)."""
    find = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]["packages"]["find"]

    def installed(package: str) -> bool:  # setuptools matches dotted names with fnmatch
        return any(fnmatch(package, p) for p in find.get("include", ["*"])) and not any(
            fnmatch(package, p) for p in find.get("exclude", [])
        )

    assert (ROOT / "tools" / "sample_ward" / "__init__.py").is_file()
    assert all(installed(pkg) for pkg in PACKAGES)
    assert not installed("tools") and not installed("tools.sample_ward")
    modules = _modules()
    assert [name for name in modules if name.rsplit(".", 1)[-1].startswith("sample")] == []
    uses_tools = sorted(
        name
        for name, path in modules.items()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if any(
            dep == "tools" or dep.startswith("tools.")
            for dep in (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""] * (node.level == 0)  # relative: inside the package
            )
        )
    )
    assert uses_tools == []


# What scoring may use of sync/: the plain data model and pure helpers, never the ward's
# config (scoring reads the rules it is given, through the model or small protocols).
SCORING_MAY_USE = ("sync.model", "sync.text", "sync.latest", "sync.yamlload", "sync.errors")


def test_scoring_depends_only_on_the_model_and_plain_helpers():
    graph = _graph()
    used = {
        (name, dep)
        for name, deps in graph.items()
        if name.startswith("scoring")
        for dep in deps
        if dep.startswith("sync") and dep not in SCORING_MAY_USE
    }
    assert used == set()


def test_the_destinations_share_one_layout_not_each_other():
    """The Sheets destination and the XLSX writer take formats, colours, the stamp and the
    unchanged-table hash from sync.layout; no adapter family imports another (a Google-only
    install path must not need the XLSX writer, and the reverse)."""
    graph = _graph()
    crossing = {
        (name, dep)
        for name, deps in graph.items()
        for dep in deps
        for family in ADAPTERS
        if name.startswith(family + ".")
        and dep.startswith(ADAPTERS)
        and not dep.startswith(family)
    }
    assert crossing == set()
    for destination in ("sync.google.sheets_destination", "sync.outputs.xlsx"):
        assert "sync.layout" in graph[destination]
        assert "sync.tables" not in graph[destination]  # they write tables, not build them
