"""The team lead's figures, each worked out by hand on a store built through the services.

The story (all fictional): period 2026-Q3 (1 July - 30 September) against 2026-Q2; the Team
view's "now" is 15 October 2026. Each case's forms are finalised on the day given.

  A  opened 3 Jul (Q3). Self-referral. PHQ-9 and AUDIT (all items 0) on 5 Jul; joint assessment
     on 13 Jul (10 days) with a mental health treatment need, being treated; substance profile
     alcohol first; SADQ all items 1 (total 20: moderate); lead agency decision high/high (a
     complex case even after a practitioner lowers its risk to "not raised"); care plan signed by
     the person on 25 Jul (22 days), next review 1 Oct (overdue on 15 Oct). Open, care plan step.
  B  opened 30 Jun (Q2: the day before Q3). Referred by the GP; joint assessment 2 Jul (2 days),
     no treatment need. Discharged 1 Aug, unplanned, disengaged: an exit of Q3, a referral of Q2.
  C  opened 30 Sep (Q3's last day), referred by the mental health service. Open, referral step.
  D  opened 1 Oct (Q4): in no Q3 figure. Open, referral step.
  E1 opened 10 Jan, discharged 20 Apr (Q2), planned, goals met.
  E2 the same person again on 15 Aug (Q3): 117 days after leaving E1, a re-presentation within six
     months. SADQ all items 2 (40: severe) on 20 Aug, substance profile heroin first and joint
     assessment on 30 Aug (15 days, treatment need not recorded). Open, joint assessment step.
  F1 opened 1 Mar 2025, discharged 1 Dec 2025. F2 the same person on 10 Jul 2026: 221 days, not
     a re-presentation within six months.
  G  opened 20 Jul; its referral is only a draft (a self-referral not yet finalised): "not recorded".
  H  opened 1 Aug; referral from housing, amended to criminal justice: counted once, as amended.
"""

from __future__ import annotations

import datetime as dt

import pytest
from store_helpers import amend
from team_story import Team

from ddassess.domain.periods import parse_period
from ddassess.formengine import load_catalogue
from ddassess.services.case_list import count_cases, list_cases
from ddassess.services.case_risk import set_case_risk
from ddassess.services.settings import save_settings
from ddassess.services.team_kpis import team_now, team_period

D = dt.date
TODAY = D(2026, 10, 15)
SIGNATURE = {"strokes": [[[1.0, 1.0], [5.0, 9.0]]], "signed_at": "2026-07-25T11:00:00+00:00", "signed_by": "x"}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture
def story(store, catalogue):
    t = Team(store, catalogue)
    refs = {}
    a = t.case(D(2026, 7, 3))
    t.final(a, "referral", D(2026, 7, 3), {"self_referral": True, "referrer_agency": "other"})
    t.final(a, "phq9", D(2026, 7, 5), {f"q{i}": 0 for i in range(1, 10)})
    t.final(a, "audit", D(2026, 7, 5), {f"q{i}": 0 for i in range(1, 11)})
    t.final(a, "joint_assessment", D(2026, 7, 13),
            {"assessed_on": "2026-07-13", "mh_treatment_need": True, "mh_in_treatment": True})
    t.final(a, "substance_profile", D(2026, 7, 14),
            {"substances": [{"substance": "alcohol"}, {"substance": "cannabis"}]})
    t.final(a, "sadq", D(2026, 7, 14), {f"q{i}": 1 for i in range(1, 21)})
    t.final(a, "lead_agency", D(2026, 7, 20), {"mh_severity": "high", "sm_severity": "high", "lead": "mental_health"})
    t.final(a, "care_plan", D(2026, 7, 25), {"next_review": "2026-10-01", "person_signed": SIGNATURE})
    set_case_risk(store, a, "", "Discussed at the joint review: risk now managed (test)")
    b = t.case(D(2026, 6, 30))
    t.final(b, "referral", D(2026, 6, 30), {"self_referral": False, "referrer_agency": "primary_care"})
    t.final(b, "joint_assessment", D(2026, 7, 2), {"assessed_on": "2026-07-02", "mh_treatment_need": False})
    t.final(b, "discharge", D(2026, 8, 1), {"planned": "unplanned", "reason": "disengaged"})
    c = t.case(D(2026, 9, 30))
    t.final(c, "referral", D(2026, 9, 30), {"referrer_agency": "mental_health"})
    d = t.case(D(2026, 10, 1))
    t.final(d, "referral", D(2026, 10, 1), {"referrer_agency": "primary_care"})
    pe = t.person()
    e1 = t.case(D(2026, 1, 10), pe)
    t.final(e1, "discharge", D(2026, 4, 20), {"planned": "planned", "reason": "goals_met"})
    e2 = t.case(D(2026, 8, 15), pe)
    t.final(e2, "sadq", D(2026, 8, 20), {f"q{i}": 2 for i in range(1, 21)})
    t.final(e2, "substance_profile", D(2026, 8, 30), {"substances": [{"substance": "heroin"}]})
    t.final(e2, "joint_assessment", D(2026, 8, 30), {"assessed_on": "2026-08-30"})
    pf = t.person()
    f1 = t.case(D(2025, 3, 1), pf)
    t.final(f1, "discharge", D(2025, 12, 1), {"planned": "planned", "reason": "goals_met"})
    f2 = t.case(D(2026, 7, 10), pf)
    g = t.case(D(2026, 7, 20))
    t.draft(g, "referral", D(2026, 7, 20), {"self_referral": True})
    h = t.case(D(2026, 8, 1))
    first = t.final(h, "referral", D(2026, 8, 1), {"referrer_agency": "housing"})
    amend(store, first, {"referrer_agency": "criminal_justice"}, "Referrer's agency was misread (test)")
    for name, cid in dict(a=a, b=b, c=c, d=d, e1=e1, e2=e2, f1=f1, f2=f2, g=g, h=h).items():
        refs[name] = next(r.ref for r in list_cases(store, _all(), 0, 100) if r.case_id == cid)
    return refs


