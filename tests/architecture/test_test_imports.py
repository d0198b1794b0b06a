"""Tests import shared helpers from tests/support by module name, never from ``conftest``.

Every conftest.py in a test folder without an ``__init__.py`` is imported by pytest as the
module ``conftest``, and the one in ``sys.modules`` under that name is whichever folder was
collected last. ``from conftest import ...`` therefore reads a different file depending on
which tests run together (an ImportError in CI once a second folder got a conftest.py)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _conftest_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        if any(n == "conftest" or n.startswith("conftest.") for n in names):
            found.append(f"{path.relative_to(TESTS.parent)}:{node.lineno}")
    return found


def test_no_test_or_benchmark_imports_a_conftest_module():
    files = sorted(TESTS.rglob("*.py"))
    assert any(p.name == "bench_server.py" for p in files)  # the benchmarks are scanned too
    found = [where for p in files for where in _conftest_imports(p)]
    assert not found, ("import these helpers from a module in tests/support instead "
                       "(conftest.py keeps the fixtures): " + ", ".join(found))
