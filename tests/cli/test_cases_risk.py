"""``ddassess cases risk REF [--level LEVEL --reason TEXT]`` and ``cases list --high-risk``:
the case's risk level headless, the same value and the same rules as the case view's
"Change risk level…" (services.case_risk)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddassess.cli import main
from ddassess.domain.models import PersonDetails
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes
from ddassess.services.case_pathway import finalise_form

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
# AUDIT questions 4-6 adding to 4 or more: HIGH, possible dependence (Babor et al. 2001, WHO AUDIT manual).
AUDIT_DEPENDENCE = {**{f"q{i}": 2 for i in range(1, 9)}, "q9": 2, "q10": 0}


@pytest.fixture
def two_cases(store):
    refs = []
    for family in ("Flagsworth", "Quietly"):
        person = case_changes.register_person(store, PersonDetails(given_name="Fictiona", family_name=family))
        refs.append(case_changes.open_case(store, person.id))
    spec = CATALOGUE.get("audit")
    rid = case_changes.start_response(store, refs[0].id, "audit", spec.version, spec.content_hash,
                                      AUDIT_DEPENDENCE).id
    finalise_form(store, CATALOGUE, rid)
    store.close()
    return [c.ref for c in refs]


def test_shows_the_level_and_where_it_comes_from(two_cases, capsys):
    assert main(["cases", "risk", two_cases[0]]) == 0
    assert capsys.readouterr().out.strip() == "Risk level: HIGH (from the flags of final forms)"


def test_lowers_the_level_with_a_reason_and_the_list_filter_follows(two_cases, capsys):
    assert main(["cases", "list", "--high-risk"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]] == [two_cases[0]]
    assert main(["cases", "risk", two_cases[0], "--level", "none", "--reason", "Abstinent six months (GP)"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Risk level: NOT RAISED — set by ") and "flags say high" in out and "Abstinent" in out
    assert main(["cases", "list", "--high-risk"]) == 0
    assert "No case matches" in capsys.readouterr().out
    assert main(["cases", "risk", two_cases[0], "--level", "flags", "--reason", "Follow the forms again"]) == 0
    assert capsys.readouterr().out.strip() == "Risk level: HIGH (from the flags of final forms)"


@pytest.mark.parametrize("args, words", [
    (["--level", "high"], "A reason is needed"),
    (["--level", "high", "--reason", "  "], "A reason is needed"),
    (["--level", "severe", "--reason", "Because"], "is not a risk level"),
    (["--reason", "Because"], "--reason goes with --level"),
])
def test_bad_input_says_what_to_do_and_changes_nothing(two_cases, capsys, args, words):
    assert main(["cases", "risk", two_cases[1], *args]) == 2
    assert words in capsys.readouterr().err
    assert main(["cases", "risk", two_cases[1]]) == 0
    assert capsys.readouterr().out.strip() == "Risk level: NOT RAISED (from the flags of final forms)"


def test_an_unknown_case_is_named(two_cases, capsys):
    assert main(["cases", "risk", "DD-2026-99999", "--level", "high", "--reason", "Because"]) == 16
    assert "There is no case DD-2026-99999" in capsys.readouterr().err
