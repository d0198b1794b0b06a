"""QuickScores (formengine/quick.py) gives exactly what ``evaluate`` gives, or nothing.

The CSV export scores tens of thousands of responses with it, so it is compared with the
forms engine on constructed answers to every version of every form in the catalogue: fully
answered responses (where it must answer), and responses with a question left out, an
answer of the wrong JSON type (``true`` for option 1, ``1.0``, ``"1"``), an option the
question does not have, or an extra key (where it must leave the work to ``evaluate``, or
agree with it). PHQ-9 scored as published (Kroenke, Spitzer and Williams 2001).
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from ddassess.formengine import evaluate, load_form_text
from ddassess.formengine.quick import QuickScores
from ddassess.interchange import csv_rows

TODAY = dt.date(2026, 11, 30)


def _full(spec, rng):
    """Every question a valid answer where one is easy to make (choices and yes/no), else none."""
    answers = {}
    for f in spec.fields.values():
        if f.choices and f.type != "multi_choice":
            answers[f.id] = rng.choice(f.choices).value
        elif f.type == "yes_no":
            answers[f.id] = rng.random() < 0.5
    return answers


def _spoilt(spec, answers, rng):
    out = dict(answers)
    scored = [f for f in spec.fields.values() if f.type == "scored_choice"]
    if not scored:
        return out
    f = rng.choice(scored)
    value = f.choices[0].value
    out[f.id] = rng.choice([None, True, "", 99, [value], {"v": value},
                            float(value) if isinstance(value, int) else value,
                            str(value), "not an option"])
    if rng.random() < 0.3:
        out.pop(f.id)
    if rng.random() < 0.2:
        out["no_such_question"] = 1
    return out


def _same(spec, quick, answers, tables):
    ev = evaluate(spec, answers, tables=tables, today=TODAY)
    got = quick(answers)
    if got is None:
        return False
    expected = {s.id: (r.value, r.band) for s in spec.scores if (r := ev.scores[s.id]).complete}
    assert got.scores == expected, (spec.key, answers)
    assert [type(v) for v, _ in got.scores.values()] == [type(v) for v, _ in expected.values()]
    assert got.flags == tuple(f.id for f in ev.flags), (spec.key, answers)
    assert not any(f.partial for f in ev.flags)
    return True


def test_quick_scores_agree_with_evaluate_on_every_form(catalogue):
    rng = random.Random(17)
    compiled = answered = 0
    for spec in catalogue.all_versions.values():
        quick = QuickScores.compile(spec, catalogue.tables, TODAY)
        if quick is None:
            continue
        compiled += 1
        for _ in range(150):
            answers = _full(spec, rng)
            answered += _same(spec, quick, answers, catalogue.tables)
            _same(spec, quick, _spoilt(spec, answers, rng), catalogue.tables)
    assert compiled >= 6 and answered > 600  # the quick path is really taken


@pytest.mark.parametrize("form_id", ["phq9", "gad7", "audit_c", "audit"])
def test_the_screening_instruments_are_compiled(catalogue, form_id):
    assert QuickScores.compile(catalogue.get(form_id), catalogue.tables, TODAY) is not None


def test_phq9_item_9_flag_and_bands_as_published(catalogue):
    spec = catalogue.get("phq9")
    quick = QuickScores.compile(spec, catalogue.tables, TODAY)
    answers = {f"q{i}": 2 for i in range(1, 10)} | {"difficulty": "very"}
    got = quick(answers)
    assert got.scores["total"] == (18, "Moderately severe") and got.flags == ("risk_to_self",)
    assert quick(answers | {"q9": 0}).flags == ()
    assert quick(answers | {"q3": True}) is None and quick({k: v for k, v in answers.items() if k != "q4"}) is None


def test_skip_logic_that_reads_other_questions_is_left_to_evaluate(catalogue):
    """A form whose flags or skip logic read a question that is not a scored choice (or one
    that can be hidden) is not compiled: its answers can leave things unsettled."""
    not_compiled = [s.key for s in catalogue.all_versions.values()
                    if QuickScores.compile(s, catalogue.tables, TODAY) is None]
    assert "joint_assessment" in " ".join(not_compiled)


def test_csv_rows_made_quickly_equal_rows_made_with_evaluate(catalogue):
    rng = random.Random(3)
    for spec in catalogue.all_versions.values():
        current = catalogue.get(spec.id)
        rows = csv_rows.Rows(current, catalogue.tables, TODAY)
        for i in range(40):
            answers = _full(spec, rng)
            if i % 3 == 0:
                answers = _spoilt(spec, answers, rng)
            lead = ["DD-1", f"uuid-{i}", str(spec.version), "final", "2026-11-30T10:00:00+00:00"]
            ev = evaluate(spec, answers, tables=catalogue.tables, today=TODAY)
            assert rows.make(spec, list(lead), answers) == csv_rows.row(
                current, ("DD-1", f"uuid-{i}", spec.version, "final", "2026-11-30T10:00:00+00:00"), answers, ev)


FICTIONAL = """id: fictional
version: 1
title: A fictional measure with reverse items and weights
purpose: Tests of QuickScores.
licence: {text: Fictional, attribution: Fictional}
choice_lists:
  level: [{value: 0, label: None, score: 0}, {value: 1, label: Some, score: 1}, {value: 2, label: More, score: 2},
          {value: 3, label: Most, score: 3}]
sections:
  - id: items
    title: Items
    fields:
      - {id: a, type: scored_choice, label: A, help: H, required: true, choices: level}
      - {id: b, type: scored_choice, label: B, help: H, required: true, choices: level}
      - {id: c, type: scored_choice, label: C, help: H, required: true, choices: level}
  - id: more
    title: More
    show_if: a > 0
    fields:
      - {id: notes, type: short_text, label: Notes, help: H}
scores:
  - id: total
    label: Total
    items: [a, b, c]
    reverse: [c]
    weights: {b: 0.5}
    bands: [{min: 0, max: 3, label: Low}, {min: 3.5, max: 7.5, label: High}]
  - id: pair
    label: Pair
    items: [a, b]
    weights: {a: 2}
flags:
  - {id: high, when: total >= 4, severity: warning, message: M}
  - {id: both, when: a == 3 and pair > 6, severity: urgent, message: M}
"""


@pytest.mark.parametrize("seed", range(4))
def test_reverse_items_weights_and_skip_logic_agree_with_evaluate(seed):
    spec, problems = load_form_text(FICTIONAL, "fictional.yaml", glossary=set(), tables={})
    assert spec is not None, problems
    quick = QuickScores.compile(spec, {}, TODAY)
    rng = random.Random(seed)
    answered = 0
    for _ in range(200):
        answers = {k: rng.choice([0, 1, 2, 3]) for k in "abc"} | {"notes": rng.choice(["", "x"])}
        if rng.random() < 0.2:
            answers = _spoilt(spec, answers, rng)
        answered += _same(spec, quick, answers, {})
    assert answered > 80
