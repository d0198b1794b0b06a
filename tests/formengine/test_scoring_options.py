"""Score options no catalogue form uses yet: ``reverse``, ``weights``, ``missing.allow``, prorating.

A CORE-10-like fixture (ten items scored 0-4, items 3 and 4 reversed, one item allowed
missing and prorated, a risk flag on item 6) exercises them as a service holding a
CORE-10 licence would. The wording is fictional: CORE-10 itself is not shipped (see
forms/CATALOGUE.md).
"""

from __future__ import annotations

import pytest

from ddassess.formengine import evaluate, load_form_text

ITEMS = [f"q{i}" for i in range(1, 11)]
FIELDS = "\n".join(f"      - {{id: q{i}, type: scored_choice, label: Fictional item {i}, help: H, required: true, "
                   "choices: often}" for i in range(1, 11))
TEN = f"""id: ten_item
version: 1
title: A fictional ten-item distress measure
purpose: Tests of reverse scoring, missing items and prorating.
licence: {{text: Fictional, attribution: Fictional}}
choice_lists:
  often:
    - {{value: 0, label: Not at all, score: 0}}
    - {{value: 1, label: Only occasionally, score: 1}}
    - {{value: 2, label: Sometimes, score: 2}}
    - {{value: 3, label: Often, score: 3}}
    - {{value: 4, label: Most or all of the time, score: 4}}
sections:
  - id: items
    title: Over the last week
    fields:
{FIELDS}
scores:
  - id: total
    label: Total
    items: [{", ".join(ITEMS)}]
    reverse: [q3, q4]
    missing: {{allow: 1, method: prorate}}
    bands:
      - {{min: 0, max: 10, label: Healthy}}
      - {{min: 11, max: 14, label: Low}}
      - {{min: 15, max: 19, label: Mild}}
      - {{min: 20, max: 24, label: Moderate}}
      - {{min: 25, max: 40, label: Severe}}
  - id: weighted
    label: Weighted pair
    items: [q1, q2]
    weights: {{q1: 2, q2: 0.5}}
flags:
  - {{id: item6_risk, when: q6 > 0, severity: urgent, message: Item 6 answered above zero; ask about risk today.}}
"""


@pytest.fixture(scope="module")
def spec():
    s, problems = load_form_text(TEN, "ten_item.yaml")
    assert s is not None and problems == [], [str(p) for p in problems]
    return s


def _answers(**scores: int) -> dict[str, int]:
    return {q: 0 for q in ITEMS} | scores


def test_reversed_items_score_four_minus_the_answer(spec):
    assert evaluate(spec, _answers()).scores["total"].value == 8  # q3 and q4 at 0 score 4 each
    assert evaluate(spec, _answers(q3=4, q4=4)).scores["total"].value == 0
    assert evaluate(spec, _answers(q3=1, q4=3)).scores["total"].value == 3 + 1


def test_bands_apply_to_the_reversed_total(spec):
    ev = evaluate(spec, _answers(q1=4, q2=4, q5=3, q7=4, q8=2))  # 4+4+4+4+3+0+4+2+0+0 with q3, q4 reversed
    assert (ev.scores["total"].value, ev.scores["total"].band) == (25, "Severe")


def test_one_missing_item_is_prorated(spec):
    answers = _answers(q2=4)
    del answers["q1"]
    total = evaluate(spec, answers).scores["total"]
    # 12 from nine items, times 10/9 = 13.3, rounded to 13.
    assert (total.value, total.complete, total.answered, total.needed, total.band) == (13, True, 9, 10, "Low")


def test_two_missing_items_leave_no_total(spec):
    answers = _answers(q2=4)
    del answers["q1"], answers["q5"]
    total = evaluate(spec, answers).scores["total"]
    assert (total.value, total.complete, total.band) == (None, False, "")
    assert total.partial == 12


def test_a_missing_reversed_item_is_not_counted_as_its_reverse(spec):
    answers = _answers()
    del answers["q3"]
    # Nine items: q4 reversed gives 4, the rest 0. Prorated: 4 * 10 / 9 = 4.4 -> 4 (not 8).
    assert evaluate(spec, answers).scores["total"].value == 4


def test_weights_multiply_each_item(spec):
    assert evaluate(spec, _answers(q1=3, q2=3)).scores["weighted"].value == 3 * 2 + 3 * 0.5


@pytest.mark.parametrize("q6, flagged", [(0, False), (1, True), (4, True)])
def test_item_6_above_zero_raises_the_risk_flag(spec, q6, flagged):
    ev = evaluate(spec, _answers(q6=q6))
    assert ([f.id for f in ev.flags] == ["item6_risk"]) is flagged
    if flagged:
        assert ev.flags[0].severity == "urgent"


def test_bands_are_checked_against_the_reversed_range():
    bad = TEN.replace("{min: 25, max: 40, label: Severe}", "{min: 25, max: 44, label: Severe}")
    s, problems = load_form_text(bad, "ten_item.yaml")
    assert s is None and [p.code for p in problems] == ["FORM_011"]
