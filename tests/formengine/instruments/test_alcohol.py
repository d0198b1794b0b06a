"""AUDIT, AUDIT-C, FAST and SADQ: published bands, flags and stop rules."""

from __future__ import annotations

import pytest
from instrument_helpers import answers_for, answers_totalling

from ddassess.formengine import evaluate

AUDIT = [f"q{i}" for i in range(1, 11)]
AUDIT_ORDER = ["q1", "q2", "q3", "q7", "q8", "q4", "q5", "q6", "q9", "q10"]  # fills dependence items late


@pytest.mark.parametrize("total, band", [(0, "Lower risk (zone I)"), (7, "Lower risk (zone I)"),
                                         (8, "Increasing risk (zone II)"), (15, "Increasing risk (zone II)"),
                                         (16, "Higher risk (zone III)"), (19, "Higher risk (zone III)"),
                                         (20, "Possible dependence (zone IV)"), (40, "Possible dependence (zone IV)")])
def test_audit_bands(catalogue, total, band):
    spec = catalogue.get("audit")
    s = evaluate(spec, answers_totalling(spec, AUDIT_ORDER, total)).scores["total"]
    assert (s.value, s.band, s.complete) == (total, band, True)


@pytest.mark.parametrize("q4, q5, q6, flagged", [(2, 1, 1, True), (4, 0, 0, True), (1, 1, 1, False), (0, 0, 3, False)])
def test_audit_dependence_items(catalogue, q4, q5, q6, flagged):
    spec = catalogue.get("audit")
    scores = {q: 0 for q in AUDIT} | {"q4": q4, "q5": q5, "q6": q6}
    ev = evaluate(spec, answers_for(spec, scores))
    assert ev.scores["dependence"].value == q4 + q5 + q6
    assert ("possible_dependence" in [f.id for f in ev.flags]) is flagged


def test_an_incomplete_audit_has_no_total_and_no_band(catalogue):
    spec = catalogue.get("audit")
    ev = evaluate(spec, answers_for(spec, {q: 4 for q in AUDIT[:7]}))  # q8-q10 not answered
    total = ev.scores["total"]
    assert (total.value, total.band, total.complete) == (None, "", False)
    assert total.partial == 28 and (total.answered, total.needed) == (7, 10)  # shown as partial, never as the total
    assert {p.field for p in ev.problems if p.code == "ANS_001"} == {"q8", "q9", "q10"}
    assert not ev.complete


@pytest.mark.parametrize("answered, flagged", [({"q4": 4}, True), ({"q4": 2, "q5": 2}, True),
                                               ({"q4": 3}, False), ({"q5": 1, "q6": 2}, False)])
def test_dependence_flag_fires_as_soon_as_answered_items_4_to_6_reach_4(catalogue, answered, flagged):
    """The subtotal can only go up, so 4 from the questions answered so far is already dependence."""
    spec = catalogue.get("audit")
    ev = evaluate(spec, answers_for(spec, answered))
    assert ev.scores["dependence"].value is None  # the subtotal itself still waits for all three
    assert ("possible_dependence", True) in [(f.id, f.partial) for f in ev.flags] or not flagged
    assert ("possible_dependence" in [f.id for f in ev.flags]) is flagged


@pytest.mark.parametrize("q9, q10, flagged", [(4, 0, True), (0, 4, True), (2, 2, False), (0, 0, False)])
def test_audit_q9_q10_move_to_next_level(catalogue, q9, q10, flagged):
    spec = catalogue.get("audit")
    ev = evaluate(spec, answers_for(spec, {q: 0 for q in AUDIT} | {"q9": q9, "q10": q10}))
    assert ("harm_next_level" in [f.id for f in ev.flags]) is flagged


@pytest.mark.parametrize("q4, q5, q6, flagged", [(2, 0, 0, True), (0, 2, 0, True), (0, 0, 4, True), (1, 1, 1, False),
                                                (1, 0, 0, False)])
def test_audit_q4_to_q6_move_to_next_level(catalogue, q4, q5, q6, flagged):
    """Babor et al. 2001, WHO AUDIT manual (with Table 3): 2 or more on question 4, 5 or 6
    moves the person to the next level of intervention, as 4 on question 9 or 10 does."""
    spec = catalogue.get("audit")
    ev = evaluate(spec, answers_for(spec, {q: 0 for q in AUDIT} | {"q4": q4, "q5": q5, "q6": q6}))
    assert ("dependence_next_level" in [f.id for f in ev.flags]) is flagged
    assert "harm_next_level" not in [f.id for f in ev.flags]


@pytest.mark.parametrize("bad", [1, 3])
def test_audit_q9_takes_only_0_2_4(catalogue, bad):
    spec = catalogue.get("audit")
    ev = evaluate(spec, answers_for(spec, {q: 0 for q in AUDIT[:8]}, q9=bad, q10=0))
    assert ("q9", "ANS_007") in {(p.field, p.code) for p in ev.problems}
    assert ev.scores["total"].value is None


