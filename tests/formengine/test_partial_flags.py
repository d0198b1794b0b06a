"""When a flag is raised on an unfinished form, worked out from its expressions (fictional forms).

The rule: a lower bound (``>=``, ``>``) on a sum of items that can only add — every option
scores 0 or more, no reverse scoring, no negative weight, no prorating — holds once the
answered items reach it, whatever the missing ones turn out to be. Upper bounds, equality on
a total, and anything that could go down prove nothing; such a flag waits for the answers.
"""

from __future__ import annotations

import pytest

from ddassess.formengine import evaluate, load_form_text


def _form(flag: str, *, score: str = "", choices: str = "", fields: str = "", extra: str = "") -> object:
    """Three items a, b, c (options scoring 0-3 unless ``choices``), a total of them, one flag."""
    options = choices or "[{value: 0, label: None, score: 0}, {value: 1, label: Some, score: 1}, " \
                         "{value: 2, label: More, score: 2}, {value: 3, label: Most, score: 3}]"
    text = f"""id: fictional
version: 1
title: A fictional three-item measure
purpose: Tests of flags on unfinished forms.
licence: {{text: Fictional, attribution: Fictional}}
choice_lists:
  level: {options}
  kinds: [{{value: x, label: X}}, {{value: y, label: Y}}]
sections:
  - id: items
    title: Items
    fields:
      - {{id: kind, type: single_choice, label: Kind, help: H, choices: kinds}}
      - {{id: a, type: scored_choice, label: A, help: H, required: true, choices: level}}
      - {{id: b, type: scored_choice, label: B, help: H, required: true, choices: level}}
      - {{id: c, type: scored_choice, label: C, help: H, required: true, choices: level}}
{fields}scores:
  - id: total
    label: Total
    items: [a, b, c]
{score}{extra}flags:
  - {{id: reached, when: "{flag}", severity: high, message: Reached.}}
"""
    spec, problems = load_form_text(text, "fictional.yaml")
    assert spec is not None and [p for p in problems if p.severity == "error"] == [], [str(p) for p in problems]
    return spec


def _raised(spec, answers) -> list[tuple[str, bool]]:
    return [(f.id, f.partial) for f in evaluate(spec, answers).flags]


@pytest.mark.parametrize("when", ["total >= 5", "total > 4", "5 <= total", "4 < total", "sum(a, b, c) >= 5",
                                  "total + 1 >= 6", "total * 2 >= 10", "kind == 'x' and total >= 5",
                                  "total >= 5 or kind == 'y'",
                                  "(total if kind == 'x' else 0) >= 5", "total != null and total >= 5"])
def test_a_lower_bound_the_answers_reach_is_raised_and_marked_partial(when):
    spec = _form(when)
    assert _raised(spec, {"kind": "x", "a": 3, "b": 2}) == [("reached", True)]  # 5 with c missing
    assert _raised(spec, {"kind": "x", "a": 3, "b": 1}) == []  # 4: c may add 1, or not
    assert _raised(spec, {"kind": "x", "a": 3, "b": 2, "c": 0}) == [("reached", False)]  # finished


@pytest.mark.parametrize("when", ["total <= 5", "total < 6", "total == 5", "6 > total", "total - 1 >= 4",
                                  "not (total >= 99) and total >= 5", "total * -1 <= -5", "max(a, b, c) >= 3 "
                                  "and total >= 5", "total >= 5 and kind == 'x'"])
def test_anything_else_waits_for_the_answers(when):
    """Upper bounds and equality on a total could be undone by the missing item; the lower
    bounds here are not in a form the engine proves (``not`` of an open question, or an
    unanswered ``kind``)."""
    spec = _form(when)
    assert _raised(spec, {"a": 3, "b": 2}) == []


def test_an_item_that_may_score_below_zero_proves_nothing():
    spec = _form("total >= 5", choices="[{value: 0, label: Less, score: -1}, {value: 1, label: None, score: 0}, "
                                       "{value: 2, label: More, score: 3}]")
    assert _raised(spec, {"a": 2, "b": 2}) == []  # 6 so far, but c may take 1 away
    assert _raised(spec, {"a": 2, "b": 2, "c": 0}) == [("reached", False)]


@pytest.mark.parametrize("score", ["    reverse: [c]\n", "    weights: {c: -1}\n",
                                   "    missing: {allow: 1, method: prorate}\n"])
def test_reverse_scoring_negative_weights_and_prorating_prove_nothing(score):
    spec = _form("total >= 3", score=score)
    assert _raised(spec, {"a": 3}) == []  # 3 so far


def test_an_answer_that_a_missing_answer_may_hide_is_not_counted_on():
    """d shows unless a is 0; with a missing, d's 3 may yet be hidden and not count."""
    d = "      - {id: d, type: scored_choice, label: D, help: H, show_if: a != 0, choices: level}\n"
    spec = _form("both >= 3", fields=d, extra="  - {id: both, label: Both, items: [d, b]}\n")
    assert _raised(spec, {"d": 3}) == []
    assert _raised(spec, {"a": 1, "d": 3}) == [("reached", True)]  # b missing: it only adds
    assert _raised(spec, {"a": 1, "d": 3, "b": 0}) == [("reached", False)]


def test_a_flag_that_reads_only_answered_items_is_not_partial():
    """PHQ-9 item 9 style: a flag on one answered item is settled whatever else is missing."""
    spec = _form("c >= 1")
    assert _raised(spec, {"c": 1}) == [("reached", False)]


def test_a_score_worked_out_by_an_expression_is_a_lower_bound_when_its_parts_only_add():
    spec = _form("weighted >= 6", extra="  - {id: weighted, label: Weighted, expr: 'a * 2 + b', min: 0, max: 9}\n")
    assert _raised(spec, {"a": 3}) == [("reached", True)]  # b only adds
    assert _raised(spec, {"a": 2, "b": 1}) == []


def test_a_number_question_without_a_lowest_value_proves_nothing():
    fields = ("      - {id: n, type: integer, label: N, help: H}\n"
              "      - {id: m, type: integer, label: M, help: H, min: 0}\n")
    sums = "  - {id: an, label: AN, items: [a, n]}\n  - {id: am, label: AM, items: [a, m]}\n"
    assert _raised(_form("an >= 3", fields=fields, extra=sums), {"a": 3}) == []  # n may be -5
    assert _raised(_form("am >= 3", fields=fields, extra=sums), {"a": 3}) == [("reached", True)]


def test_a_condition_already_true_on_the_answers_given_is_raised_as_before():
    """``sum`` skips unanswered items, so this is true now; it is raised as it always was, and
    marked partial because it reads an unanswered item (forms/README.md warns against upper
    bounds on a ``sum`` of unfinished items)."""
    assert _raised(_form("sum(a, b, c) <= 5"), {"a": 3}) == [("reached", True)]


def test_an_optional_question_may_stay_unanswered():
    """A required question will be answered (at least its lowest score); an optional one may
    stay null, and a comparison with null is false."""
    fields = ("      - {id: r, type: integer, label: R, help: H, required: true, min: 2}\n"
              "      - {id: o, type: integer, label: O, help: H, min: 2}\n")
    assert _raised(_form("r >= 2 and total >= 3", fields=fields), {"a": 3}) == [("reached", True)]
    assert _raised(_form("o >= 2 and total >= 3", fields=fields), {"a": 3}) == []
