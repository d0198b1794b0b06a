"""The case's risk level through the services: one value for the list, its filter, the case
header and the CLI; worked out from the flags of the current final forms; raised or lowered
by a practitioner with a reason, audited; never hiding a newer flag.

Flags used: PHQ-9 item 9 above 0 raises an URGENT risk-to-self flag (Kroenke, Spitzer &
Williams 2001, "The PHQ-9", J Gen Intern Med 16:606-613: item 9 calls for a risk
assessment whatever the total); AUDIT questions 4-6 adding to 4 or more raise a HIGH
"possible dependence" flag (Babor et al. 2001, AUDIT manual, WHO, 2nd ed.).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from ddassess.domain.models import PersonDetails
from ddassess.errors import InvalidInputError
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes
from ddassess.services.case_header import case_summary
from ddassess.services.case_list import list_cases
from ddassess.services.case_list_rows import CaseQuery
from ddassess.services.case_pathway import case_detail, finalise_form
from ddassess.services.case_risk import case_risk, set_case_risk
from ddassess.store.check import check_store
from ddassess.store.records import AuditEventRecord

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
PHQ9_ITEM9 = {**{f"q{i}": 1 for i in range(1, 10)}, "difficulty": "somewhat"}  # total 9, item 9 = 1: URGENT
PHQ9_NO_ITEM9 = {**PHQ9_ITEM9, "q9": 0}  # total 8, no flag
AUDIT_DEPENDENCE = {**{f"q{i}": 2 for i in range(1, 9)}, "q9": 2, "q10": 0}  # Q4-6 = 6: HIGH


def _case(store, family="Riskington"):
    person = case_changes.register_person(store, PersonDetails(given_name="Fictiona", family_name=family))
    return case_changes.open_case(store, person.id).id


def _draft(store, case_id, form_id, answers):
    spec = CATALOGUE.get(form_id)
    return case_changes.start_response(store, case_id, spec.id, spec.version, spec.content_hash, answers).id


def _final(store, case_id, form_id, answers):
    return finalise_form(store, CATALOGUE, _draft(store, case_id, form_id, answers))


def _amend(store, response, answers, reason="Corrected at the joint review"):
    spec = CATALOGUE.get(response.form_id)
    types = {fid: f.type for fid, f in spec.fields.items()}
    draft = case_changes.start_amendment(store, response.id, types)
    case_changes.save_draft(store, draft.id, answers)
    return finalise_form(store, CATALOGUE, draft.id, reason)


def _everywhere(store, case_id):
    """The level as the list, its "High risk only" filter, the header and the case show it."""
    ref = case_detail(store, case_id).ref
    row = next(r for r in list_cases(store, CaseQuery(), 0, 100) if r.case_id == case_id)
    filtered = any(r.ref == ref for r in list_cases(store, CaseQuery(risk_only=True), 0, 100))
    summary = case_summary(store, CATALOGUE, case_id)
    return row.risk_level, filtered, summary.risk.level, summary.detail.risk_level


def test_a_later_high_flag_does_not_lower_an_urgent_case_to_high(store):
    """The list showed HIGH where the banner showed URGENT: the last form finalised won."""
    case_id = _case(store)
    _final(store, case_id, "phq9", PHQ9_ITEM9)
    _final(store, case_id, "audit", AUDIT_DEPENDENCE)
    assert _everywhere(store, case_id) == ("urgent", True, "urgent", "urgent")


def test_an_amendment_that_removes_the_flag_lowers_the_level(store):
    case_id = _case(store)
    phq9 = _final(store, case_id, "phq9", PHQ9_ITEM9)
    assert _everywhere(store, case_id) == ("urgent", True, "urgent", "urgent")
    _amend(store, phq9, PHQ9_NO_ITEM9)  # the superseded response's flag no longer counts
    assert _everywhere(store, case_id) == ("", False, "", "")
    assert check_store(store).ok  # each change to the case is in the audit trail and replays


def test_a_flag_on_a_draft_does_not_set_the_level(store):
    case_id = _case(store)
    _draft(store, case_id, "audit", AUDIT_DEPENDENCE)
    _final(store, case_id, "gad7", {f"q{i}": 0 for i in range(1, 8)})
    assert _everywhere(store, case_id) == ("", False, "", "")
    assert any(f.severity == "high" for f in case_summary(store, CATALOGUE, case_id).flags)  # the banner's


def test_a_practitioner_lowers_the_level_with_a_reason_kept_and_shown(store):
    case_id = _case(store)
    _final(store, case_id, "audit", AUDIT_DEPENDENCE)
    risk = set_case_risk(store, case_id, "", "Abstinent for six months, confirmed by the GP")
    assert risk.overridden and risk.level == "" and risk.from_flags == "high"
    assert _everywhere(store, case_id) == ("", False, "", "")
    words = case_risk(store, case_id).describe()
    assert "set by" in words and "Abstinent for six months" in words and "flags of the final forms" not in words
    assert "say high" in words  # what the flags say is never hidden by the decision
    with store.read() as s:
        event = s.scalars(select(AuditEventRecord).order_by(AuditEventRecord.seq.desc())).first()
    assert event.entity_type == "case" and event.reason == "Abstinent for six months, confirmed by the GP"
    assert '"risk_override":[null,""]' in event.changes_json
    assert check_store(store).ok


def test_a_newer_flag_above_the_decision_ends_it(store):
    case_id = _case(store)
    _final(store, case_id, "audit", AUDIT_DEPENDENCE)
    set_case_risk(store, case_id, "", "Abstinent for six months")
    _final(store, case_id, "phq9", PHQ9_ITEM9)  # URGENT, after the decision: it must show
    risk = case_risk(store, case_id)
    assert risk.level == "urgent" and not risk.overridden
    assert _everywhere(store, case_id) == ("urgent", True, "urgent", "urgent")
    with store.read() as s:
        reasons = [e.reason for e in s.scalars(select(AuditEventRecord).where(AuditEventRecord.entity_type == "case"))]
    assert any("lapsed" in r for r in reasons)
    assert check_store(store).ok


def test_a_raised_level_stays_when_the_flags_go(store):
    case_id = _case(store)
    phq9 = _final(store, case_id, "phq9", PHQ9_NO_ITEM9)
    set_case_risk(store, case_id, "high", "Disclosed a plan at the home visit")
    assert _everywhere(store, case_id) == ("high", True, "high", "high")
    _amend(store, phq9, {**PHQ9_NO_ITEM9, "q1": 0})
    assert _everywhere(store, case_id) == ("high", True, "high", "high")
    set_case_risk(store, case_id, None, "Reviewed jointly: follow the forms again")
    assert _everywhere(store, case_id) == ("", False, "", "")


@pytest.mark.parametrize("level, reason, words", [
    ("high", "", "A reason is needed"),
    ("high", "   \n ", "A reason is needed"),
    ("severe", "Because", "is not a risk level"),
    ("high", "x" * 2_001, "The reason"),
])
def test_bad_input_is_refused_and_changes_nothing(store, level, reason, words):
    case_id = _case(store)
    _final(store, case_id, "audit", AUDIT_DEPENDENCE)
    with store.read() as s:
        events = len(s.scalars(select(AuditEventRecord.seq)).all())
    with pytest.raises(InvalidInputError, match=words):
        set_case_risk(store, case_id, level, reason)
    assert case_risk(store, case_id) == case_risk(store, case_id) and case_risk(store, case_id).level == "high"
    assert not case_risk(store, case_id).overridden
    with store.read() as s:
        assert len(s.scalars(select(AuditEventRecord.seq)).all()) == events


# --- the pathway -----------------------------------------------------------------------


def _states(store, case_id):
    return {s.stage: s.state for s in case_summary(store, CATALOGUE, case_id).steps}


def test_a_later_form_does_not_mark_earlier_steps_done(store):
    case_id = _case(store)
    _final(store, case_id, "lead_agency", {
        "mh_severity": "high", "sm_severity": "low", "lead": "mental_health", "care_coordinator": "Dr Fictional",
        "link_worker": "Dr Fictional Link", "rationale": "Agreed.", "decided_on": dt.date.today().isoformat()})
    states = _states(store, case_id)
    assert states["lead_agency"] == "done"
    for earlier in ("referral", "consent", "screening", "joint_assessment"):
        assert states[earlier] == "not_done", (earlier, states)  # no "Consent done" with no consent form
    assert states["care_plan"] == "due" and states["review"] == "later"
    # The case's stage is the furthest step with a final form, as the list's Stage column shows it.
    row = next(r for r in list_cases(store, CaseQuery(), 0, 100) if r.case_id == case_id)
    assert case_detail(store, case_id).stage == row.stage == "lead_agency"


def test_a_draft_is_in_progress_not_done(store):
    case_id = _case(store)
    _draft(store, case_id, "referral", {"mental_health_concern": True})
    _draft(store, case_id, "consent", {})
    states = _states(store, case_id)
    assert states["referral"] == "in_progress" and states["consent"] == "in_progress"
    assert states["screening"] == "later"


def test_the_referral_step_is_dated_by_the_day_the_referral_was_received(store):
    case_id = _case(store)
    _final(store, case_id, "referral", {"received_on": "2026-03-02"})
    step = next(s for s in case_summary(store, CATALOGUE, case_id).steps if s.stage == "referral")
    assert step.state == "done" and step.on == dt.date(2026, 3, 2)
