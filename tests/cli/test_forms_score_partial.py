"""``ddassess forms score`` on unfinished instruments: a threshold the answered items already
reach is a flag, marked ``partial``; the total is still not shown as complete.

Each test names the published rule it checks. The rule is the engine's, not a form's: it is
worked out from the flag's expression (a lower bound on a sum of items that can only add).
"""

from __future__ import annotations

import json
from pathlib import Path

from ddassess.cli import main

FORMS = Path(__file__).resolve().parents[2] / "forms"


def _score(tmp_path, capsys, form_id: str, answers: dict, *extra: str) -> dict:
    path = tmp_path / f"{form_id}.json"
    path.write_text(json.dumps(answers))
    assert main(["forms", "score", form_id, "--answers", str(path), "--dir", str(FORMS), *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _flags(result: dict) -> dict[str, bool]:
    return {f["id"]: f["partial"] for f in result["flags"]}


def test_sadq_ten_answers_adding_to_30_raise_the_withdrawal_flag(tmp_path, capsys):
    """SADQ (Stockwell, Murphy and Hodgson 1983): 16 or more is moderate dependence or worse,
    where medically assisted withdrawal is usually needed. Ten answers of 'almost always' (3)
    add up to 30: the other ten can only add, so the flag is raised, marked partial."""
    result = _score(tmp_path, capsys, "sadq", {f"q{i}": 3 for i in range(1, 11)})
    assert _flags(result) == {"medicated_withdrawal": True}
    total = result["scores"]["total"]
    assert (total["value"], total["complete"], total["band"], total["partial"]) == (None, False, None, 30)
    assert (total["answered"], total["needed"]) == (10, 20)


def test_sadq_below_the_threshold_so_far_raises_nothing(tmp_path, capsys):
    """SADQ (Stockwell et al. 1983): 15 so far is not yet 16; the rest may or may not add."""
    result = _score(tmp_path, capsys, "sadq", {f"q{i}": 3 for i in range(1, 6)})
    assert result["flags"] == [] and result["scores"]["total"]["partial"] == 15


def test_audit_c_positive_once_two_answers_reach_5(tmp_path, capsys):
    """AUDIT-C (OHID, UK units version): 5 or more is a positive screen. Daily drinking (4) and
    3-4 units a day (1) already make 5."""
    result = _score(tmp_path, capsys, "audit_c", {"q1": 4, "q2": 1})
    assert _flags(result) == {"positive": True}
    assert result["scores"]["total"]["value"] is None and result["scores"]["total"]["partial"] == 5


def test_fast_positive_once_the_questions_asked_reach_3(tmp_path, capsys):
    """FAST (Hodgson et al. 2002): a total of 3 or more is positive. 'Less than monthly' (1) on
    question 1 goes on to the others; 'Yes, but not in the last year' (2) on the last makes 3
    whatever questions 2 and 3 add."""
    result = _score(tmp_path, capsys, "fast", {"q1": 1, "q4": 2})
    assert _flags(result) == {"positive": True}
    assert result["scores"]["total"]["value"] is None and not result["scores"]["total"]["complete"]


def test_fast_with_question_1_unanswered_is_positive_once_every_answer_to_it_would_be(tmp_path, capsys):
    """FAST as the OHID form asks it (Public Health England/OHID, adapted from Hodgson et al.
    2002): Weekly or Daily on question 1 is positive and stops; any other answer asks
    questions 2 to 4, positive at a total of 3 or more. With question 1 unanswered, a 4 on
    question 4 is positive whichever way question 1 is answered, so the flag is raised,
    marked partial; zeros on 2 to 4 settle nothing (Never would make the total 0)."""
    result = _score(tmp_path, capsys, "fast", {"q2": 0, "q3": 0, "q4": 4})
    assert [(f["id"], f["partial"]) for f in result["flags"]] == [("positive", True)]
    assert result["scores"]["total"]["value"] is None
    assert _score(tmp_path, capsys, "fast", {"q2": 0, "q3": 0, "q4": 0})["flags"] == []


def test_sds_alcohol_dependence_once_answers_reach_3(tmp_path, capsys):
    """SDS (Gossop et al. 1995), with the form's cut-off for alcohol of 3 or more: two answers
    adding to 3 already reach it for alcohol."""
    result = _score(tmp_path, capsys, "sds", {"substance": "alcohol", "q1": 2, "q2": 1})
    alcohol = [f for f in result["flags"] if "alcohol" in f["message"].lower()]
    assert alcohol and all(f["partial"] for f in alcohol)
    assert result["scores"]["total"]["value"] is None


def test_sds_without_the_substance_raises_nothing(tmp_path, capsys):
    """SDS (Gossop et al. 1995): cut-offs differ by substance; with none named, a total so far
    of 6 settles no substance's flag."""
    result = _score(tmp_path, capsys, "sds", {"q1": 3, "q2": 3})
    assert result["flags"] == []


def test_audit_possible_dependence_is_marked_partial_until_questions_4_to_6_are_answered(tmp_path, capsys):
    """WHO AUDIT manual (Babor et al. 2001): questions 4-6 are the dependence items; 4 from the
    answered ones is raised at once, and says so while the form is unfinished."""
    result = _score(tmp_path, capsys, "audit", {"q4": 4})
    assert _flags(result)["possible_dependence"] is True
    finished = _score(tmp_path, capsys, "audit", {f"q{i}": 0 for i in range(1, 11)} | {"q4": 4})
    assert _flags(finished)["possible_dependence"] is False


def test_audit_2_on_question_4_5_or_6_moves_to_the_next_level(tmp_path, capsys):
    """WHO AUDIT manual (Babor et al. 2001, with Table 3): 2 or more on question 4, 5 or 6, or
    4 on question 9 or 10, moves the person to the next level of intervention."""
    answers = {f"q{i}": 0 for i in range(1, 11)} | {"q6": 2}
    assert _flags(_score(tmp_path, capsys, "audit", answers)) == {"dependence_next_level": False}
    assert _flags(_score(tmp_path, capsys, "audit", answers | {"q6": 1})) == {}
    assert _flags(_score(tmp_path, capsys, "audit", {"q5": 2}))["dependence_next_level"] is True
    older = _score(tmp_path, capsys, "audit", answers, "--version", "3")  # saved responses keep their version
    assert _flags(older) == {}


def test_audit_answers_reaching_zone_iv_say_so_without_a_total(tmp_path, capsys):
    """WHO AUDIT manual (Babor et al. 2001): 20-40 is zone IV, possible dependence. Five
    answers of 4 make 20: the score says it is already at least zone IV, with no value or band."""
    total = _score(tmp_path, capsys, "audit", {f"q{i}": 4 for i in range(1, 6)})["scores"]["total"]
    assert (total["value"], total["band"], total["complete"], total["partial"]) == (None, None, False, 20)
    assert total["at_least"] == "Possible dependence (zone IV)"
    below = _score(tmp_path, capsys, "audit", {"q1": 4, "q2": 3})["scores"]["total"]  # 7: zone I so far
    assert below["at_least"] is None


def test_dast_answers_reaching_a_band_say_so(tmp_path, capsys):
    """DAST-10 (Skinner 1982): 3-5 moderate, 6-8 substantial. Question 3 scores its point for
    'No' (reverse in its options, never below 0), so six answered points reach substantial."""
    answers = {"q1": "yes", "q2": "yes", "q3": "no", "q4": "yes", "q5": "yes", "q6": "yes"}
    total = _score(tmp_path, capsys, "dast10", answers)["scores"]["total"]
    assert (total["value"], total["at_least"]) == (None, "Substantial level")
    finished = _score(tmp_path, capsys, "dast10", answers | {f"q{i}": "no" for i in range(7, 11)})["scores"]["total"]
    assert (finished["value"], finished["band"], finished["at_least"]) == (6, "Substantial level", None)
