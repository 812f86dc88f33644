"""The layer rule: which of runcontract's parts may import which (DESIGN.md, Architecture).

An ast walk over src/runcontract, no import-linter needed. Three rules:

1. imports between parts follow ``ALLOWED`` (lower never imports higher);
   the one upward edge is ``LAZY_ALLOWED``: drivers builds the embedded
   reference server inside ``make_target`` only;
2. no part imports another part's private module (``..contract._schema``):
   it goes through the public ``__init__`` (``_core`` and ``_errors`` are parts);
3. the pytest11 module imports only cheap parts at module level.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "runcontract"

_BASE = frozenset({"_core", "_findings", "_errors", "_options"})
# part -> the parts it may import (besides itself)
ALLOWED: dict[str, frozenset[str]] = {
    "_findings": frozenset(),
    "_core": frozenset({"_findings"}),
    "_errors": frozenset(),
    "_options": frozenset({"_errors"}),
    "contract": _BASE,
    "strategies": _BASE | {"contract"},
    "server": _BASE | {"contract"},
    "drivers": _BASE | {"contract"},
    "checks": _BASE | {"contract"},
    "report": _BASE | {"contract"},
    "runner": _BASE | {"contract", "strategies", "drivers", "checks"},
}
# The front ends and the facade sit on top and may import any part.
TOP = frozenset({"runcontract", "clients", "_mock", "_api", "plugin", "cli", "_config", "_profiles", "_staging"})
# (part, imported part) -> the modules allowed that edge, and only inside a function.
LAZY_ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    ("drivers", "server"): frozenset({"runcontract.drivers._targets"})
}
CHEAP = frozenset({"runcontract", "_core", "_findings", "_errors", "_config", "_profiles", "_options"})


def _modules(root: Path) -> dict[str, Path]:
    """Module name -> file, for every module of the package at ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = (root.name, *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _part(module: str) -> str:
    """``runcontract.contract._model`` -> ``contract``; the root package is ``runcontract``."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else pieces[0]


def _imports(module: str, path: Path, known: set[str]) -> Iterator[tuple[str, int, bool, bool]]:
    """(imported module, line, at module level, under TYPE_CHECKING) for each runcontract import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    root = module.split(".")[0]

    def visit(node: ast.AST, top: bool, typing_only: bool) -> Iterator[tuple[str, int, bool, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == root:
                        yield alias.name, child.lineno, top, typing_only
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.split(".")[0] != root:
                    continue
                for alias in child.names:  # ``from .. import strategies`` imports the submodule
                    sub = f"{target}.{alias.name}"
                    yield (sub if sub in known else target), child.lineno, top, typing_only
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from visit(child, False, typing_only)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for stmt in child.body:
                    yield from visit(ast.Module(body=[stmt], type_ignores=[]), top, True)
                for stmt in child.orelse:
                    yield from visit(ast.Module(body=[stmt], type_ignores=[]), top, typing_only)
            else:
                yield from visit(child, top, typing_only)

    yield from visit(tree, True, False)


def layer_violations(root: Path) -> list[str]:
    """Every import under the package at ``root`` that breaks the layer rule, one line each."""
    modules = _modules(root)
    known = set(modules)
    problems = []
    for module, path in modules.items():
        mine = _part(module)
        where = f"{path.relative_to(root.parent)}"
        if mine not in ALLOWED and mine not in TOP:
            problems.append(f"{where}: part {mine!r} is not in the layer table")
            continue
        for target, line, top, typing_only in _imports(module, path, known):
            theirs = _part(target)
            if theirs == mine:
                continue
            pieces = target.split(".")
            if len(pieces) > 2 and any(p.startswith("_") for p in pieces[2:]):
                problems.append(f"{where}:{line}: imports {target}, private to {theirs} (use runcontract.{theirs})")
            if mine in ALLOWED and theirs not in ALLOWED[mine]:
                lazy_ok = module in LAZY_ALLOWED.get((mine, theirs), frozenset()) and not top
                if not lazy_ok:
                    problems.append(f"{where}:{line}: {mine} imports {theirs} ({target}), above it in the layers")
            if module == f"{root.name}.plugin" and top and not typing_only and theirs not in CHEAP:
                problems.append(f"{where}:{line}: the pytest plugin imports {target} at module level")
    return problems


def test_runcontract_follows_the_layer_rule():
    assert layer_violations(SRC) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "runcontract"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


_FAITHFUL = {
    "__init__.py": "",
    "_core.py": "import json\n",
    "_errors.py": "",
    "contract/__init__.py": "from ._model import Contract\n",
    "contract/_model.py": "from .._errors import UsageError\nContract = object\n",
    "strategies/__init__.py": "from ..contract import Contract\nfrom .._core import Case\n",
    "server/__init__.py": "from ..contract import Contract\n",
    "drivers/__init__.py": "from ._targets import make_target\n",
    "drivers/_targets.py": "from .. import _core\n\ndef make_target():\n    from ..server import create_app\n",
    "runner/__init__.py": "from ..strategies import Case\nfrom ..drivers import make_target\n",
    "plugin.py": "import pytest\nfrom ._errors import UsageError\n\ndef hook():\n    from .runner import run\n",
    "cli.py": "from .runner import run\nfrom .contract import Contract\n",
}


def test_a_faithful_tree_passes(tmp_path):
    assert layer_violations(_tree(tmp_path, _FAITHFUL)) == []


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("drivers/_asgi.py", "from ..strategies import Case\n", "drivers imports strategies"),
        ("contract/_x.py", "import runcontract.runner\n", "contract imports runner"),
        ("report/_x.py", "def f():\n    from .. import runner\n", "report imports runner"),
        ("checks/_x.py", "from ..contract._model import Contract\n", "private to contract"),
        ("cli.py", "from .runner._fuzz import run\n", "private to runner"),
        ("drivers/_http.py", "from ..server import create_app\n", "drivers imports server"),
        ("drivers/_targets.py", "from ..server import create_app\n", "drivers imports server"),
        ("plugin.py", "from .contract import Contract\n", "the pytest plugin imports runcontract.contract"),
        ("newpart/__init__.py", "", "part 'newpart' is not in the layer table"),
    ],
)
def test_a_planted_violation_is_reported(tmp_path, name, text, expected):
    problems = layer_violations(_tree(tmp_path, {**_FAITHFUL, name: text}))
    assert len(problems) == 1 and expected in problems[0], problems


def test_imports_only_for_type_checking_do_not_make_the_plugin_heavy(tmp_path):
    plugin = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .contract import Contract\n"
    assert layer_violations(_tree(tmp_path, {**_FAITHFUL, "plugin.py": plugin})) == []