@pytest.mark.parametrize("total, positive", [(4, False), (5, True), (12, True)])
def test_audit_c(catalogue, total, positive):
    spec = catalogue.get("audit_c")
    ev = evaluate(spec, answers_totalling(spec, ["q1", "q2", "q3"], total))
    assert ev.scores["total"].value == total
    assert (ev.scores["total"].band == "Positive screen") is positive
    assert ([f.id for f in ev.flags] == ["positive"]) is positive


def test_fast_never_goes_on_to_questions_2_to_4(catalogue):
    """OHID/PHE FAST form: answer questions 2-4 after Never, Less than monthly or Monthly."""
    spec = catalogue.get("fast")
    ev = evaluate(spec, answers_for(spec, {"q1": 0, "q2": 1, "q3": 0, "q4": 2}))
    assert not {"q2", "q3", "q4"} & ev.hidden
    assert ev.computed["result"] == "positive" and ev.scores["total"].value == 3 and ev.problems == []


@pytest.mark.parametrize("q1", [3, 4])
def test_fast_weekly_or_daily_is_positive_and_stops(catalogue, q1):
    spec = catalogue.get("fast")
    ev = evaluate(spec, answers_for(spec, {"q1": q1}))
    assert ev.computed["result"] == "positive" and ev.problems == []
    assert [f.id for f in ev.flags] == ["positive"]


@pytest.mark.parametrize("scores, result", [({"q1": 1, "q2": 0, "q3": 0, "q4": 0}, "negative"),
                                            ({"q1": 1, "q2": 1, "q3": 0, "q4": 0}, "negative"),
                                            ({"q1": 1, "q2": 2, "q3": 0, "q4": 0}, "positive"),
                                            ({"q1": 2, "q2": 0, "q3": 0, "q4": 0}, "negative"),
                                            ({"q1": 2, "q2": 0, "q3": 1, "q4": 0}, "positive"),
                                            ({"q1": 1, "q2": 0, "q3": 0, "q4": 2}, "positive")])
def test_fast_otherwise_positive_at_three(catalogue, scores, result):
    spec = catalogue.get("fast")
    ev = evaluate(spec, answers_for(spec, scores))
    assert ev.computed["result"] == result


def test_unfinished_fast_has_no_result_but_a_reached_flag(catalogue):
    """Hodgson et al. 2002: 3 or more is FAST positive. Monthly (2) plus a 4 already make 6
    whatever questions 3 and 4 add, so the flag is raised, marked partial; the result and the
    total still wait for the missing answers."""
    spec = catalogue.get("fast")
    ev = evaluate(spec, answers_for(spec, {"q1": 2, "q2": 4}))
    assert ev.computed["result"] is None and not ev.scores["total"].complete
    assert ev.scores["total"].value is None and ev.scores["total"].partial == 6
    assert {p.field for p in ev.problems} == {"q3", "q4"}
    assert [(f.id, f.partial) for f in ev.flags] == [("positive", True)]


SADQ = [f"q{i}" for i in range(1, 21)]


@pytest.mark.parametrize("total, band, withdrawal", [(0, "Mild dependence", False), (15, "Mild dependence", False),
                                                     (16, "Moderate dependence", True),
                                                     (30, "Moderate dependence", True),
                                                     (31, "Severe dependence", True), (60, "Severe dependence", True)])
def test_sadq_bands_and_withdrawal_flag(catalogue, total, band, withdrawal):
    spec = catalogue.get("sadq")
    ev = evaluate(spec, answers_totalling(spec, SADQ, total, heavy_month="March"))
    assert (ev.scores["total"].value, ev.scores["total"].band) == (total, band)
    assert ("medicated_withdrawal" in [f.id for f in ev.flags]) is withdrawal


def test_unfinished_sadq_raises_the_flag_its_answers_reach(catalogue):
    """Stockwell et al. 1983 (SADQ): 16 or more is moderate dependence or worse. Ten answers
    adding to 30 already reach it whatever the other ten are: the withdrawal flag is raised,
    marked partial, while the total is still not shown."""
    spec = catalogue.get("sadq")
    ev = evaluate(spec, answers_for(spec, {q: 3 for q in SADQ[:10]}))
    assert ev.scores["total"].value is None and ev.scores["total"].partial == 30
    assert (ev.scores["total"].complete, ev.scores["total"].band) == (False, "")
    assert [(f.id, f.partial) for f in ev.flags] == [("medicated_withdrawal", True)]
    below = evaluate(spec, answers_for(spec, {q: 3 for q in SADQ[:5]}))  # 15: not yet
    assert below.flags == []
