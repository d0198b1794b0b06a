"""The Team view's additions, each worked out by hand on real stores built through the services
(fictional people only): unresolved conflicts of shared cases (two laptops' stores exchanging
changes), the trend of referrals and median waits over the periods before, and the primary
substance read from the substance use profile (the demo store used to leave it unrecorded)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from pathlib import Path

import pytest
from exchange_helpers import case_id, make_store, new_case, response_id, send
from pypdf import PdfReader
from sqlalchemy import select
from team_story import Team

from ddassess.domain.models import PATHWAY_STAGES
from ddassess.domain.periods import parse_period
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes, conflicts, demo
from ddassess.services.case_list import list_cases
from ddassess.services.team_kpis import team_now, team_period, team_trend
from ddassess.services.team_report import kpi_report_pdf
from ddassess.store.records import CaseRecord

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
D = dt.date


def _ids(store, query) -> set[int]:
    return {r.case_id for r in list_cases(store, query, 0, 1000)}


def _person_id(store, cid):
    with store.read() as s:
        return s.scalar(select(CaseRecord.person_id).where(CaseRecord.id == cid))


def _conflicts_figure(store):
    table = next(t for t in team_now(store, D(2026, 11, 30), CATALOGUE).tables if t.key == "now.conflicts")
    [figure] = table.figures
    return figure


def test_unresolved_conflicts_count_each_case_once_and_open_its_cases(pair):
    """Case 1: its person's phone changed two ways (a person's details travel with every case of
    the person, so their second case, 2, has it too). Case 3: a risk form's answer changed two
    ways. Case 4: shared, changed on one laptop only. By hand: cases 1, 2, 3 — three cases,
    though case 1 and 2 share one conflict. Settling the risk form's conflict leaves two."""
    a, b = pair
    c1, u1 = new_case(a)
    person = _person_id(a, c1)
    c2 = case_changes.open_case(a, person).id
    c3, u3 = new_case(a, nhs="9990000034", given="Other", family="Person")
    c4, u4 = new_case(a, nhs="9990000042", given="Third", family="Person")
    spec = CATALOGUE.get("risk")
    r = case_changes.start_response(a, c3, "risk", spec.version, spec.content_hash, {"self_present": True})
    send(a, b, CATALOGUE)
    assert _conflicts_figure(a).count == 0
    for store, case, phone in ((a, c1, "01632 960001"), (b, case_id(b, u1), "01632 960002")):
        pid = _person_id(store, case)
        case_changes.update_person(store, pid, replace(case_changes.person_details(store, pid), phone=phone))
    case_changes.save_draft(a, r.id, {"self_present": True, "self_imminence": "weeks"})
    case_changes.save_draft(b, response_id(b, r.uuid), {"self_present": True, "self_imminence": "days"})
    case_changes.save_draft(b, response_id(b, r.uuid), {"self_present": True, "self_imminence": "days"})
    pid4 = _person_id(b, case_id(b, u4))
    case_changes.update_person(b, pid4, replace(case_changes.person_details(b, pid4), phone="01632 960004"))
    send(a, b, CATALOGUE)
    send(b, a, CATALOGUE)
    figure = _conflicts_figure(a)
    assert figure.count == 3
    assert _ids(a, figure.query) == {c1, c2, c3}
    # on the other laptop, the same cases (by their own ids there)
    on_b = _conflicts_figure(b)
    assert on_b.count == 3 and _ids(b, on_b.query) == {case_id(b, u1), _case_of_person(b, u1), case_id(b, u3)}
    [risk_conflict] = conflicts.list_conflicts(a, c3, catalogue=CATALOGUE)
    conflicts.resolve_conflict(a, risk_conflict.uuid, 0, "Within weeks, as the person said at the visit",
                               catalogue=CATALOGUE)
    figure = _conflicts_figure(a)
    assert figure.count == 2 and _ids(a, figure.query) == {c1, c2}
    assert u4  # case 4 had a change on one laptop only: no conflict


