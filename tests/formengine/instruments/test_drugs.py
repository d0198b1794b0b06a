"""DAST-10 (with its reverse item) and the SDS."""

from __future__ import annotations

import pytest
from instrument_helpers import answers_for

from ddassess.formengine import evaluate

DAST = [f"q{i}" for i in range(1, 11)]


def _dast(catalogue, points: int):
    """Answers scoring `points`, using question 3's reversed scoring for the first point."""
    spec = catalogue.get("dast10")
    scores = {q: 0 for q in DAST}
    for q in (["q3"] + [q for q in DAST if q != "q3"])[:points]:
        scores[q] = 1
    return spec, answers_for(spec, scores)


def test_dast10_question3_is_reversed(catalogue):
    spec = catalogue.get("dast10")
    all_no = {q: "no" for q in DAST}
    assert evaluate(spec, all_no).scores["total"].value == 1  # "No" to "always able to stop" scores
    assert evaluate(spec, {**all_no, "q3": "yes"}).scores["total"].value == 0


@pytest.mark.parametrize("points, band", [(0, "No problems reported"), (1, "Low level"), (2, "Low level"),
                                          (3, "Moderate level"), (5, "Moderate level"), (6, "Substantial level"),
                                          (8, "Substantial level"), (9, "Severe level"), (10, "Severe level")])
def test_dast10_bands(catalogue, points, band):
    spec, answers = _dast(catalogue, points)
    s = evaluate(spec, answers).scores["total"]
    assert (s.value, s.band) == (points, band)


def test_dast10_incomplete(catalogue):
    spec = catalogue.get("dast10")
    s = evaluate(spec, {"q1": "yes", "q2": "yes"}).scores["total"]
    assert s.value is None and s.partial == 2


@pytest.mark.parametrize("substance, total, flagged", [("alcohol", 3, True), ("alcohol", 2, False),
                                                       ("heroin", 3, False), ("cannabis", 15, False)])
def test_sds_shows_total_without_a_band_and_the_alcohol_flag_only_for_alcohol(catalogue, substance, total, flagged):
    spec = catalogue.get("sds")
    items = [f"q{i}" for i in range(1, 6)]
    scores, left = {}, total
    for q in items:
        scores[q] = min(3, left)
        left -= scores[q]
    ev = evaluate(spec, answers_for(spec, scores, substance=substance))
    assert ev.scores["total"].value == total and ev.scores["total"].band == ""
    assert ("alcohol_dependence" in [f.id for f in ev.flags]) is flagged
