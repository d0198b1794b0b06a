"""Each case's facts row (``case_facts``: the team figures read nothing else) follows the case
whatever changes it: opening it, each form finalised or amended (the step it moves to, the
lead agency decision naming the lead agency, coordinator and next review), a practitioner
raising or lowering the risk, the discharge closing it, a signed care plan. After each
change the row equals what working the facts out again from the whole store gives, and the
team figures move with it. (Received changes: tests/exchange/test_team_facts_received.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from facts_check import case_columns, stale_facts
from store_helpers import amend
from team_story import Team

from ddassess.domain.periods import parse_period
from ddassess.formengine import load_catalogue
from ddassess.services.case_pathway import set_lead
from ddassess.services.case_risk import set_case_risk
from ddassess.services.team_kpis import team_now, team_period

D = dt.date
TODAY = D(2026, 10, 15)
Q3 = parse_period("2026-Q3")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def _now(store, catalogue, key: str) -> dict[str, int]:
    table = next(t for t in team_now(store, TODAY, catalogue).tables if t.key == key)
    return {f.group: f.count for f in table.figures if f.count}


def _period(store, catalogue, key: str) -> dict[str, int]:
    return {f.group: f.count for f in team_period(store, Q3, catalogue, today=TODAY).table(key).figures if f.count}


def test_the_facts_follow_the_case_through_each_change(store, catalogue):
    t = Team(store, catalogue)
    cid = t.case(D(2026, 7, 3))
    assert case_columns(store, cid)["stage"] == "referral" and stale_facts(store) == []  # opened: a row at once
    assert _now(store, catalogue, "now.stage") == {"referral": 1}

    ref = t.final(cid, "referral", D(2026, 7, 3), {"self_referral": False, "referrer_agency": "housing"})
    assert _period(store, catalogue, "p.source") == {"housing": 1}
    amend(store, ref, {"self_referral": False, "referrer_agency": "criminal_justice"}, "Wrong agency ticked (test)")
    assert stale_facts(store) == []
    assert _period(store, catalogue, "p.source") == {"criminal_justice": 1}  # the amendment, not the first

    t.final(cid, "joint_assessment", D(2026, 7, 13), {"assessed_on": "2026-07-13", "mh_treatment_need": False})
    assert case_columns(store, cid)["stage"] == "joint_assessment" and stale_facts(store) == []
    assert _now(store, catalogue, "now.stage") == {"joint_assessment": 1}

    t.final(cid, "lead_agency", D(2026, 7, 20), {"mh_severity": "high", "sm_severity": "low", "lead": "mental_health"})
    lead = case_columns(store, cid)["lead_agency"]
    assert lead and stale_facts(store) == []
    assert _now(store, catalogue, "now.lead") == {lead: 1}
    assert _period(store, catalogue, "p.agency") == {lead: 1}

    set_lead(store, cid, "Primary care", D(2026, 10, 1))  # a practitioner changes it on the case
    assert case_columns(store, cid)["next_review_due"] == "2026-10-01" and stale_facts(store) == []
    assert _now(store, catalogue, "now.lead") == {"Primary care": 1}
    assert _now(store, catalogue, "now.reviews") == {"overdue": 1}

    assert _now(store, catalogue, "now.complex") == {}
    set_case_risk(store, cid, "urgent", "Threats to a neighbour (test)")
    assert case_columns(store, cid)["risk_level"] == "urgent" and stale_facts(store) == []
    assert _now(store, catalogue, "now.complex") == {"complex": 1}
    assert _now(store, catalogue, "now.risk") == {"urgent": 1}
    set_case_risk(store, cid, None, "Back to what the forms say (test)")
    assert _now(store, catalogue, "now.complex") == {} and stale_facts(store) == []

    t.final(cid, "discharge", D(2026, 8, 1), {"planned": "planned", "reason": "goals_met"})
    columns = case_columns(store, cid)
    assert (columns["status"], columns["closed_on"]) == ("closed", "2026-08-01") and stale_facts(store) == []
    assert _now(store, catalogue, "now.stage") == {}  # no longer open
    assert _period(store, catalogue, "p.exit_type") == {"planned": 1}


def test_a_change_to_the_case_row_alone_is_in_the_facts(store, catalogue):
    """Whatever writes the case row (here an UPDATE no service makes), its facts follow: the
    triggers on ``cases``, not each code path, keep them."""
    t = Team(store, catalogue)
    cid = t.case(D(2026, 7, 3))
    conn = store.raw_connection()
    try:
        conn.execute("UPDATE cases SET stage = 'screening', care_coordinator_id = 1, opened_on = '2026-07-04' "
                     "WHERE id = ?", (cid,))
    finally:
        conn.close()
    assert case_columns(store, cid)["stage"] == "screening" and stale_facts(store) == []
    assert _now(store, catalogue, "now.stage") == {"screening": 1}
    assert _now(store, catalogue, "now.caseload") == {"1": 1}