def _case_of_person(store, case_uuid):
    """The other case of the person whose case is ``case_uuid``."""
    with store.read() as s:
        first = s.scalar(select(CaseRecord).where(CaseRecord.uuid == case_uuid))
        assert first is not None
        return s.scalar(select(CaseRecord.id).where(CaseRecord.person_id == first.person_id,
                                                    CaseRecord.id != first.id))


def test_a_closed_case_with_a_conflict_still_counts(pair):
    a, b = pair
    c1, u1 = new_case(a)
    send(a, b, CATALOGUE)
    for store, case, phone in ((a, c1, "01632 960011"), (b, case_id(b, u1), "01632 960012")):
        pid = _person_id(store, case)
        case_changes.update_person(store, pid, replace(case_changes.person_details(store, pid), phone=phone))
    send(b, a, CATALOGUE)
    Team(a, CATALOGUE).final(c1, "discharge", dt.date.today(), {"planned": "planned", "reason": "goals_met"})
    with a.read() as s:
        assert s.scalar(select(CaseRecord.status).where(CaseRecord.id == c1)) == "closed"
    figure = _conflicts_figure(a)
    assert figure.count == 1 and not figure.query.open_only and _ids(a, figure.query) == {c1}


def test_the_kpi_report_prints_the_conflicts_and_unsigned_plans_without_names(pair):
    a, b = pair
    c1, u1 = new_case(a, given="Sentinelia", family="Zzyzxfictional")
    send(a, b, CATALOGUE)
    for store, case, phone in ((a, c1, "01632 960021"), (b, case_id(b, u1), "01632 960022")):
        pid = _person_id(store, case)
        case_changes.update_person(store, pid, replace(case_changes.person_details(store, pid), phone=phone))
    send(b, a, CATALOGUE)
    pdf = kpi_report_pdf(a, parse_period("2026-Q4"), catalogue=CATALOGUE, today=D(2026, 11, 30))
    plain = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Unresolved conflicts" in plain and "Care plans not yet signed" in plain
    assert "Cases with a change made two ways, not yet settled <5" in plain  # one case: hidden as small
    assert "Sentinelia" not in plain and "Zzyzxfictional" not in plain


def test_the_trend_gives_each_periods_referrals_and_median_waits(tmp_path):
    """Six quarters ending 2026-Q3. By hand:
    2025-Q2: nobody. 2025-Q3: one case, assessed after 4 days. 2025-Q4: nobody.
    2026-Q1: three cases, assessed after 2, 10 and 30 days (median 10); one of them has a care
    plan signed after 20 days. 2026-Q2: two cases, one assessed after 6 days, one not yet
    (median 6). 2026-Q3: one case referred on 30 Sep (the quarter's last day), assessed 1 Oct
    (1 day). A case referred 1 Oct 2026 is in Q4: in no point."""
    store = make_store(tmp_path / "s", "Alex Example")
    try:
        t = Team(store, CATALOGUE)
        signature = {"strokes": [[[1.0, 1.0], [5.0, 9.0]]], "signed_at": "2026-02-21T11:00:00+00:00",
                     "signed_by": "x"}

        def referred(day: dt.date, assessed_after: int | None) -> int:
            c = t.case(day)
            if assessed_after is not None:
                on = day + dt.timedelta(days=assessed_after)
                t.final(c, "joint_assessment", on, {"assessed_on": on.isoformat()})
            return c

        only = referred(D(2025, 8, 1), 4)
        q1 = [referred(D(2026, 1, 10), 2), referred(D(2026, 2, 1), 10), referred(D(2026, 3, 31), 30)]
        t.final(q1[1], "care_plan", D(2026, 2, 21), {"person_signed": signature, "next_review": "2026-05-01"})
        q2 = [referred(D(2026, 4, 1), 6), referred(D(2026, 6, 30), None)]
        q3 = referred(D(2026, 9, 30), 1)
        referred(D(2026, 10, 1), 1)
        points = team_trend(store, parse_period("2026-Q3"))
        assert [p.period.label for p in points] == ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
        assert [p.referrals for p in points] == [0, 1, 0, 3, 2, 1]
        assert [p.to_assessment for p in points] == [None, 4.0, None, 10.0, 6.0, 1.0]
        assert [p.to_plan for p in points] == [None, None, None, 20.0, None, None]
        today = D(2026, 11, 30)
        assert _ids(store, points[1].query("referrals", today)) == {only}
        assert _ids(store, points[3].query("to_assessment", today)) == set(q1)
        assert _ids(store, points[3].query("to_plan", today)) == {q1[1]}
        assert _ids(store, points[4].query("referrals", today)) == set(q2)
        assert _ids(store, points[4].query("to_assessment", today)) == {q2[0]}
        assert _ids(store, points[5].query("to_assessment", today)) == {q3}
        # the last point is the period's own figure
        assert points[-1].referrals == team_period(store, parse_period("2026-Q3"), CATALOGUE).table(
            "p.referrals").figures[0].count
        assert len(team_trend(store, parse_period("2026-07"), 4)) == 4
        with pytest.raises(ValueError, match="at least one period"):
            team_trend(store, parse_period("2026-Q3"), 0)
    finally:
        store.close()


