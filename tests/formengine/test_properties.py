"""Random definitions and random answers produce problems, never exceptions."""

from __future__ import annotations

import datetime as dt
import functools
from itertools import pairwise
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddassess.formengine import evaluate, load_catalogue, load_form_text
from ddassess.formengine.schemacheck import check_structure
from ddassess.formengine.yamlsource import read_yaml

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- Any text, and definitions of the right shape but random meaning ------------------
#
# A random dict almost never has the shape of a form, so it would only ever test the
# schema check. ``forms`` below builds SCHEMA-VALID definitions (every field type, show_if,
# computed expressions, prefills, scores with bands, reverse items and weights, flags,
# groups) whose meaning is random: references may dangle, bands may overlap, expressions
# may divide text by null. Loading must give problems, never exceptions, and whatever
# loads is then evaluated with random answers — again problems, never exceptions.

FIELD_IDS = [f"f{i}" for i in range(6)]
SCORE_IDS = ["s0", "s1"]
SCORABLE = {"integer", "decimal", "rating", "scored_choice", "computed"}

# Numbers up to the engine's limit (10^15: products overflow it at run time), and one beyond
# it (refused at load).
LITERALS = st.sampled_from(["0", "1", "3", "40", "-2", "0.5", "1000000000000000", "999999999999999.9", "1e308",
                            "'a'", "''", "true", "false", "null", "[1, 'a']"])


