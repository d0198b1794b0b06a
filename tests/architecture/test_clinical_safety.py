"""The hazard log (docs/clinical-safety/hazard-log.md) stays true: every hazard has a control
proved by a test that exists, and every rating follows from its likelihood and consequence
with the DCB0129 matrix written in docs/clinical-safety/README.md."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOG = REPO / "docs" / "clinical-safety" / "hazard-log.md"
README = REPO / "docs" / "clinical-safety" / "README.md"

HAZARD = re.compile(r"^## (H\d\d) — (.+)$", re.M)
RATING = re.compile(r"^- \*\*(Initial|Residual):\*\* likelihood ([a-z ]+); consequence ([a-z]+); rating (\d)$", re.M)
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
FIELDS = ("Status", "Harm", "Causes", "Initial", "Controls", "Residual")


def _matrix() -> dict[tuple[str, str], int]:
    """The matrix as the README prints it, so the log and its explanation cannot drift apart."""
    rows = [line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    header_row = next(line for line in rows if line.startswith("| likelihood"))
    header = [c.strip() for c in header_row.strip("|").split("|")]
    consequences = header[1:]
    matrix = {}
    for line in rows[1:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] in ("very high", "high", "medium", "low", "very low"):
            for consequence, rating in zip(consequences, cells[1:], strict=True):
                matrix[(cells[0], consequence)] = int(rating)
    return matrix


def _hazards() -> list[tuple[str, str, str]]:
    """(id, title, body) for each hazard in the log, in order."""
    text = LOG.read_text(encoding="utf-8")
    heads = list(HAZARD.finditer(text))
    return [(m.group(1), m.group(2), text[m.end():heads[i + 1].start() if i + 1 < len(heads) else len(text)])
            for i, m in enumerate(heads)]


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_the_matrix_is_the_dcb0129_one():
    m = _matrix()
    assert len(m) == 25
    assert m[("very high", "catastrophic")] == 5 and m[("very low", "minor")] == 1
    assert m[("medium", "major")] == 3 and m[("low", "catastrophic")] == 4


def test_hazards_are_numbered_in_order_and_have_every_field():
    hazards = _hazards()
    assert [h[0] for h in hazards] == [f"H{i:02d}" for i in range(1, len(hazards) + 1)]
    for hid, _title, body in hazards:
        missing = [f for f in FIELDS if f"- **{f}:**" not in body]
        assert missing == [], f"{hid} lacks {missing}"


@pytest.mark.parametrize("hazard", _hazards(), ids=lambda h: h[0])
def test_each_rating_follows_from_the_matrix(hazard):
    hid, _title, body = hazard
    matrix = _matrix()
    ratings = {kind: (likelihood, consequence, int(rating)) for kind, likelihood, consequence, rating in
               RATING.findall(body)}
    assert set(ratings) == {"Initial", "Residual"}, f"{hid}: write both ratings as the log's other hazards do"
    for kind, (likelihood, consequence, rating) in ratings.items():
        assert (likelihood, consequence) in matrix, f"{hid} {kind}: unknown likelihood or consequence"
        assert matrix[(likelihood, consequence)] == rating, f"{hid} {kind}: the matrix gives a different rating"
        assert rating <= 3 or kind == "Initial", f"{hid}: a residual rating of 4 or 5 may not be released"
    assert ratings["Residual"][2] <= ratings["Initial"][2], f"{hid}: the controls made it worse?"


@pytest.mark.parametrize("hazard", _hazards(), ids=lambda h: h[0])
def test_each_hazard_has_controls_proved_by_tests_that_exist(hazard):
    hid, _title, body = hazard
    controls = body.split("- **Controls:**", 1)[1].split("- **Residual:**", 1)[0]
    assert "PENDING" not in controls, f"{hid}: a control is still to be written"
    refs = TEST_REF.findall(controls)
    assert refs, f"{hid}: no control names a test"
    for path, name in refs:
        file = REPO / path
        assert file.is_file(), f"{hid}: {path} does not exist"
        assert name in _tests_in(file), f"{hid}: {path} has no {name}; say here what proves the control now"


def test_a_missing_test_would_be_found():
    assert "test_no_such_thing" not in _tests_in(Path(__file__))
    assert TEST_REF.findall("tested by `tests/a/b_c.py::test_d`") == [("tests/a/b_c.py", "test_d")]
