"""Migration 0014 (the case's own columns in ``case_facts``, kept by triggers, read through
covering indexes): a store of schema 0013 upgraded gives the team figures a store built at
0014 gives, and its facts are those working them out again gives; each figure is then one
range scan of a covering index."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from facts_check import case_columns, stale_facts
from store_helpers import FAST_KDF, FIXTURE_PASSPHRASE, PASSPHRASE, PRACTITIONER
from team_story import Team

from ddassess.domain.periods import parse_period
from ddassess.formengine import load_catalogue
from ddassess.services.case_risk import set_case_risk
from ddassess.services.team_kpis import team_now, team_period
from ddassess.services.team_measures import MEASURES, grouped_sql
from ddassess.store import Credentials, create_store, open_store, schema
from ddassess.store.case_facts import INDEXES, TRIGGERS
from ddassess.store.check import check_store

FIXTURES = Path(__file__).parent / "fixtures"
D = dt.date
TODAY = D(2026, 10, 15)
Q3 = parse_period("2026-Q3")
SIGNED = {"strokes": [[[1.0, 1.0], [5.0, 9.0]]], "signed_at": "2026-07-25T11:00:00+00:00", "signed_by": "x"}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def _figures(store, catalogue):
    now = team_now(store, TODAY, catalogue)
    period = team_period(store, Q3, catalogue, today=TODAY)
    return now.tables, now.complex_cases, period.tables, period.medians


def _downgrade(store, target: str) -> None:
    """The store file taken back to schema ``target`` by the migrations' own downgrades."""
    from alembic import command

    conn = store.raw_connection()
    try:
        cfg, engine = schema._alembic_config(conn)
        conn.execute("PRAGMA foreign_keys = OFF")
        with engine.begin() as sa_conn:
            sa_conn.exec_driver_sql("BEGIN IMMEDIATE")
            cfg.attributes["connection"] = sa_conn
            command.downgrade(cfg, target)
        assert schema.schema_objects(conn) == schema.expected_objects(target)
        assert schema.current_revision(conn) == target
    finally:
        conn.close()


def _story(store, catalogue) -> None:
    """Cases of every kind a figure counts (all fictional): referred in Q3 and Q2, assessed,
    signed, discharged planned and unplanned, a re-presentation, a raised risk, a high/high
    decision, one waiting at referral since June."""
    t = Team(store, catalogue)
    a = t.case(D(2026, 7, 3))
    t.final(a, "referral", D(2026, 7, 3), {"self_referral": True})
    t.final(a, "phq9", D(2026, 7, 5), {f"q{i}": 1 for i in range(1, 10)})
    t.final(a, "joint_assessment", D(2026, 7, 13),
            {"assessed_on": "2026-07-13", "mh_treatment_need": True, "mh_in_treatment": False})
    t.final(a, "substance_profile", D(2026, 7, 14), {"substances": [{"substance": "alcohol"}]})
    t.final(a, "sadq", D(2026, 7, 14), {f"q{i}": 1 for i in range(1, 21)})
    t.final(a, "lead_agency", D(2026, 7, 20), {"mh_severity": "high", "sm_severity": "high", "lead": "mental_health"})
    t.final(a, "care_plan", D(2026, 7, 25), {"next_review": "2026-10-01", "person_signed": SIGNED})
    b = t.case(D(2026, 6, 30))
    t.final(b, "referral", D(2026, 6, 30), {"referrer_agency": "primary_care"})
    t.final(b, "joint_assessment", D(2026, 7, 2), {"assessed_on": "2026-07-02", "mh_treatment_need": False})
    t.final(b, "discharge", D(2026, 8, 1), {"planned": "unplanned", "reason": "disengaged"})
    person = t.person()
    e1 = t.case(D(2026, 1, 10), person)
    t.final(e1, "discharge", D(2026, 4, 20), {"planned": "planned", "reason": "goals_met"})
    e2 = t.case(D(2026, 8, 15), person)
    t.final(e2, "audit", D(2026, 8, 20), {f"q{i}": 0 for i in range(1, 11)})
    set_case_risk(store, e2, "high", "Raised at the meeting (test)")
    t.case(D(2026, 6, 1))  # waiting at referral since June


def test_a_0013_store_upgraded_gives_the_figures_of_one_built_at_0014(tmp_path, catalogue):
    folder = tmp_path / "store"
    store = create_store(folder, PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF, use_keyring=False).store
    _story(store, catalogue)
    built = _figures(store, catalogue)
    referrals = next(t for t in built[2] if t.key == "p.referrals").figures[0]
    assert (referrals.count, referrals.previous) == (2, 2)  # A and E2 in Q3; B and the waiting one in Q2
    _downgrade(store, "0013")
    store.close()

    upgraded = open_store(folder, Credentials(passphrase=PASSPHRASE, use_keyring=False))
    try:
        assert _figures(upgraded, catalogue) == built
        assert stale_facts(upgraded) == []
        conn = upgraded.raw_connection()
        try:
            assert {*TRIGGERS, *INDEXES} <= schema.schema_objects(conn)
        finally:
            conn.close()
        assert check_store(upgraded).ok
    finally:
        upgraded.close()


def test_the_0013_fixture_store_upgrades_with_its_case_in_the_figures(tmp_path, catalogue):
    folder = tmp_path / "store"
    shutil.copytree(FIXTURES / "schema-0013", folder)
    store = open_store(folder, Credentials(passphrase=FIXTURE_PASSPHRASE))
    try:
        columns = case_columns(store, 1)  # the fixture's one case, as make_schema_fixture.py writes it
        assert (columns["stage"], columns["status"], columns["care_coordinator_id"], columns["opened_on"]) == \
            ("screening", "open", 1, "2026-11-01")
        assert stale_facts(store) == []
        now = {t.key: {f.group: f.count for f in t.figures if f.count} for t in team_now(store, TODAY).tables}
        assert now["now.stage"] == {"screening": 1} and now["now.caseload"] == {"1": 1}
        assert check_store(store).ok
    finally:
        store.close()


def _plan(conn, sql: str) -> list[str]:
    params = {"today": "2026-10-15", "start": "2026-07-01", "end": "2026-09-30", "pstart": "2026-04-01",
              "pend": "2026-06-30", "group": "x"}
    used = {k: v for k, v in params.items() if f":{k}" in sql}
    return [str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", used).fetchall()]


TARGETS = {"referral": 14, "consent": 14, "screening": 28, "joint_assessment": 42, "lead_agency": 14}


@pytest.mark.parametrize("measure", [*MEASURES, "now.waiting"])
def test_each_figure_is_one_range_scan_of_a_covering_index(store, measure):
    """No figure reads a case row or a facts row: only a covering index of the facts, from a
    range (the open cases; the cases referred or closed in the period and the one before)."""
    conn = store.raw_connection()
    try:
        plan = _plan(conn, grouped_sql(measure, TARGETS))
    finally:
        conn.close()
    searches = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
    assert searches, plan
    for step in searches:
        assert "USING COVERING INDEX ix_case_facts_" in step, plan
        assert step.startswith("SEARCH"), plan  # a range or a look-up, never the whole table