def _all():
    from ddassess.services.case_list_rows import CaseQuery

    return CaseQuery(open_only=False)


def _counts(table) -> dict[str, tuple[int, int | None]]:
    return {f.group: (f.count, f.previous) for f in table.figures if f.count or f.previous}


def _refs(store, figure) -> set[str]:
    return {r.ref for r in list_cases(store, figure.query, 0, 100)}


def test_period_figures_worked_by_hand(store, catalogue, story):
    p = team_period(store, parse_period("2026-Q3"), catalogue, today=TODAY)
    assert p.previous.label == "2026-Q2"
    assert _counts(p.table("p.referrals")) == {"all": (6, 1)}  # A C E2 F2 G H; Q2: B (30 Jun)
    assert _counts(p.table("p.source")) == {"self": (1, 0), "mental_health": (1, 0), "criminal_justice": (1, 0),
                                            "not_recorded": (3, 0), "primary_care": (0, 1)}
    assert _counts(p.table("p.to_assessment")) == {"8-14 days": (1, 0), "15-28 days": (1, 0), "waiting": (4, 0),
                                                   "0-7 days": (0, 1)}
    assert _counts(p.table("p.to_plan")) == {"15-28 days": (1, 0), "waiting": (5, 1)}
    assert [(m.days, m.previous) for m in p.medians] == [(12.5, 2.0), (22.0, None)]
    assert _counts(p.table("p.mh_need")) == {"need_treated": (1, 0), "not_recorded": (5, 0), "no_need": (0, 1)}
    assert _counts(p.table("p.substance")) == {"alcohol": (1, 0), "heroin": (1, 0), "not_recorded": (4, 1)}
    assert _counts(p.table("p.sadq")) == {"moderate": (1, 0), "severe": (1, 0), "none": (4, 1)}
    assert _counts(p.table("p.screening")) == {"mh": (1, 0), "substance": (2, 0), "both": (1, 0)}
    assert _counts(p.table("p.exit_type")) == {"unplanned": (1, 0), "planned": (0, 1)}
    assert _counts(p.table("p.exit_reason")) == {"disengaged": (1, 0), "goals_met": (0, 1)}
    assert _counts(p.table("p.represented")) == {"represented": (1, 0)}


def test_every_period_figure_opens_exactly_its_cases(store, catalogue, story):
    p = team_period(store, parse_period("2026-Q3"), catalogue, today=TODAY)
    for table in p.tables:
        for f in table.figures:
            assert count_cases(store, f.query) == f.count, (table.key, f.group)
    by = {(f.measure, f.group): f for t in p.tables for f in t.figures}
    assert _refs(store, by["p.referrals", "all"]) == {story[k] for k in ("a", "c", "e2", "f2", "g", "h")}
    assert _refs(store, by["p.exit_type", "unplanned"]) == {story["b"]}  # closed: the drill-down lists it
    assert _refs(store, by["p.represented", "represented"]) == {story["e2"]}
    assert _refs(store, by["p.source", "not_recorded"]) == {story[k] for k in ("e2", "f2", "g")}


def test_now_figures_worked_by_hand(store, catalogue, story):
    now = team_now(store, TODAY, catalogue)
    t = {table.key: _counts(table) for table in now.tables}
    assert t["now.stage"] == {"referral": (5, None), "joint_assessment": (1, None), "care_plan": (1, None)}
    assert t["now.risk"] == {"high": (1, None), "": (6, None)}  # E2's SADQ; A lowered by a practitioner
    assert t["now.complex"] == {"complex": (2, None)}  # E2 (high risk), A (high/high quadrant)
    assert t["now.reviews"] == {"overdue": (1, None)}
    # Targets 5 days at referral, 14 at joint assessment: C (15 days), D (14), F2, G, H; E2 since 30 Aug.
    assert t["now.waiting"] == {"referral": (5, None), "joint_assessment": (1, None)}
    assert t["now.unsigned"] == {"unsigned": (1, None)}
    assert sum(f.count for f in next(x for x in now.tables if x.key == "now.caseload").figures) == 7
    assert [c.ref for c in now.complex_cases] == [story["e2"], story["a"]]  # high risk first
    assert [c.quadrant_high_high for c in now.complex_cases] == [False, True]
    for table in now.tables:
        for f in table.figures:
            assert count_cases(store, f.query) == f.count, (table.key, f.group)


def test_waiting_follows_the_target_setting(store, catalogue, story):
    save_settings(store, {"target_days_triage": 15})  # C (15 days) and D (14) are now within it
    now = team_now(store, TODAY, catalogue)
    waiting = next(t for t in now.tables if t.key == "now.waiting")
    referral = next(f for f in waiting.figures if f.group == "referral")
    assert referral.count == 3 and "15 days" in referral.label
    assert _refs(store, referral) == {story[k] for k in ("f2", "g", "h")}


def test_an_empty_period_and_an_empty_store(store, catalogue):
    p = team_period(store, parse_period("2025-Q3"), catalogue, today=TODAY)
    assert all(f.count == 0 and f.previous == 0 for t in p.tables for f in t.figures)
    assert [(m.days, m.previous) for m in p.medians] == [(None, None), (None, None)]
    now = team_now(store, TODAY, catalogue)
    assert all(f.count == 0 for t in now.tables for f in t.figures) and now.complex_cases == ()
