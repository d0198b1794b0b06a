"""The keys by which a form tells the care plan what it means (need, concern, need_area,
risk_plan, signer): what they build, and a clear problem for each wrong use."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ddassess.formengine import load_catalogue, load_form_text
from ddassess.formengine.spec import NeedSpec

FORMS = Path(__file__).resolve().parents[2] / "forms"
AREAS = {"need_area": [{"value": "housing", "label": "Housing"}, {"value": "legal", "label": "Legal"},
                       {"value": "mental_health", "label": "Mental health"}]}
HEAD = """id: meaning
version: 1
title: A fictional test form
kind: pathway
purpose: Tests of what a form tells the care plan.
licence: {text: Test material., attribution: ddassess tests.}
sections:
  - id: s
    title: Section title
    fields:
"""
GOOD = [
    "{id: court, type: yes_no, label: Court?, help: H, need: {area: legal, text: Court order}}",
    "{id: where, type: single_choice, label: Where?, help: H, choices: [{value: flat, label: Flat}, "
    "{value: street, label: Street, need: {area: housing}}]}",
    "{id: plan, type: long_text, label: Plan, help: H, risk_plan: true}",
    "{id: sig, type: signature, label: Signed, help: H, signer: care_coordinator}",
    "{id: q1, type: integer, label: Q1, help: H, min: 0, max: 10}",
]
SCORE = """scores:
  - id: total
    label: Total
    items: [q1]
    need_area: mental_health
    bands:
      - {min: 0, max: 5, label: Low}
      - {min: 6, max: 10, label: High, concern: true}
"""


def _text(fields: list[str], score: str = SCORE) -> str:
    return HEAD + "".join(f"      - {f}\n" for f in fields) + score


def test_the_keys_build_what_the_care_plan_reads():
    spec, problems = load_form_text(_text(GOOD), "meaning.yaml", shared_choices=AREAS)
    assert spec is not None and problems == [], [str(p) for p in problems]
    f = spec.fields
    assert f["court"].need == NeedSpec("legal", "Court order")
    assert f["where"].choice("street").need == NeedSpec("housing") and f["where"].choice("flat").need is None
    assert f["plan"].risk_plan and f["sig"].signer == "care_coordinator"
    total = spec.score_specs["total"]
    assert total.need_area == "mental_health" and [b.concern for b in total.bands] == [False, True]
    assert spec.declares_meaning
    # Written back in full, so the content hash covers them: a change of meaning is a change of form.
    d = spec.to_dict()
    assert d["scores"][0]["need_area"] == "mental_health" and d["scores"][0]["bands"][1]["concern"] is True
    assert d["sections"][0]["fields"][0]["need"] == {"area": "legal", "text": "Court order"}
    changed, _ = load_form_text(_text(GOOD).replace("signer: care_coordinator", "signer: partner"), "meaning.yaml",
                                shared_choices=AREAS)
    assert changed is not None and changed.content_hash != spec.content_hash


@pytest.mark.parametrize("old, new, code, words", [
    ("need: {area: legal,", "need: {area: legl,", "FORM_029",
     "'court' names the need area 'legl', which is not one of the care plan's need areas (did you mean 'legal'?)"),
    ("{value: street, label: Street, need: {area: housing}}", "{value: street, label: Street, need: {area: home}}",
     "FORM_029", "'where' names the need area 'home', which is not one of the care plan's need areas"),
    ("need_area: mental_health", "need_area: mental_heath", "FORM_029", "did you mean 'mental_health'?"),
    ("    need_area: mental_health\n", "", "FORM_029",
     "Score 'total' has bands of concern (High) but no need_area: say where their need belongs"),
    (", concern: true}", "}", "FORM_029", "Score 'total' has a need_area but no band with 'concern: true'"),
    ("signer: care_coordinator", "signer: coordinator", "FORM_029",
     "Signature 'sig' is for 'coordinator', which is not a signature block of the care plan (did you mean "
     "'care_coordinator'?): use one of service_user, care_coordinator, partner, team_lead."),
    ("label: Plan, help: H, risk_plan: true}", "label: Plan, help: H, risk_plan: true}\n      - "
     "{id: sig2, type: signature, label: Again, help: H, signer: care_coordinator}", "FORM_029",
     "Signatures 'sig2' and 'sig' are both for 'care_coordinator': each signature block has one signature field."),
    ("{id: plan, type: long_text,", "{id: plan, type: yes_no,", "FORM_025",
     "Field 'plan' is a yes_no question: 'risk_plan' does not apply to it (it is for long_text)."),
    ("{id: court, type: yes_no,", "{id: court, type: short_text,", "FORM_025",
     "Field 'court' is a short_text question: 'need' does not apply to it (it is for yes_no)."),
    ("{id: sig, type: signature,", "{id: sig, type: long_text,", "FORM_025",
     "'signer' does not apply to it (it is for signature)"),
    ("need: {area: legal, text: Court order}", "need: {text: Court order}", "FORM_002", "area"),
    ("{id: q1, type: integer, label: Q1, help: H, min: 0, max: 10}",
     "{id: q1, type: integer, label: Q1, help: H, min: 0, max: 10}\n      - {id: rows, type: group, label: Rows, "
     "help: H, fields: [{id: ok, type: yes_no, label: OK?, help: H, need: {area: legal}}]}", "FORM_029",
     "Column 'ok' of group 'rows' has 'need', which is read only on the questions of a form"),
])
def test_a_key_used_wrongly_is_a_clear_problem(old, new, code, words):
    text = _text(GOOD)
    assert text.count(old) == 1
    spec, problems = load_form_text(text.replace(old, new), "meaning.yaml", shared_choices=AREAS)
    assert spec is None
    found = [p for p in problems if p.code == code]
    assert found and any(words in p.message for p in found), [str(p) for p in problems]
    assert all(p.line for p in found)  # each points at its line


def test_need_areas_come_from_the_shared_list(tmp_path):
    """Without the list of need areas in choices.yaml a form naming one is refused, by name."""
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    text = (forms / "choices.yaml").read_text()
    (forms / "choices.yaml").write_text(text[:text.index("need_area:")])
    cat = load_catalogue(forms)
    dropped = {Path(p.file).stem for p in cat.problems if p.code == "FORM_029"}
    assert {"phq9", "gad7", "audit", "dast10", "sadq", "risk", "joint_assessment"} <= dropped
    assert all("define the choice list 'need_area' in choices.yaml" in p.message
               for p in cat.problems if p.code == "FORM_029")
    assert "phq9" not in cat.forms and "fast" in cat.forms  # the others still load


def test_frozen_definitions_take_their_meaning_from_the_current_version():
    cat = load_catalogue(FORMS)
    frozen = cat.get("care_plan", 2)
    assert not frozen.declares_meaning and frozen.fields["person_signed"].signer == ""
    assert cat.meaning_of(frozen) is cat.get("care_plan")
    current = cat.get("phq9")
    assert cat.meaning_of(current) is current
