"""A bad form file never crashes and never stops other forms loading; answers give problems.

Each test here was a crash or a silent wrong answer found by an audit: a recursive YAML
alias, runaway alias expansion, a broken shared choice list or glossary, a regex that
does not compile, numbers too large for a float, and so on.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

import pytest

from ddassess.errors import FormDefinitionError
from ddassess.formengine import DefinitionUnavailableError, evaluate, load_catalogue, load_form_text

FORMS = Path(__file__).resolve().parents[2] / "forms"
FORM_FILES = sorted(p.stem for p in FORMS.glob("*.yaml") if p.stem not in ("glossary", "choices"))

HEAD = """id: t
version: 1
title: T
purpose: A fictional test form.
licence: {text: Fictional, attribution: Fictional}
sections:
  - id: a
    title: A
    fields:
"""


def _form(*fields: str) -> str:
    return HEAD + "".join(f"      - {f}\n" for f in fields)


def _load(*fields: str):  # type: ignore[no-untyped-def]
    spec, problems = load_form_text(_form(*fields), "t.yaml")
    assert spec is not None, [str(p) for p in problems]
    return spec


@pytest.fixture
def forms(tmp_path: Path) -> Path:
    folder = tmp_path / "forms"
    shutil.copytree(FORMS, folder)
    return folder


# --- 1. YAML that would never finish ---------------------------------------------------


def test_a_recursive_alias_is_a_problem_not_a_crash():
    spec, problems = load_form_text("a: &x [*x]\n", "x.yaml")
    assert spec is None
    assert [p.code for p in problems] == ["FORM_021"]
    assert "refers to the value that contains it" in problems[0].message and problems[0].line == 1


def test_a_recursive_alias_in_one_form_leaves_the_others_loading(forms):
    (forms / "gad7.yaml").write_text((forms / "gad7.yaml").read_text() + "tables: &t {a: *t}\n")
    cat = load_catalogue(forms)
    assert [p.code for p in cat.problems if p.severity == "error"] == ["FORM_021"]
    assert cat.problems[0].file.endswith("gad7.yaml")
    assert set(cat.forms) == set(FORM_FILES) - {"gad7"}


def test_alias_expansion_is_capped_and_quick():
    laughs = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(6))
    t = time.perf_counter()
    spec, problems = load_form_text(laughs, "x.yaml")
    assert time.perf_counter() - t < 2  # was 13-16 s for these 7 lines (9^7 values)
    assert spec is None and [p.code for p in problems] == ["FORM_021"]
    assert "aliases" in problems[0].message


def test_nesting_beyond_any_form_is_refused():
    deep = "a: " + "[" * 70 + "]" * 70 + "\n"
    spec, problems = load_form_text(deep, "x.yaml")
    assert spec is None and [p.code for p in problems] == ["FORM_021"] and "nested" in problems[0].message


def test_an_ordinary_alias_still_works():
    text = _form("{id: q1, type: single_choice, label: Q1, help: H, choices: &yn [{value: y, label: 'Yes'}, "
                 "{value: n, label: 'No'}]}", "{id: q2, type: single_choice, label: Q2, help: H, choices: *yn}")
    spec, problems = load_form_text(text, "t.yaml")
    assert problems == [] and [c.value for c in spec.fields["q2"].choices] == ["y", "n"]


def test_an_engine_fault_in_one_file_becomes_a_problem_for_that_file(forms, monkeypatch):
    """The last line of defence: a fault nobody foresaw still costs one form, not the catalogue."""
    from ddassess.formengine import catalogue as catalogue_module

    real = catalogue_module.build_spec

    def faulty(src, shared=None):  # type: ignore[no-untyped-def]
        if src.file.endswith("gad7.yaml"):
            raise ZeroDivisionError("a fault inside the engine")
        return real(src, shared)

    monkeypatch.setattr(catalogue_module, "build_spec", faulty)
    cat = load_catalogue(forms)
    assert [(p.code, Path(p.file).name) for p in cat.problems if p.severity == "error"] == [("FORM_022", "gad7.yaml")]
    assert "ZeroDivisionError" in cat.problems[0].message and "report" in cat.problems[0].message
    # Forms that read the GAD-7's total are warned that it is missing, and still load.
    assert all(p.code == "FORM_005" and "'gad7'" in p.message for p in cat.problems[1:])
    assert set(cat.forms) == set(FORM_FILES) - {"gad7"}


# --- 2. Shared choice lists ----------------------------------------------------------


@pytest.mark.parametrize("bad_list, why", [
    ("past_two_weeks:\n  - just a string\n", "must be a mapping"),
    ("past_two_weeks:\n  - {value: 0}\n", "needs a 'label'"),
    ("past_two_weeks: hello\n", "must be a list of options"),
    ("past_two_weeks:\n  - {value: 0, label: Not at all, score: lots}\n", "'score' must be a number"),
    ("past_two_weeks:\n  - {value: 0, label: Not at all, scroe: 0}\n", "did you mean 'score'"),
])
def test_a_broken_shared_choice_list_is_reported_once_and_only_its_forms_drop(forms, bad_list, why):
    text = (forms / "choices.yaml").read_text()
    start = text.index("past_two_weeks:")
    end = text.index("yes_no_scored:")
    (forms / "choices.yaml").write_text(text[:start] + bad_list + text[end:])
    cat = load_catalogue(forms).read_all()
    shared = [p for p in cat.problems if p.code == "FORM_026"]
    assert len(shared) == 1 and why in shared[0].message and shared[0].file.endswith("choices.yaml")
    assert shared[0].line
    users = {Path(p.file).stem for p in cat.problems if p.code == "FORM_008"}
    assert users == {"phq9", "gad7", "phq9@1", "gad7@1", "phq9@2", "gad7@2"}  # older versions use the list too
    assert all("has problems (see choices.yaml)" in p.message for p in cat.problems if p.code == "FORM_008")
    assert set(cat.forms) == set(FORM_FILES) - users


# --- 3. A broken glossary --------------------------------------------------------------


def test_a_broken_glossary_is_reported_once_and_forms_still_load(forms):
    (forms / "glossary.yaml").write_text("[oops\n")
    cat = load_catalogue(forms)
    assert [(p.code, Path(p.file).name) for p in cat.problems] == [("FORM_001", "glossary.yaml")]
    assert set(cat.forms) == set(FORM_FILES)


def test_a_glossary_that_is_a_list_is_reported_once(forms):
    (forms / "glossary.yaml").write_text("- quadrant\n- lead agency\n")
    cat = load_catalogue(forms)
    assert [p.code for p in cat.problems] == ["FORM_002"]
    assert set(cat.forms) == set(FORM_FILES)


# --- 4. Load-time checks and total evaluation ------------------------------------------


def test_an_invalid_pattern_is_refused_at_load():
    spec, problems = load_form_text(_form("{id: q1, type: short_text, label: Q1, help: H, pattern: '[a-'}"), "t.yaml")
    assert spec is None and [p.code for p in problems] == ["FORM_023"]
    assert "not a valid regular expression" in problems[0].message and problems[0].line == 10


def test_days_since_and_age_work_for_a_datetime_answer():
    spec = _load("{id: when, type: datetime, label: W, help: H}",
                 "{id: since, type: computed, label: S, expr: 'days_since(when)'}",
                 "{id: between, type: computed, label: B, expr: 'days_between(when, today())'}",
                 "{id: years, type: computed, label: Y, expr: 'age(when)'}")
    for answer in ("2026-11-20T10:00", "2026-11-20T10:00+01:00"):
        ev = evaluate(spec, {"when": answer}, today=dt.date(2026, 11, 24))
        assert ev.problems == []
        assert ev.computed == {"since": 4, "between": 4, "years": 0}


@pytest.mark.parametrize("literal", ["1e400", "-1e308", "1" + "0" * 400, "10000000000000001"])
def test_numbers_beyond_any_form_are_refused_in_expressions(literal):
    spec, problems = load_form_text(_form(f"{{id: c1, type: computed, label: C, expr: 'round(1, {literal})'}}"),
                                    "t.yaml")
    assert spec is None and [p.code for p in problems] == ["FORM_006"] and "10^15" in problems[0].message


@pytest.mark.parametrize("expr", [
    "round(q1, d)", "round(q1, -d)", "round(q1, 10000000000)", "any_row(g, [1], 1)",
    "lookup('quadrant_lead', [1])", "-d - d * d", "d * d * 10 % 3",
])
def test_awkward_calls_give_null_not_exceptions(expr):
    spec, problems = load_form_text(_form("{id: q1, type: integer, label: Q1, help: H}",
                                          "{id: d, type: decimal, label: D, help: H}",
                 "{id: g, type: group, label: G, fields: [{id: c, type: integer, label: C, help: H}]}",
                 f"{{id: c1, type: computed, label: C, expr: \"{expr}\"}}"), "t.yaml",
                                    tables={"quadrant_lead": {"1": "x"}})
    assert problems == []
    ev = evaluate(spec, {"q1": 5, "d": 1e15, "g": [{"c": 1}]}, tables={"quadrant_lead": {"1": "x"}})
    assert ev.computed["c1"] in (None, False)
    assert all(p.code == "ANS_014" and p.field == "c1" for p in ev.problems)


@pytest.mark.parametrize("expr", [
    " * ".join(["10000000000"] * 45) + " + 0.5",
    " * ".join(["10000000000"] * 45) + " / 3",
    "sum(" + " * ".join(["10000000000"] * 3) + ", 0.5)",
])
def test_numbers_too_large_are_a_problem_naming_the_field(expr):
    spec = _load("{id: q1, type: integer, label: Q1, help: H}",
                 f"{{id: big, type: computed, label: Big, expr: \"{expr}\"}}",
                 "{id: after, type: computed, label: After, expr: '1 + 1'}")
    ev = evaluate(spec, {"q1": 5})
    assert ev.computed["big"] is None
    assert [(p.code, p.field) for p in ev.problems] == [("ANS_014", "big")]
    assert "too large" in ev.problems[0].message
    assert ev.computed["after"] == 2  # the rest of the form is still worked out


def test_a_huge_integer_answer_is_out_of_range_not_a_crash(catalogue):
    sp = catalogue.get("substance_profile")
    ev = evaluate(sp, {"substances": [{"substance": "alcohol", "amount": "x", "days_last_28": 10**400,
                                       "route": "oral"}]})
    assert [p for p in ev.problems if p.field == "substances[0].days_last_28"][0].code == "ANS_003"
    ja = catalogue.get("joint_assessment")
    ev = evaluate(ja, {"phq9_total": 10**400})
    assert [p.code for p in ev.problems if p.field == "phq9_total"] == ["ANS_003"]


def test_a_flag_that_cannot_be_worked_out_is_reported():
    text = _form("{id: q1, type: decimal, label: Q1, help: H}") + (
        "flags:\n  - {id: huge, when: 'q1 * 1e15 * 1e15 > 1', severity: urgent, message: M}\n")
    spec, problems = load_form_text(text, "t.yaml")
    assert problems == []
    ev = evaluate(spec, {"q1": 1e15})
    assert ev.flags == [] and [(p.code, p.field) for p in ev.problems] == [("ANS_014", "huge")]


# --- 5. Prefills in the dependency order --------------------------------------------


class _Case:
    def lookup(self, form_id: str, name: str) -> int:
        return 25


def test_a_prefill_reading_a_later_field_sees_its_value():
    spec = _load("{id: sev, type: single_choice, label: S, help: H, prefill: \"'high' if later >= 20 else 'low'\", "
                 "choices: [{value: high, label: High}, {value: low, label: Low}]}",
                 "{id: later, type: computed, label: L, expr: \"latest('phq9', 'total')\"}")
    ev = evaluate(spec, {}, _Case())
    assert ev.prefills == {"sev": "high"}


def test_a_self_referencing_prefill_is_circular():
    spec, problems = load_form_text(_form("{id: p, type: integer, label: P, help: H, prefill: 'p + 1'}"), "t.yaml")
    assert spec is None and [p.code for p in problems] == ["FORM_010"]
    assert "p → p" in problems[0].message


# --- 6. Keys that mean nothing, limits that contradict, choices that collide -------------


def test_min_above_max_is_refused():
    spec, problems = load_form_text(_form("{id: q2, type: integer, label: Q2, help: H, min: 10, max: 1}"), "t.yaml")
    assert spec is None and [p.code for p in problems] == ["FORM_024"]


@pytest.mark.parametrize("field, key", [
    ("{id: q, type: short_text, label: Q, help: H, choices: [{value: 1, label: a}]}", "choices"),
    ("{id: q, type: long_text, label: Q, help: H, min_rows: 3}", "min_rows"),
    ("{id: q, type: date, label: Q, help: H, max_length: 3}", "max_length"),
    ("{id: q, type: short_text, label: Q, help: H, expr: '1'}", "expr"),
    ("{id: q, type: integer, label: Q, help: H, not_future: true}", "not_future"),
])
def test_a_key_that_does_not_apply_to_the_type_is_refused(field, key):
    spec, problems = load_form_text(_form(field), "t.yaml")
    assert spec is None and [p.code for p in problems] == ["FORM_025"]
    assert f"'{key}' does not apply" in problems[0].message


def test_options_equal_by_value_are_duplicates():
    spec, problems = load_form_text(_form("{id: q3, type: single_choice, label: Q3, help: H, "
                                          "choices: [{value: 1, label: a}, {value: true, label: b}]}"), "t.yaml")
    assert spec is None and [p.code for p in problems] == ["FORM_004"]


def test_an_answer_of_the_wrong_json_type_is_not_a_choice(catalogue):
    phq = catalogue.get("phq9")
    answers = {f"q{i}": 0 for i in range(1, 10)}
    ev = evaluate(phq, {**answers, "q1": True, "q2": 1.0, "q3": "0"})
    assert sorted((p.field, p.code) for p in ev.problems) == [("q1", "ANS_007"), ("q2", "ANS_007"), ("q3", "ANS_007")]
    assert ev.scores["total"].value is None  # not scored as if true were 1


def test_purpose_is_required():
    spec, problems = load_form_text(_form("{id: q, type: integer, label: Q, help: H}").replace(
        "purpose: A fictional test form.\n", ""), "t.yaml")
    assert spec is None and "missing 'purpose'" in problems[0].message


# --- 8. The exact definition a response was made with -----------------------------------


def test_definition_for_finds_the_exact_definition_by_hash(forms):
    v = load_catalogue(forms).get("gad7").version
    old_text = (forms / "gad7.yaml").read_text()
    (forms / "versions" / f"gad7@{v}.yaml").write_text(old_text)
    (forms / "gad7.yaml").write_text(old_text.replace(f"version: {v}", f"version: {v + 1}", 1))
    cat = load_catalogue(forms)
    old = cat.get("gad7", v)
    assert cat.definition_for("gad7", v, old.content_hash) is old
    assert cat.definition_for("gad7", v + 1, cat.get("gad7").content_hash) is cat.get("gad7")
    first = cat.get("gad7", 1)  # the frozen first version, still found by its hash
    assert cat.definition_for("gad7", 1, first.content_hash) is first


def test_definition_for_refuses_a_changed_definition_with_the_same_version(forms):
    current = load_catalogue(forms).get("gad7")
    before, v = current.content_hash, current.version
    text = (forms / "gad7.yaml").read_text()
    (forms / "gad7.yaml").write_text(text.replace("Trouble relaxing", "Trouble unwinding"))
    cat = load_catalogue(forms)
    assert cat.get("gad7", v).content_hash != before  # get() would silently give the new wording
    with pytest.raises(FormDefinitionError, match="has been changed since this response was made") as info:
        cat.definition_for("gad7", v, before)
    assert isinstance(info.value, DefinitionUnavailableError)
    assert f"versions/gad7@{v}.yaml" in info.value.hint


def test_definition_for_a_version_no_longer_kept(forms):
    cat = load_catalogue(forms)
    with pytest.raises(DefinitionUnavailableError, match="gad7 version 7 .* is not in the catalogue"):
        cat.definition_for("gad7", 7, "0" * 64)


# --- 11. Lookup tables match the values they are looked up by ----------------------------


@pytest.mark.parametrize("table, expected", [
    ("high_mh_high_sm: x\nhigh_mh_low_sm: x\nlow_mh_high_sm: x\n", "has no row for 'low_mh_low_sm'"),
    ("high_mh_high_sm: x\nhigh_mh_low_sm: x\nlow_mh_high_sm: x\nlow_mh_lo_sm: x\n",
     "has no row for 'low_mh_low_sm', a possible value of lead_agency.quadrant: that choice would look up nothing "
     "(did you mean 'low_mh_lo_sm'?)"),
])
def test_a_missing_or_misspelt_quadrant_row_is_reported(forms, table, expected):
    (forms / "tables" / "quadrant_lead.yaml").write_text(table)
    cat = load_catalogue(forms)
    messages = [p.message for p in cat.problems if p.code == "FORM_027"]
    assert any(expected in m for m in messages), messages
    assert all(p.file.endswith("quadrant_lead.yaml") for p in cat.problems)


def test_a_text_field_may_not_allow_more_than_any_answer_may_hold():
    """No field may allow more than MAX_LONG_ANSWER (what a finalised answer, and so a printed plan, may hold)."""
    from ddassess.domain.limits import MAX_LONG_ANSWER

    field = "{id: q2, type: long_text, label: Q2, help: H, max_length: %d}"
    spec, problems = load_form_text(_form(field % (MAX_LONG_ANSWER + 1)), "t.yaml")
    assert spec is None and [(p.code, p.field) for p in problems] == [("FORM_024", "q2")]
    assert "at most 20,000 characters" in problems[0].message
    spec, problems = load_form_text(_form(field % MAX_LONG_ANSWER), "t.yaml")
    assert spec is not None and problems == []
