"""PHQ-9 item 9 reaches the risk assessment through the case's stored forms (issue 12, "Risk").

Kroenke, Spitzer & Williams (2001), "The PHQ-9: validity of a brief depression severity
measure", J Gen Intern Med 16(9):606-613: any answer above "Not at all" to item 9 calls for
a risk assessment, whatever the total.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ddassess.domain.models import PersonDetails
from ddassess.formengine import evaluate, load_catalogue
from ddassess.services import case_changes
from ddassess.services.case_header import case_summary
from ddassess.services.case_pathway import StoredCaseContext

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
DOMAINS = ("self", "others", "from_others", "self_neglect", "overdose", "injecting", "children", "adults",
           "disengagement")


def _case_with_phq9(store, q9):
    person = case_changes.register_person(store, PersonDetails("Nine", "Fictional", nhs_number="9990000077"))
    case_id = case_changes.open_case(store, person.id).id
    phq9 = CATALOGUE.get("phq9")
    answers = {f"q{i}": 0 for i in range(1, 9)} | {"q9": q9, "difficulty": "somewhat"}
    r = case_changes.start_response(store, case_id, "phq9", phq9.version, phq9.content_hash, answers)
    case_changes.finalise_response(store, r.id)
    return case_id


def _risk(store, case_id, answers):
    spec = CATALOGUE.get("risk")
    return case_changes.start_response(store, case_id, "risk", spec.version, spec.content_hash, answers)


def test_a_new_risk_form_suggests_risk_to_self_from_the_case_phq9(store):
    case_id = _case_with_phq9(store, 2)
    r = _risk(store, case_id, {})
    ev = evaluate(CATALOGUE.get("risk"), {}, StoredCaseContext(store, case_id, CATALOGUE, r.id),
                  tables=CATALOGUE.tables)
    assert ev.prefills == {"self_present": True}


def test_no_risk_to_self_after_item_9_is_flagged_in_the_case_header(store):
    case_id = _case_with_phq9(store, 1)
    today = dt.date.today()
    answers = {f"{d}_present": False for d in DOMAINS} | {
        "overall_level": "low", "assessed_by": "Testy McTestface", "assessed_on": today.isoformat(),
        "review_by": (today + dt.timedelta(days=30)).isoformat()}
    _risk(store, case_id, answers)
    flags = {(f.form_title, f.flag_id, f.severity) for f in case_summary(store, CATALOGUE, case_id).risk_flags}
    assert ("Risk assessment", "self_denied_after_phq9", "high") in flags


def test_a_negative_item_9_suggests_and_flags_nothing(store):
    case_id = _case_with_phq9(store, 0)
    r = _risk(store, case_id, {"self_present": False})
    ev = evaluate(CATALOGUE.get("risk"), {"self_present": False}, StoredCaseContext(store, case_id, CATALOGUE, r.id),
                  tables=CATALOGUE.tables)
    assert ev.prefills == {} and ev.flags == []
