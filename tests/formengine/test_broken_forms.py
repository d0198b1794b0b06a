"""A corpus of broken form files: each gives its own code, with file and line, never a crash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ddassess.formengine import load_form_text

BROKEN = Path(__file__).parent / "broken"
CASES = sorted(BROKEN.glob("*.yaml"))


def _expected(path: Path) -> str:
    m = re.match(r"# expect: (FORM_\d{3})", path.read_text())
    assert m, f"{path.name} must start with '# expect: FORM_nnn'"
    return m.group(1)


def test_corpus_covers_every_code_a_single_file_can_have():
    codes = {_expected(p) for p in CASES}
    # 017 needs two files; 020 an unreadable file; 022 a fault in the engine itself; 026-028 are
    # about choices.yaml, tables and saved responses (tested in test_robustness.py).
    assert codes == ({f"FORM_{n:03d}" for n in range(1, 26)} | {"FORM_029"}) - {"FORM_017", "FORM_020", "FORM_022"}


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_each_broken_file_gives_its_code(path, catalogue):
    glossary = {k.lower() for k in catalogue.glossary}
    spec, problems = load_form_text(path.read_text(), str(path), glossary=glossary, tables=catalogue.tables,
                                    check_file_name=True)
    expected = _expected(path)
    assert spec is None
    assert expected in [p.code for p in problems], [str(p) for p in problems]
    for p in problems:
        assert p.file == str(path) and p.line and p.message


@pytest.mark.parametrize(
    "path_name, hint",
    [("unknown_type", "did you mean 'single_choice'"), ("misspelt_key", "did you mean 'help'"),
     ("dangling_reference", "did you mean 'q1'"), ("unknown_function", "did you mean 'sum'"),
     ("unknown_glossary_term", "did you mean 'care coordinator'"), ("unknown_table", "did you mean 'quadrant_lead'")],
)
def test_near_misses_get_a_suggestion(path_name, hint, catalogue):
    path = BROKEN / f"{path_name}.yaml"
    _, problems = load_form_text(path.read_text(), str(path), glossary={k.lower() for k in catalogue.glossary},
                                 tables=catalogue.tables)
    assert any(hint in p.message for p in problems), [str(p) for p in problems]


def test_line_numbers_point_at_the_problem():
    path = BROKEN / "duplicate_ids.yaml"
    _, problems = load_form_text(path.read_text(), str(path))
    [dup] = [p for p in problems if p.code == "FORM_004"]
    assert path.read_text().splitlines()[dup.line - 1].strip().startswith("- {id: q1, type: integer")


@pytest.mark.parametrize("text", ["", "just a string", "- a list\n- of things", "42", "id: x\nversion: 1\n" * 3])
def test_not_a_form_at_all(text):
    spec, problems = load_form_text(text, "x.yaml")
    assert spec is None and problems


def test_python_tags_are_refused_not_executed():
    spec, problems = load_form_text("id: !!python/object/apply:os.system ['echo hacked']\n", "x.yaml")
    assert spec is None and problems[0].code == "FORM_001"
