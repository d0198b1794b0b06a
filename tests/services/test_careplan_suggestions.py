"""A new care plan offers each need the assessment found once, starts with no need rows to
fill in or delete, and carries the consent form's information-sharing agreement in the
consent form's own words."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ddassess.domain.models import PersonDetails
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes
from ddassess.services.careplan_prefill import assessment_prefill, start_care_plan

FORMS = Path(__file__).resolve().parents[2] / "forms"
CATALOGUE = load_catalogue(FORMS)


def _case(store) -> int:
    person = case_changes.register_person(store, PersonDetails("Fictional", "Personne", dt.date(1980, 1, 2)))
    return case_changes.open_case(store, person.id).id


def _respond(store, case_id, form_id, answers, final=False) -> None:
    spec = CATALOGUE.get(form_id)
    r = case_changes.start_response(store, case_id, spec.id, spec.version, spec.content_hash, answers)
    if final:
        case_changes.finalise_response(store, r.id)


def test_each_need_is_offered_once_however_many_rows_or_forms_find_it(store):
    case_id = _case(store)
    _respond(store, case_id, "substance_profile", {"substances": [
        {"substance": "alcohol", "amount": "10 units", "days_last_28": 20, "route": "oral"},
        {"substance": "heroin", "amount": "1 bag", "days_last_28": 12, "route": "smoked"},
        {"substance": "alcohol", "amount": "4 cans", "days_last_28": 20, "route": "oral"},  # the same, again
        {"substance": "heroin", "amount": "2 bags", "days_last_28": 25, "route": "injected"}]})
    _respond(store, case_id, "joint_assessment", {"housing": "homeless", "occupation": "unemployed",
                                                  "cj_involvement": True})
    needs = [(n["area"], n["need"]) for n in assessment_prefill(store, CATALOGUE, case_id)["needs"]]
    assert len(needs) == len(set(needs)), needs
    assert needs == [("substance_use", "Use of alcohol (20 days in the last 28)"),
                     ("substance_use", "Use of heroin (25 days in the last 28)"),  # the most days of use
                     ("housing", "Housing: homeless"), ("work_education", "Work, education or training"),
                     ("legal", "Criminal justice involvement")]


def test_a_need_in_the_same_words_from_two_forms_is_one_need(store):
    from ddassess.services.careplan_prefill import distinct_needs

    found = [{"area": "legal", "need": "Criminal justice involvement", "status": "not_started"},
             {"area": "legal", "need": "criminal  justice Involvement", "status": "not_started"},
             {"area": "housing", "need": "Criminal justice involvement", "status": "not_started"}]
    assert distinct_needs(found) == [found[0], found[2]]  # another area is another need


def test_a_new_plan_has_no_need_rows_to_fill_in_or_delete(store):
    from ddassess.services.careplan_prefill import row_suggestions

    case_id = _case(store)
    _respond(store, case_id, "joint_assessment", {"housing": "at_risk", "occupation": "unable"})
    answers = case_changes.get_response(store, start_care_plan(store, CATALOGUE, case_id)).answers
    assert "needs" not in answers
    assert row_suggestions(store, CATALOGUE, case_id, "care_plan") == {"needs": [
        {"area": "housing", "need": "Housing: at risk", "status": "not_started"},
        {"area": "work_education", "need": "Work, education or training", "status": "not_started"}]}
    assert row_suggestions(store, CATALOGUE, case_id, "joint_assessment") == {}


def test_information_sharing_is_prefilled_from_the_consent_form_in_its_labels(store):
    case_id = _case(store)
    _respond(store, case_id, "consent", {
        "has_capacity": "yes", "consent_given": True,
        "sharing": [{"agency": "primary_care", "contact": "Dr Fictional's surgery",
                     "information": ["assessment", "medication"]},
                    {"agency": "housing", "information": ["contact"]}],
        "exclusions": "Nothing about my brother", "expires_on": "2027-05-01",
        "recorded_by": "Casey Coordinator", "recorded_on": "2026-11-03"}, final=True)
    sharing = case_changes.get_response(store, start_care_plan(store, CATALOGUE, case_id)).answers[
        "information_sharing"]
    assert sharing.splitlines()[1:] == [
        "GP / primary care (Dr Fictional's surgery): Assessment and screening results; Medication and prescribing.",
        "Housing: Contact details and appointments.",
        "Not to be shared: Nothing about my brother",
        "Consent to be reviewed by 1 May 2027."]
    assert sharing.startswith("From the consent form of ")
    assert "primary_care" not in sharing and "assessment" not in sharing.split(":", 1)[1].split()


def test_no_consent_and_a_basis_for_sharing_are_said_in_words(store):
    case_id = _case(store)
    _respond(store, case_id, "consent", {"has_capacity": "yes", "consent_given": False, "basis": "risk_to_others",
                                         "basis_details": "Agreed with the Caldicott Guardian"})
    sharing = assessment_prefill(store, CATALOGUE, case_id)["information_sharing"]
    assert sharing.splitlines()[1:] == [
        "The person has not consented to their information being shared.",
        "Shared without consent: Serious risk to others — Agreed with the Caldicott Guardian."]
    assert "(a draft)" in sharing.splitlines()[0]


def test_no_consent_form_leaves_the_agreement_to_be_written(store):
    case_id = _case(store)
    assert "information_sharing" not in assessment_prefill(store, CATALOGUE, case_id)
