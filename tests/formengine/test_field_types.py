"""Answer checks for the field types no catalogue form uses: rating, datetime, person_ref, decimal."""

from __future__ import annotations

import datetime as dt

import pytest

from ddassess.formengine import evaluate, load_form_text

FORM = """id: types
version: 1
title: Field types
purpose: A fictional test form.
licence: {text: Fictional, attribution: Fictional}
sections:
  - id: a
    title: A
    fields:
      - {id: mood, type: rating, label: Mood today, help: H, min: 0, max: 10, min_label: Worst, max_label: Best}
      - {id: seen_at, type: datetime, label: Seen at, help: H, not_future: true}
      - {id: person, type: person_ref, label: Person, help: H, max_length: 40}
      - {id: weight, type: decimal, label: Weight, help: H, min: 30, max: 250.5, unit: kg}
"""
TODAY = dt.date(2026, 11, 24)


@pytest.fixture(scope="module")
def spec():
    s, problems = load_form_text(FORM, "types.yaml")
    assert s is not None and problems == [], [str(p) for p in problems]
    return s


def _problems(spec, **answers):  # type: ignore[no-untyped-def]
    return [(p.field, p.code) for p in evaluate(spec, answers, today=TODAY).problems]


@pytest.mark.parametrize("value", [0, 7, 10, 7.0])
def test_rating_accepts_whole_numbers_in_range(spec, value):
    ev = evaluate(spec, {"mood": value}, today=TODAY)
    assert ev.problems == [] and ev.values["mood"] == int(value) and isinstance(ev.values["mood"], int)


@pytest.mark.parametrize("value, code", [(11, "ANS_003"), (-1, "ANS_003"), (7.5, "ANS_002"), (True, "ANS_002"),
                                         ("7", "ANS_002"), (float("nan"), "ANS_002"), (10**400, "ANS_003")])
def test_rating_refuses_other_values(spec, value, code):
    assert _problems(spec, mood=value) == [("mood", code)]


@pytest.mark.parametrize("value, seen", [("2026-11-20T10:00", dt.datetime(2026, 11, 20, 10, 0)),
                                         ("2026-11-24T23:59:59", dt.datetime(2026, 11, 24, 23, 59, 59))])
def test_datetime_reads_iso_date_and_time(spec, value, seen):
    ev = evaluate(spec, {"seen_at": value}, today=TODAY)
    assert ev.problems == [] and ev.values["seen_at"] == seen


@pytest.mark.parametrize("value, code", [("2026-02-31T10:00", "ANS_013"), ("yesterday", "ANS_013"),
                                         ("2026-11-25T00:00", "ANS_006"), (20261120, "ANS_002")])
def test_datetime_refuses_bad_or_future_values(spec, value, code):
    assert _problems(spec, seen_at=value) == [("seen_at", code)]


def test_person_ref_is_checked_as_text(spec):
    assert _problems(spec, person="p-0001") == []
    assert _problems(spec, person=12) == [("person", "ANS_002")]
    assert _problems(spec, person="x" * 41) == [("person", "ANS_004")]
    assert _problems(spec, person="p-\x000001") == [("person", "ANS_009")]


@pytest.mark.parametrize("value", [30, 72.4, 250.5])
def test_decimal_accepts_numbers_in_range(spec, value):
    ev = evaluate(spec, {"weight": value}, today=TODAY)
    assert ev.problems == [] and ev.values["weight"] == value


@pytest.mark.parametrize("value, code", [(29.9, "ANS_003"), (250.6, "ANS_003"), ("72.4", "ANS_002"),
                                         (False, "ANS_002"), (float("inf"), "ANS_002"), (10**400, "ANS_003")])
def test_decimal_refuses_other_values(spec, value, code):
    assert _problems(spec, weight=value) == [("weight", code)]
