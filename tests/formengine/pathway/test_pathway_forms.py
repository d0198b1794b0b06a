"""Behaviour of the pathway forms through the engine: skip logic, flags, tables, prefill."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from ddassess.formengine import evaluate, load_catalogue

FORMS = Path(__file__).resolve().parents[3] / "forms"
TODAY = dt.date(2026, 11, 24)


class Case:
    """A case's other forms, as the store will answer latest()."""

    def __init__(self, **forms):
        self.forms = forms

    def lookup(self, form_id, name):
        return self.forms.get(form_id, {}).get(name)


def codes(ev):
    return {(p.field, p.code) for p in ev.problems}


def flags(ev):
    return {f.id for f in ev.flags}


REFERRAL = {"received_on": "2026-11-20", "referrer_name": "Dr Fictional", "referrer_agency": "primary_care",
            "reason": "Low mood and daily drinking", "mental_health_concern": True, "substance_concern": True,
            "urgency": "routine", "decision": "accepted_joint", "triaged_by": "Testy McTestface",
            "triaged_on": "2026-11-21"}


def test_referral_complete_and_dual_concern(catalogue):
    ev = evaluate(catalogue.get("referral"), REFERRAL, today=TODAY)
    assert ev.problems == [] and flags(ev) == {"dual_concern"}


def test_referral_decline_needs_a_reason(catalogue):
    spec = catalogue.get("referral")
    ev = evaluate(spec, {**REFERRAL, "decision": "declined"}, today=TODAY)
    assert codes(ev) == {("decision_reason", "ANS_001")}
    assert "decision_reason" in evaluate(spec, REFERRAL, today=TODAY).hidden


def test_referral_bad_input(catalogue):
    ev = evaluate(catalogue.get("referral"), {**REFERRAL, "received_on": "2027-01-01", "urgency": "emergency",
                                              "reason": "x" * 6000}, today=TODAY)
    assert {("received_on", "ANS_006"), ("reason", "ANS_004")} <= codes(ev)
    assert "emergency" in flags(ev)


def test_consent_without_consent_or_basis_is_flagged(catalogue):
    spec = catalogue.get("consent")
    base = {"has_capacity": "yes", "recorded_by": "Testy McTestface", "recorded_on": "2026-11-24"}
    ev = evaluate(spec, {**base, "consent_given": False}, today=TODAY)
    assert ev.problems == [] and flags(ev) == {"no_consent_no_basis"}
    ev = evaluate(spec, {**base, "consent_given": False, "basis": "safeguarding_child"}, today=TODAY)
    assert codes(ev) == {("basis_details", "ANS_001")} and flags(ev) == {"shared_without_consent"}
    sharing = [{"agency": "mental_health", "information": ["assessment", "risk"]}]
    ev = evaluate(spec, {**base, "consent_given": True, "sharing": sharing, "expires_on": "2026-10-01"},
                  today=TODAY)
    assert ev.problems == []
    assert flags(ev) == {"consent_expired"} and ev.computed["days_left"] == -54


def test_consent_records_what_may_be_shared_with_each_agency(catalogue):
    spec = catalogue.get("consent")
    base = {"has_capacity": "yes", "recorded_by": "Testy McTestface", "recorded_on": "2026-11-24",
            "consent_given": True, "expires_on": "2027-05-24"}
    sharing = [{"agency": "mental_health", "contact": "Fictional CMHT", "information": ["assessment", "care_plan"]},
               {"agency": "housing", "information": ["contact"]}]
    ev = evaluate(spec, {**base, "sharing": sharing}, today=TODAY)
    assert ev.problems == [] and ev.values["sharing"][1] == {"agency": "housing", "information": ["contact"]}
    # Consent given but nothing recorded about what may be shared with whom: not complete.
    assert codes(evaluate(spec, base, today=TODAY)) == {("sharing", "ANS_011")}
    # An agency with nothing ticked, and a kind of information the form does not know.
    ev = evaluate(spec, {**base, "sharing": [{"agency": "housing"},
                                             {"agency": "social_care", "information": ["everything"]}]}, today=TODAY)
    assert codes(ev) == {("sharing[0].information", "ANS_001"), ("sharing[1].information", "ANS_007")}
    # Without consent the sharing table is not asked (and a stale one is not kept as consent).
    ev = evaluate(spec, {**base, "consent_given": False, "sharing": sharing}, today=TODAY)
    assert "sharing" in ev.hidden and ev.values["sharing"] is None


def test_consent_version_1_still_renders_saved_responses(catalogue):
    old = catalogue.get("consent", 1)
    assert "agencies" in old.fields and "sharing" not in old.fields
    assert catalogue.get("consent").version == 3 and catalogue.versions("consent") == [1, 2, 3]


def test_substance_profile_rows_and_injecting(catalogue):
    spec = catalogue.get("substance_profile")
    rows = [{"substance": "heroin", "amount": "1 bag", "days_last_28": 28, "route": "injected"},
            {"substance": "alcohol", "amount": "10 units", "days_last_28": 40, "route": "oral"}]
    ev = evaluate(spec, {"substances": rows}, today=TODAY)
    assert ("substances[1].days_last_28", "ANS_003") in codes(ev)
    assert ("shares_equipment", "ANS_001") in codes(ev)  # the injecting section appeared
    assert "injecting" in flags(ev) and ev.computed["count"] == 2 and ev.computed["poly_use"] is True
    ev = evaluate(spec, {"substances": [rows[1] | {"days_last_28": 12}]}, today=TODAY)
    assert ev.problems == [] and "shares_equipment" in ev.hidden and flags(ev) == set()
    assert codes(evaluate(spec, {"substances": []}, today=TODAY)) == {("substances", "ANS_011")}
    assert codes(evaluate(spec, {}, today=TODAY)) == {("substances", "ANS_011")}