def _calls(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    one = st.sampled_from(["answered", "days_since", "age", "len", "count_rows", "round"])
    two = st.sampled_from(["selected", "days_between", "round"])
    many = st.sampled_from(["sum", "min", "max", "count_answered"])
    return st.one_of(
        st.tuples(one, inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(two, inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        inner.map(lambda e: f"lookup('tbl', {e})"), inner.map(lambda e: f"latest('phq9', {e})"),
        st.tuples(many, st.lists(inner, min_size=1, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(inner, inner, inner).map(lambda t: f"choose({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(inner, inner).map(lambda t: f"any_row({t[0]}, 'c0', {t[1]})"),
        st.just("today()"),
    )


def expressions(names: list[str]) -> st.SearchStrategy[str]:
    """Well-formed expressions over ``names`` (and literals), with any operator or function."""
    return _expressions(tuple(names))


@functools.cache
def _expressions(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    atoms = st.one_of(LITERALS, st.sampled_from(names)) if names else LITERALS
    return st.recursive(
        atoms,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%", "==", "!=", "<", ">=", "and", "or", "in"]),
                      inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda e: f"(not {e})"), inner.map(lambda e: f"(-{e})"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
            st.lists(inner, max_size=3).map(lambda xs: f"[{', '.join(xs)}]"),
            _calls(inner),
        ),
        max_leaves=6,
    )


CHOICE_VALUES = st.one_of(st.integers(-1, 5), st.sampled_from(["a", "b", "yes", "no", "1"]), st.booleans())
SCALAR_TYPES = ["integer", "decimal", "rating", "short_text", "long_text", "date", "datetime", "yes_no",
                "person_ref", "practitioner_ref", "signature"]


@st.composite
def _choices(draw, scored: bool, careful: bool):  # type: ignore[no-untyped-def]
    key = (lambda v: str(v).lower()) if careful else (lambda v: (type(v), v))
    values = draw(st.lists(CHOICE_VALUES, min_size=1, max_size=4, unique_by=key))
    out = []
    for v in values:
        c = {"value": v, "label": f"Option {v}"}
        if scored or draw(st.booleans()):
            c["score"] = draw(st.one_of(st.integers(-2, 5), st.floats(-2, 5, allow_nan=False)))
        out.append(c)
    return out


@st.composite
def _field(draw, fid: str, names: list[str], careful: bool, column: bool = False):  # type: ignore[no-untyped-def]
    """One field; its expressions read only ``names`` (earlier fields, when careful: no cycles)."""
    types = SCALAR_TYPES + ["single_choice", "multi_choice", "scored_choice"] + ["computed"] * 3 + (
        [] if column else ["group"] * 2)  # computed and groups more often: they carry the most logic
    ftype = draw(st.sampled_from(types))
    f: dict = {"id": fid, "type": ftype, "label": f"Question {fid}"}
    if ftype not in ("computed", "group"):
        f["help"] = "Fictional help."
        f["required"] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        f["show_if"] = draw(expressions(names))
    if ftype in ("integer", "decimal", "rating"):
        lo, hi = draw(st.integers(-5, 5)), draw(st.integers(-5, 50))
        if careful and lo > hi:
            lo, hi = hi, lo
        if draw(st.booleans()):
            f["min"] = lo
        if draw(st.booleans()):
            f["max"] = hi
    if ftype in ("short_text", "long_text") and draw(st.booleans()):
        f["max_length"] = draw(st.integers(1, 30))
        f["pattern"] = draw(st.sampled_from(["[a-z]+", ".*", "[0-9]{3}"] + ([] if careful else ["(a|b"])))
    if ftype in ("date", "datetime"):
        f["not_future"] = draw(st.booleans())
    if ftype in ("single_choice", "multi_choice", "scored_choice"):
        lists = ["shared"] if careful else ["shared", "missing"]
        f["choices"] = draw(st.one_of(_choices(ftype == "scored_choice", careful), st.sampled_from(lists)))
    if ftype == "computed":
        f["expr"] = draw(expressions(names))
    elif ftype not in ("group", "signature") and draw(st.integers(0, 4)) == 0:
        f["prefill"] = draw(expressions(names))
    if ftype == "group":
        cols = [f"c{i}" for i in range(draw(st.integers(1, 2)))]
        f["fields"] = [draw(_field(c, names, careful, column=True)) for c in cols]
        if draw(st.booleans()):
            f["min_rows"] = draw(st.integers(0, 2))
    return f


def _bands(cuts: list[int]) -> list[dict]:  # type: ignore[type-arg]
    return [{"min": lo, "max": hi - 1, "label": f"Band {i}"} for i, (lo, hi) in enumerate(pairwise(cuts))]


@st.composite
def _score(draw, sid: str, fields: list[dict], names: list[str], careful: bool):  # type: ignore[no-untyped-def]
    s: dict = {"id": sid, "label": f"Score {sid}"}
    scorable = [f["id"] for f in fields if f["type"] in SCORABLE or not careful]
    cuts = sorted(draw(st.lists(st.integers(-5, 40), max_size=4, unique=True)))
    if scorable and draw(st.booleans()):
        items = draw(st.lists(st.sampled_from(scorable + ([] if careful else ["nope"])), min_size=1, max_size=4,
                              unique=True))
        s["items"] = items
        if draw(st.booleans()):
            s["reverse"] = draw(st.lists(st.sampled_from(items), max_size=2, unique=True))
        if draw(st.booleans()):
            s["weights"] = {items[0]: draw(st.sampled_from([2, 0.5, -1]))}
        if draw(st.booleans()):
            s["missing"] = {"allow": draw(st.integers(0, 2)), "method": draw(st.sampled_from(["prorate", "none"]))}
        if len(cuts) >= 2 and (not careful or draw(st.booleans())):
            s["bands"] = _bands(cuts)
            s["min"], s["max"] = cuts[0], cuts[-1] - 1  # the declared range the bands must cover
    else:
        s["expr"] = draw(expressions(names))
        if len(cuts) >= 2:
            s["bands"] = _bands(cuts)
    return s


@st.composite
def forms(draw):  # type: ignore[no-untyped-def]
    """A schema-valid form. Most are 'careful' (meaningful too); the rest have random mistakes."""
    careful = draw(st.integers(0, 3)) > 0
    n = draw(st.integers(1, len(FIELD_IDS)))
    everything = FIELD_IDS[:n] + SCORE_IDS + ["nope"]
    fields = [draw(_field(fid, FIELD_IDS[:i] if careful else everything, careful))
              for i, fid in enumerate(FIELD_IDS[:n])]
    split = draw(st.integers(1, n))
    sections = [{"id": "one", "title": "One", "fields": fields[:split]}]
    if fields[split:]:
        sections.append({"id": "two", "title": "Two", "fields": fields[split:]})
        if draw(st.booleans()):
            sections[1]["show_if"] = draw(expressions(FIELD_IDS[:split] if careful else everything))
    d: dict = {"id": "random", "version": 1, "title": "Random", "purpose": "Fuzzing.",
               "licence": {"text": "Fictional", "attribution": "Fictional"}, "sections": sections,
               "tables": {"tbl": {"a": 1, "1": "x"}}}
    if draw(st.booleans()):
        d["scores"] = [draw(_score(sid, fields, FIELD_IDS[:n] + SCORE_IDS[:i] if careful else everything, careful))
                       for i, sid in enumerate(SCORE_IDS[:draw(st.integers(1, 2))])]
    if draw(st.booleans()):
        scores = [s["id"] for s in d.get("scores", [])]
        d["flags"] = [{"id": f"flag{i}", "when": draw(expressions(FIELD_IDS[:n] + scores if careful else everything)),
                       "severity": "warning", "message": "M"} for i in range(draw(st.integers(1, 2)))]
    return d


SHARED = {"shared": [{"value": 0, "label": "No", "score": 0}, {"value": 1, "label": "Yes", "score": 1}]}
answer_values = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 60), st.integers(), st.just(10**400), st.floats(), st.text(max_size=12),
    st.sampled_from(["2026-11-20", "2026-11-20T10:00", "2026-02-31", "a", "yes", "1"]),
    st.lists(st.one_of(st.integers(-1, 5), st.sampled_from(["a", "b"])), max_size=3),
    st.lists(st.dictionaries(st.sampled_from(["c0", "c1", "zz"]), st.one_of(st.integers(-1, 5), st.text(max_size=4)),
                             max_size=2), max_size=3),
    st.just({"strokes": [[[0, 0], [5, 5]]]}),
)


class _Case:
    def lookup(self, form_id: str, name: str) -> object:
        return 10**30 if name == "total" else None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forms(), st.data())
def test_random_definitions_give_problems_not_exceptions(d, data):
    text = yaml.safe_dump(d, allow_unicode=True)
    src = read_yaml(text, "random.yaml")
    assert check_structure(src), [str(p) for p in src.problems]  # the strategy makes well-formed forms
    spec, problems = load_form_text(text, "random.yaml", glossary=set(), tables={}, shared_choices=SHARED)
    assert spec is not None or problems
    for p in problems:
        assert p.code.startswith("FORM_") and p.code != "FORM_022" and p.message and p.line
    if spec is None:
        return
    answers = data.draw(st.dictionaries(st.sampled_from(sorted(spec.fields) + ["stray"]), answer_values, max_size=8))
    ev = evaluate(spec, answers, _Case(), today=dt.date(2026, 11, 24))
    for p in ev.problems:
        assert p.code.startswith("ANS_") and p.message
    for s in ev.scores.values():
        assert s.value is None or s.complete
    ev.to_dict()


def test_the_random_forms_reach_the_evaluator():
    """Guard for the test above (a fixed sample): a third or more of the random forms load, and among
    them are scores, flags, show_if, computed fields, groups and scored choices."""
    seen: list[set[str]] = []

    @settings(max_examples=150, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(forms())
    def sample(d: dict) -> None:  # type: ignore[type-arg]
        spec, _ = load_form_text(yaml.safe_dump(d), "random.yaml", glossary=set(), tables={}, shared_choices=SHARED)
        has: set[str] = set()
        if spec is not None:
            has = {"built", *(f.type for f in spec.fields.values())}
            for name, present in (("score", spec.scores), ("flag", spec.flags),
                                  ("show_if", [f for f in spec.fields.values() if f.show_if])):
                if present:
                    has.add(name)
        seen.append(has)

    sample()
    assert sum("built" in has for has in seen) >= len(seen) / 3
    assert {"score", "flag", "show_if", "computed", "group", "scored_choice"} <= set().union(*seen)


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
