"""PHQ-9 and GAD-7: every band boundary, the item-9 flag, incomplete answers."""

from __future__ import annotations

import pytest
from instrument_helpers import answers_for, answers_totalling

from ddassess.formengine import evaluate

PHQ = [f"q{i}" for i in range(1, 10)]
GAD = [f"q{i}" for i in range(1, 8)]


@pytest.mark.parametrize("total, band", [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
                                         (14, "Moderate"), (15, "Moderately severe"), (19, "Moderately severe"),
                                         (20, "Severe"), (27, "Severe")])
def test_phq9_bands(catalogue, total, band):
    spec = catalogue.get("phq9")
    ev = evaluate(spec, answers_totalling(spec, PHQ, total, difficulty="somewhat"))
    s = ev.scores["total"]
    assert (s.value, s.band, s.complete) == (total, band, True)
    assert ev.problems == []


def test_phq9_item9_flags_whatever_the_total(catalogue):
    spec = catalogue.get("phq9")
    ev = evaluate(spec, answers_for(spec, {**{q: 0 for q in PHQ}, "q9": 1}, difficulty="somewhat"))
    assert ev.scores["total"].band == "Minimal"
    assert [f.id for f in ev.flags] == ["risk_to_self"] and ev.flags[0].severity == "urgent"
    # And it is raised even before the rest is answered.
    assert [f.id for f in evaluate(spec, answers_for(spec, {"q9": 2})).flags] == ["risk_to_self"]


def test_phq9_high_total_without_item9_raises_no_flag(catalogue):
    spec = catalogue.get("phq9")
    ev = evaluate(spec, answers_for(spec, {**{q: 3 for q in PHQ}, "q9": 0}, difficulty="very"))
    assert ev.scores["total"].value == 24 and ev.flags == []


def test_phq9_incomplete_is_reported_not_totalled(catalogue):
    spec = catalogue.get("phq9")
    ev = evaluate(spec, answers_for(spec, {q: 3 for q in PHQ[:7]}))
    s = ev.scores["total"]
    assert s.value is None and s.band == "" and not s.complete
    assert (s.answered, s.needed, s.partial) == (7, 9, 21)
    assert {p.field for p in ev.problems if p.code == "ANS_001"} == {"q8", "q9"}


def test_phq9_difficulty_is_asked_only_after_a_problem(catalogue):
    spec = catalogue.get("phq9")
    assert "difficulty" in evaluate(spec, answers_for(spec, {q: 0 for q in PHQ})).hidden
    assert "difficulty" not in evaluate(spec, answers_for(spec, {**{q: 0 for q in PHQ}, "q2": 1})).hidden


@pytest.mark.parametrize("total, band", [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
                                         (14, "Moderate"), (15, "Severe"), (21, "Severe")])
def test_gad7_bands(catalogue, total, band):
    spec = catalogue.get("gad7")
    s = evaluate(spec, answers_totalling(spec, GAD, total, difficulty="somewhat")).scores["total"]
    assert (s.value, s.band) == (total, band)


def test_gad7_incomplete(catalogue):
    spec = catalogue.get("gad7")
    s = evaluate(spec, answers_for(spec, {"q1": 3})).scores["total"]
    assert s.value is None and s.partial == 3 and (s.answered, s.needed) == (1, 7)