def test_risk_imminent_flags(catalogue):
    spec = catalogue.get("risk")
    answers = {f"{d}_present": False for d in ("self", "others", "from_others", "self_neglect", "overdose", "injecting",
                                               "children", "adults", "disengagement")}
    answers |= {"overall_level": "high", "assessed_by": "Testy McTestface", "assessed_on": "2026-11-24",
                "review_by": "2026-12-24"}
    assert evaluate(spec, answers, today=TODAY).problems == []
    answers |= {"overdose_present": True}
    ev = evaluate(spec, answers, today=TODAY)
    assert {("overdose_indicators", "ANS_001"), ("overdose_plan", "ANS_001")} <= codes(ev)
    answers |= {"overdose_indicators": "Released from prison last week", "overdose_severity": "high",
                "overdose_imminence": "days", "overdose_plan": "Naloxone today; daily calls"}
    ev = evaluate(spec, answers, today=TODAY)
    assert ev.problems == [] and flags(ev) == {"overdose_imminent", "overdose_high"}


LEAD = {"mh_severity": "high", "sm_severity": "high", "lead": "mental_health", "care_coordinator": "Casey Coordinator",
        "link_worker": "Pat Partner", "rationale": "Psychosis and daily crack use", "decided_on": "2026-11-24"}


def test_quadrant_and_typical_lead_come_from_the_table(catalogue):
    ev = evaluate(catalogue.get("lead_agency"), LEAD, tables=catalogue.tables, today=TODAY)
    assert ev.computed["quadrant"] == "high_mh_high_sm"
    assert ev.computed["typical_lead"].startswith("Secondary mental health services lead")
    assert flags(ev) == {"complex_high_high"}


def test_an_area_can_change_the_mapping(tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    table = forms / "tables" / "quadrant_lead.yaml"
    table.write_text(table.read_text().replace(
        "low_mh_high_sm: Substance misuse service leads; mental health liaison",
        "low_mh_high_sm: Substance misuse service leads with a named Dual Diagnosis Lead"))
    cat = load_catalogue(forms)
    ev = evaluate(cat.get("lead_agency"), {**LEAD, "mh_severity": "low"}, tables=cat.tables, today=TODAY)
    assert ev.computed["typical_lead"] == "Substance misuse service leads with a named Dual Diagnosis Lead"


def test_quadrant_prefills_from_screening_scores(catalogue):
    spec = catalogue.get("lead_agency")
    ev = evaluate(spec, {}, Case(phq9={"total": 22}, audit={"total": 9}), tables=catalogue.tables, today=TODAY)
    assert ev.prefills == {"mh_severity": "high"}
    assert ev.computed["phq9_seen"] == 22 and ev.computed["quadrant"] is None


def test_joint_assessment_prefills_scores_but_keeps_typed_answers(catalogue):
    spec = catalogue.get("joint_assessment")
    ev = evaluate(spec, {"phq9_total": 11}, Case(phq9={"total": 17}, gad7={"total": 8}), today=TODAY)
    assert ev.prefills == {"gad7_total": 8}
    assert ev.values["phq9_total"] == 11


def test_care_plan_rows_and_review_overdue(catalogue):
    spec = catalogue.get("care_plan")
    ev = evaluate(spec, {"needs": [{"area": "housing", "need": "Rent arrears"}], "next_review": "2026-11-01"},
                  today=TODAY)
    assert {("needs[0].goal", "ANS_001"), ("needs[0].status", "ANS_001")} <= codes(ev)
    assert "review_overdue" in flags(ev)
    ev = evaluate(spec, {"person_signed": {"strokes": []}}, today=TODAY)
    assert ("person_signed", "ANS_012") in codes(ev)
    assert "person_signed" in evaluate(spec, {"verbal_agreement": "Agreed by phone, witnessed by P. Partner"},
                                       today=TODAY).hidden


def test_crisis_plan_needs_an_out_of_hours_contact(catalogue):
    spec = catalogue.get("crisis_plan")
    base = {"early_warning_signs": "a", "triggers": "b", "what_helps": "c", "naloxone_held": True}
    ev = evaluate(spec, {**base, "contacts": [{"name": "CMHT", "phone": "01632 960001", "when": "in_hours"}]},
                  today=TODAY)
    assert flags(ev) == {"no_out_of_hours"}
    ev = evaluate(spec, {**base, "contacts": [{"name": "Crisis line", "phone": "not a phone", "when": "out_of_hours"}]},
                  today=TODAY)
    assert ("contacts[0].phone", "ANS_005") in codes(ev) and flags(ev) == set()


@pytest.mark.parametrize("form_id", ["joint_review", "complex_case_review", "discharge"])
def test_empty_pathway_forms_list_what_is_required(catalogue, form_id):
    ev = evaluate(catalogue.get(form_id), {}, today=TODAY)
    assert ev.problems and all(p.code in ("ANS_001", "ANS_011") for p in ev.problems)
