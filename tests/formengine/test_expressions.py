"""The expression language: what it allows, what it refuses at load time, and null."""

from __future__ import annotations

import datetime as dt

import pytest

from ddassess.formengine.expr import Env, ExprError, evaluate, parse_expr


@pytest.mark.parametrize(
    "source, code",
    [
        ("__import__('os').system('id')", "FORM_006"),
        ("q1.__class__", "FORM_006"),
        ("q1[0]", "FORM_006"),
        ("lambda: 1", "FORM_006"),
        ("[x for x in q1]", "FORM_006"),
        ("open('/etc/passwd')", "FORM_007"),
        ("eval('1')", "FORM_007"),
        ("sum(q1, start=2)", "FORM_006"),
        ("q1 := 3", "FORM_006"),
        ("{'a': 1}", "FORM_006"),
        ("b'bytes'", "FORM_006"),
        ("q1 if", "FORM_006"),
        ("choose(1, 2)", "FORM_006"),
        ("", "FORM_006"),
        ("x" * 3000, "FORM_006"),
    ],
)
def test_refused_at_load_time(source, code):
    with pytest.raises(ExprError) as info:
        parse_expr(source)
    assert info.value.code == code


def _ev(source, **values):
    return evaluate(parse_expr(source), Env(values, today=dt.date(2026, 11, 24)))


@pytest.mark.parametrize(
    "source, values, expected",
    [
        ("q1 + 1", {"q1": None}, None),
        ("q1 > 0", {"q1": None}, False),
        ("q1 == null", {"q1": None}, True),
        ("not q1", {"q1": None}, True),
        ("q1 > 0 or q2 > 0", {"q1": None, "q2": 1}, True),
        ("q1 in [1, 2]", {"q1": 2}, True),
        ("q1 in [1, 2]", {"q1": None}, False),
        ("q1 not in [1, 2]", {"q1": 3}, True),
        ("sum(q1, q2, q3)", {"q1": 1, "q2": None, "q3": 2}, 3),
        ("count_answered(q1, q2)", {"q1": 0, "q2": None}, 1),
        ("selected(m, 'a')", {"m": ["a", "b"]}, True),
        ("'yes' if q1 >= 3 else 'no'", {"q1": 3}, "yes"),
        ("age(dob)", {"dob": dt.date(2000, 11, 25)}, 25),
        ("age(dob)", {"dob": dt.date(2000, 11, 24)}, 26),
        ("days_since(d)", {"d": dt.date(2026, 11, 20)}, 4),
        ("q1 / 0", {"q1": 4}, None),
        ("round(q1 / 3, 1)", {"q1": 10}, 3.3),
        ("any_row(g, 'route', 'injected')", {"g": [{"route": "oral"}, {"route": "injected"}]}, True),
        ("count_rows(g)", {"g": None}, 0),
        ("q1 < 'text'", {"q1": 3}, False),
    ],
)
def test_values_and_null(source, values, expected):
    assert _ev(source, **values) == expected


def test_names_and_calls_are_collected_for_checks():
    e = parse_expr("lookup('quadrant_lead', quadrant) if q1 > 0 else latest('phq9', 'total')")
    assert e.names == {"quadrant", "q1"}
    assert ("lookup", ("quadrant_lead", None)) in e.calls
    assert ("latest", ("phq9", "total")) in e.calls


def test_latest_reads_the_case_context():
    class Case:
        def lookup(self, form_id, name):
            return {"phq9": {"total": 17}}.get(form_id, {}).get(name)

    e = parse_expr("latest('phq9', 'total')")
    assert evaluate(e, Env({}, Case())) == 17
    assert evaluate(parse_expr("latest('gad7', 'total')"), Env({}, Case())) is None
    assert evaluate(e, Env({})) is None  # no case: null, not an error
