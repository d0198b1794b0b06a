"""A new care plan reads what counts as a need from the forms (forms/README.md, "What a form
tells the care plan"), for responses made with the current definitions and with older ones."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sample_plans import squiggle

from ddassess.domain.models import PersonDetails
from ddassess.formengine import Catalogue, load_catalogue
from ddassess.services import case_changes
from ddassess.services.careplan_prefill import assessment_prefill
from ddassess.services.careplans import build_care_plan, drawn_signatures

FORMS = Path(__file__).resolve().parents[2] / "forms"
CATALOGUE = load_catalogue(FORMS)
PHQ9_ELEVEN = {f"q{i}": 1 for i in range(1, 10)} | {"q1": 2, "q2": 2, "difficulty": "somewhat"}  # Moderate
PHQ9_SEVEN = {f"q{i}": 1 for i in range(1, 8)} | {"q8": 0, "q9": 0, "difficulty": "somewhat"}  # Mild


def _case(store) -> int:
    person = case_changes.register_person(store, PersonDetails("Fictional", "Personne", dt.date(1980, 1, 2)))
    return case_changes.open_case(store, person.id).id


def _respond(store, case_id, catalogue: Catalogue, form_id, answers, version=None, final=False) -> None:
    spec = catalogue.get(form_id, version)
    r = case_changes.start_response(store, case_id, spec.id, spec.version, spec.content_hash, answers)
    if final:
        case_changes.finalise_response(store, r.id)


def _needs(store, catalogue, case_id) -> list[tuple[str, str]]:
    return [(n["area"], n["need"]) for n in assessment_prefill(store, catalogue, case_id).get("needs", [])]


def test_a_band_is_of_concern_because_its_form_says_so(store, tmp_path):
    case_id = _case(store)
    _respond(store, case_id, CATALOGUE, "phq9", PHQ9_SEVEN, final=True)
    assert _needs(store, CATALOGUE, case_id) == []  # Mild is not a band of concern
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    text = (forms / "phq9.yaml").read_text()
    mild = "        label: Mild\n"
    (forms / "phq9.yaml").write_text(text.replace(mild, mild + "        concern: true\n"))
    local = load_catalogue(forms)
    assert local.problems == []
    assert _needs(store, local, case_id) == [("mental_health", "Patient Health Questionnaire (PHQ-9): 7 (Mild)")]


def test_an_option_and_a_yes_offer_the_need_their_form_names(store, tmp_path):
    case_id = _case(store)
    _respond(store, case_id, CATALOGUE, "joint_assessment", {"housing": "homeless", "occupation": "retired",
                                                             "cj_involvement": True})
    _respond(store, case_id, CATALOGUE, "risk", {"self_present": False, "self_plan": "A stale plan",
                                                  "disengagement_present": True, "disengagement_plan": "Weekly visits"})
    prefill = assessment_prefill(store, CATALOGUE, case_id)
    assert [(n["area"], n["need"]) for n in prefill["needs"]] == [
        ("housing", "Housing: homeless"), ("legal", "Criminal justice involvement"),
        ("mental_health", "Disengagement from services")]
    # A hidden answer (the plan of a risk not present) is stale and not carried into the plan.
    assert prefill["risk_management"] == "Disengagement from services: Weekly visits"
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    text = (forms / "joint_assessment.yaml").read_text()
    (forms / "joint_assessment.yaml").write_text(text.replace(
        "{value: retired, label: Retired}", "{value: retired, label: Retired, need: {area: finance}}"))
    assert ("finance", "Social circumstances") in _needs(store, load_catalogue(forms), case_id)  # default words


@pytest.mark.parametrize("form_id", ["phq9", "joint_assessment", "risk"])
def test_responses_made_with_a_definition_frozen_before_the_keys_still_offer_their_needs(store, form_id):
    old = CATALOGUE.get(form_id, 1)
    assert not old.declares_meaning and CATALOGUE.get(form_id).declares_meaning
    answers = {"phq9": PHQ9_ELEVEN, "joint_assessment": {"housing": "temporary"},
               "risk": {"overdose_present": True, "overdose_plan": "Naloxone kit given"}}[form_id]
    case_id = _case(store)
    _respond(store, case_id, CATALOGUE, form_id, answers, version=1, final=True)
    prefill = assessment_prefill(store, CATALOGUE, case_id)
    expected = {"phq9": ("mental_health", "Patient Health Questionnaire (PHQ-9): 11 (Moderate)"),
                "joint_assessment": ("housing", "Housing: temporary"),
                "risk": ("substance_use", "Overdose (lost tolerance, poly-drug use)")}[form_id]
    assert [(n["area"], n["need"]) for n in prefill["needs"]] == [expected]
    if form_id == "risk":
        assert prefill["risk_management"] == "Overdose (lost tolerance, poly-drug use): Naloxone kit given"


PLAN = {"lead_agency": "Fictional Mental Health Trust", "care_coordinator": "Casey Coordinator",
        "partner_worker": "Pat Partner", "what_matters": "Seeing my sister",
        "needs": [{"area": "housing", "need": "Rent arrears", "status": "not_started"}],
        "next_review": "2027-01-19", "carer_involved": False}


@pytest.mark.parametrize("version", [2, 3])
def test_drawn_signatures_go_in_the_blocks_their_signer_names(store, version):
    assert drawn_signatures(CATALOGUE, version) == {
        "service_user": "person_signed", "care_coordinator": "coordinator_signed", "partner": "partner_signed"}
    case_id = _case(store)
    strokes = [[list(p) for p in s] for s in squiggle()]
    _respond(store, case_id, CATALOGUE, "care_plan", PLAN | {
        "person_signed": {"strokes": strokes, "signed_at": "2026-11-20T10:15:00+00:00"},
        "partner_signed": {"strokes": strokes[:1], "signed_at": "2026-11-21T09:00:00+00:00"}}, version=version)
    blocks = {b.role: b for b in build_care_plan(store, CATALOGUE, case_id).signatures}
    assert blocks["service_user"].signed_on == dt.date(2026, 11, 20) and len(blocks["service_user"].strokes) == len(
        strokes)
    assert blocks["partner"].signed_on == dt.date(2026, 11, 21) and len(blocks["partner"].strokes) == 1
    assert not blocks["care_coordinator"].is_signed and not blocks["team_lead"].is_signed


def test_a_signer_named_by_the_form_decides_the_block(tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    text = (forms / "care_plan.yaml").read_text()
    text = text.replace("signer: care_coordinator,", "signer: team_lead,")
    (forms / "care_plan.yaml").write_text(text)
    drawn = drawn_signatures(load_catalogue(forms))
    assert drawn["team_lead"] == "coordinator_signed" and "care_coordinator" not in drawn
