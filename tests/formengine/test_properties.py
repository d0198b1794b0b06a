"""Random definitions and random answers produce problems, never exceptions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddassess.formengine import FIELD_TYPES, evaluate, load_catalogue, load_form_text

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.sampled_from(["q1", "q2", "total", "x", "sum", "null", "Q1", "a b", ""])
tokens = st.sampled_from(["q1", "q2", "total", "1", "'a'", "+", "-", "*", "/", "==", ">", "and", "or", "not", "(",
                          ")", "[", "]", ",", "sum(", "latest(", "lookup(", "if", "else", "null", "true", ".x", "__"])
expressions = st.lists(tokens, max_size=8).map(" ".join)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 50), st.floats(allow_nan=True), st.text(max_size=20),
                    expressions)
choice = st.fixed_dictionaries({"value": scalars, "label": scalars}, optional={"score": scalars, "help": scalars})
field = st.fixed_dictionaries(
    {"id": names, "type": st.one_of(st.sampled_from(sorted(FIELD_TYPES)), st.text(max_size=8)), "label": scalars},
    optional={"help": scalars, "required": scalars, "choices": st.one_of(st.lists(choice, max_size=4), names),
              "show_if": expressions, "expr": expressions, "min": scalars, "max": scalars,
              "not_future": scalars, "fields": st.lists(st.fixed_dictionaries({"id": names, "type": st.just("integer"),
                                                                                "label": scalars}), max_size=2)},
)
definition = st.fixed_dictionaries(
    {"id": names, "version": scalars, "title": scalars,
     "licence": st.one_of(scalars, st.fixed_dictionaries({"text": scalars, "attribution": scalars})),
     "sections": st.lists(st.fixed_dictionaries({"id": names, "title": scalars, "fields": st.lists(field, max_size=4)},
                                                optional={"show_if": expressions}), max_size=3)},
    optional={"scores": st.lists(st.fixed_dictionaries({"id": names, "label": scalars},
                                                       optional={"items": st.lists(names, max_size=3),
                                                                 "expr": expressions,
                                                                 "reverse": st.lists(names, max_size=2),
                                                                 "bands": st.lists(st.fixed_dictionaries(
                                                                     {"min": scalars, "max": scalars, "label": scalars}),
                                                                     max_size=3)}), max_size=2),
              "flags": st.lists(st.fixed_dictionaries({"id": names, "when": expressions, "severity": scalars,
                                                       "message": scalars}), max_size=2)},
)


@SETTINGS
@given(definition)
def test_random_definitions_give_problems_not_exceptions(d):
    text = yaml.safe_dump(d, allow_unicode=True)
    spec, problems = load_form_text(text, "random.yaml", glossary=set(), tables={})
    assert spec is not None or problems
    for p in problems:
        assert p.code.startswith("FORM_") and p.message


@SETTINGS
@given(st.text(max_size=300))
def test_random_text_gives_problems_not_exceptions(text):
    spec, problems = load_form_text(text, "random.yaml")
    assert spec is None and problems


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
              st.dates().map(dt.date.isoformat)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


@SETTINGS
@given(st.sampled_from(sorted(CATALOGUE.forms)), st.data())
def test_random_answers_give_problems_not_exceptions(form_id, data):
    spec = CATALOGUE.get(form_id)
    keys = st.one_of(st.sampled_from(sorted(spec.fields)), st.text(max_size=8))
    answers = data.draw(st.dictionaries(keys, json_values, max_size=12))
    ev = evaluate(spec, answers, tables=CATALOGUE.tables)
    for p in ev.problems:
        assert p.code.startswith("ANS_") and p.message
    for s in ev.scores.values():
        assert s.value is None or s.complete  # never a partial total presented as a total
    ev.to_dict()