def test_the_demo_records_each_assessed_persons_primary_substance(tmp_path):
    """The demo used to finalise no substance use profile, so "Primary substance" said "Not
    recorded" for every case. Now every demo case that reached the joint assessment step has
    one; by hand from the demo's stages, the cases not recorded are exactly those at the steps
    before it (and the one whose profile is a draft in progress)."""
    store = make_store(tmp_path / "demo", demo.DEMO_PRACTITIONER["name"])
    today = D(2026, 11, 30)
    try:
        demo.populate(store, CATALOGUE, today=today)
        whole = parse_period("2026-01-01..2026-11-30")
        table = team_period(store, whole, CATALOGUE, today=today).table("p.substance")
        counts = {f.group: f.count for f in table.figures}
        assessed = PATHWAY_STAGES.index("joint_assessment")
        with store.read() as s:
            cases = s.execute(select(CaseRecord.id, CaseRecord.stage)).all()
        reached = {cid for cid, stage in cases if PATHWAY_STAGES.index(stage) >= assessed}
        # a case at the joint assessment step reached it by its profile (finalised first, day 10)
        assert sum(counts.values()) == len(cases) == 24
        assert counts.get("not_recorded", 0) == len(cases) - len(reached)
        assert counts.get("alcohol", 0) > 0 and sum(n for g, n in counts.items() if g != "not_recorded") == len(reached)
        labels = {f.group: f.label for f in table.figures}
        assert labels["alcohol"] == "Alcohol"
        not_recorded = next(f for f in table.figures if f.group == "not_recorded")
        assert _ids(store, not_recorded.query) == {cid for cid, _ in cases} - reached
    finally:
        store.close()


def test_the_median_of_a_histogram():
    from ddassess.services.team_kpis import median_of

    assert median_of({}) is None
    assert median_of({7: 1}) == 7.0
    assert median_of({2: 1, 10: 1, 30: 1}) == 10.0
    assert median_of({2: 1, 10: 1}) == 6.0  # the two middle ones' mean
    assert median_of({1: 3, 50: 1}) == 1.0
    assert median_of({1: 2, 50: 2}) == 25.5


def test_a_counts_axis_steps_in_whole_numbers():
    """Two cases drawn on a counts chart: the axis runs 0-5 in steps of 1, not 0-2 in halves."""
    from ddassess.domain.charts import BarChart, Series, ticks

    plain = BarChart("Exits", ("Planned", "Unplanned"), (Series("Q4", (2.0, 1.0)),))
    counts = BarChart("Exits", ("Planned", "Unplanned"), (Series("Q4", (2.0, 1.0)),), counts=True)
    assert plain.value_range() == (0.0, 2.0) and 0.5 in ticks(*plain.value_range())
    assert counts.value_range() == (0.0, 5.0) and ticks(*counts.value_range()) == [0, 1, 2, 3, 4, 5]
    big = BarChart("Referrals", ("GP",), (Series("Q4", (23.0,)),), counts=True)
    assert big.value_range() == (0.0, 25.0) and all(float(t).is_integer() for t in ticks(*big.value_range()))
