"""Answers are checked by the engine; hidden questions are neither required nor scored."""

from __future__ import annotations

import datetime as dt

import pytest

from ddassess.formengine import evaluate, load_form_text

FORM = """
id: t
version: 1
title: Test form
purpose: A fictional test form.
licence: {text: Test, attribution: Tests}
sections:
  - id: a
    title: A
    fields:
      - {id: uses, type: yes_no, label: Uses drugs, help: H, required: true}
      - {id: which, type: multi_choice, label: Which, help: H, required: true, show_if: uses == true,
         choices: [{value: heroin, label: Heroin}, {value: crack, label: Crack}]}
      - {id: amount, type: integer, label: Days used, help: H, min: 0, max: 28, show_if: uses == true}
      - {id: name, type: short_text, label: Name, help: H, max_length: 20}
      - {id: nhs, type: short_text, label: NHS number, help: H, format: nhs_number}
      - {id: seen, type: date, label: Seen on, help: H, not_future: true}
      - {id: sig, type: signature, label: Signature, help: H}
      - id: rows
        type: group
        label: Rows
        help: H
        max_rows: 2
        fields:
          - {id: s, type: single_choice, label: Substance, help: H, required: true, choices: [{value: a, label: A}]}
          - {id: n, type: integer, label: N, help: H, min: 0}
  - id: b
    title: B
    show_if: uses == true
    fields:
      - {id: q1, type: scored_choice, label: Q1, help: H, required: true,
         choices: [{value: 0, label: "No", score: 0}, {value: 1, label: "Yes", score: 3}]}
scores:
  - {id: total, label: Total, items: [q1, amount]}
"""
TODAY = dt.date(2026, 11, 24)


@pytest.fixture(scope="module")
def spec():
    s, problems = load_form_text(FORM, "t.yaml")
    assert s is not None, problems
    return s


def codes(ev):
    return {(p.field, p.code) for p in ev.problems}


def test_hidden_fields_are_not_required_and_stale_answers_not_scored(spec):
    ev = evaluate(spec, {"uses": False, "which": ["heroin"], "amount": 20, "q1": 1}, today=TODAY)
    assert ev.problems == []
    assert {"which", "amount", "q1"} <= ev.hidden
    assert ev.values["amount"] is None and ev.values["q1"] is None
    assert ev.scores["total"].complete and ev.scores["total"].value == 0 and ev.scores["total"].needed == 0


def test_shown_fields_are_required_and_scored(spec):
    ev = evaluate(spec, {"uses": True}, today=TODAY)
    assert {("which", "ANS_001"), ("q1", "ANS_001")} <= codes(ev)
    assert not ev.scores["total"].complete and ev.scores["total"].value is None
    ev = evaluate(spec, {"uses": True, "which": ["crack"], "amount": 5, "q1": 1}, today=TODAY)
    assert ev.problems == []
    assert ev.scores["total"].value == 8  # the scored choice counts its score (3), not its value (1)


@pytest.mark.parametrize(
    "answers, field, code",
    [
        ({"uses": "yes"}, "uses", "ANS_002"),
        ({"uses": True, "which": ["ketamine"]}, "which", "ANS_007"),
        ({"uses": True, "amount": 29}, "amount", "ANS_003"),
        ({"uses": True, "amount": 2.5}, "amount", "ANS_002"),
        ({"uses": True, "amount": float("nan")}, "amount", "ANS_002"),
        ({"name": "x" * 21}, "name", "ANS_004"),
        ({"name": "Tab\x00ulated"}, "name", "ANS_009"),
        ({"nhs": "943 476 5918"}, "nhs", "ANS_008"),
        ({"seen": "2026-02-31"}, "seen", "ANS_013"),
        ({"seen": "2027-01-01"}, "seen", "ANS_006"),
        ({"sig": {"strokes": []}}, "sig", "ANS_012"),
        ({"sig": {"strokes": [[["a", "b"], [1, 2]]]}}, "sig", "ANS_002"),
        ({"rows": [{"s": "a"}, {"s": "a"}, {"s": "a"}]}, "rows", "ANS_011"),
        ({"rows": [{"n": 1}]}, "rows[0].s", "ANS_001"),
        ({"rows": [{"s": "a", "n": -1}]}, "rows[0].n", "ANS_003"),
        ({"rows": "not rows"}, "rows", "ANS_002"),
        ({"uses": True, "q1": 2}, "q1", "ANS_007"),
    ],
)
def test_bad_answers_get_their_problem_and_keep_the_rest(spec, answers, field, code):
    answers = {"uses": False, **answers}
    ev = evaluate(spec, answers, today=TODAY)
    assert (field, code) in codes(ev), [str(p) for p in ev.problems]
    assert all(p.message for p in ev.problems)


def test_unknown_answers_are_a_warning_not_lost(spec):
    ev = evaluate(spec, {"uses": False, "removed_question": "kept"}, today=TODAY)
    [p] = ev.problems
    assert p.code == "ANS_010" and p.severity == "warning" and ev.complete


def test_answers_that_are_not_a_mapping(spec):
    ev = evaluate(spec, ["not", "a", "mapping"], today=TODAY)
    assert ev.problems[0].code == "ANS_002"


def test_very_long_text_is_a_problem_not_a_crash(spec):
    ev = evaluate(spec, {"uses": False, "name": "Z" * 1_000_000}, today=TODAY)
    assert ("name", "ANS_004") in codes(ev)


def test_unquoted_yes_no_labels_get_a_helpful_message():
    text = FORM.replace('label: "No"', "label: No")
    spec, problems = load_form_text(text, "t.yaml")
    assert spec is None
    assert any("was read as false" in p.message and "quotes" in p.message for p in problems), problems
