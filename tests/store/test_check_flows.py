"""Everything the services write is audited so that ``store check`` can replay it: a store
used through them (the demo, amendments, autosave, settings, signing, care plans) passes,
and the same flows' records changed beside the trail do not."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sample_plans import squiggle
from store_helpers import amend, write_setting_unchecked

from ddassess.domain.models import PersonDetails
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes, signing
from ddassess.services.careplan_files import export_care_plan
from ddassess.services.case_pathway import finalise_form
from ddassess.services.demo import DEMO_PASSPHRASE
from ddassess.services.settings import set_setting, update_profile
from ddassess.store.check import check_store

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
PLAN = {
    "lead_agency": "Fictional Mental Health Trust", "care_coordinator": "Casey Coordinator",
    "partner_worker": "Pat Partner", "what_matters": "Keeping my flat",
    "needs": [{"area": "housing", "need": "Rent arrears", "goal": "Stay in my flat", "action": "Debt advice",
               "responsible": "Pat Partner", "status": "in_progress"}],
    "risk_management": "Daily contact for two weeks", "crisis_summary": "See crisis plan",
    "information_sharing": "Both services and the GP", "next_review": "2027-01-19", "carer_involved": False,
    "person_signed": {"strokes": [[list(p) for p in s] for s in squiggle()], "signed_at": "2026-11-20T10:15:00+00:00"},
}


def test_the_demo_store_made_by_command_passes_by_command(subprocess_env):
    """Every kind of record the demo makes (people in every pathway stage, final forms, care
    plans, lead agency and risk) replays to what is in the tables."""
    env = subprocess_env | {"DDASSESS_PASSPHRASE": DEMO_PASSPHRASE}
    made = subprocess.run([sys.executable, "-m", "ddassess", "demo", "create"], env=env, capture_output=True,
                          text=True, timeout=600)
    assert made.returncode == 0, made.stderr
    done = subprocess.run([sys.executable, "-m", "ddassess", "--demo", "store", "check"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PROBLEM" not in done.stdout
    assert "audited records is what its audit events say" in done.stdout


def _start(store, case_id, form_id, answers):
    spec = CATALOGUE.get(form_id)
    return case_changes.start_response(store, case_id, spec.id, spec.version, spec.content_hash, answers)


@pytest.fixture
def worked_store(store):
    """A case taken through the flows that write: autosave, finalise, both kinds of amendment,
    a cancelled amendment, discharge, settings, the profile, signing and care plan versions."""
    person = case_changes.register_person(store, PersonDetails("Quentin", "Madeup", dt.date(1991, 2, 3), "9990000018",
                                                        address="1 Nowhere Lane", phone="01632 960000"))
    case_id = case_changes.open_case(store, person.id).id
    phq = _start(store, case_id, "phq9", {"q1": 1})
    for answers in ({"q1": 2}, {"q1": 2, "q2": 1}, {f"q{i}": 1 for i in range(1, 10)} | {"difficulty": "somewhat"}):
        case_changes.save_draft(store, phq.id, answers)
    finalise_form(store, CATALOGUE, phq.id)
    # An amendment made in one go, and one drafted (autosaved), finalised with a reason.
    direct = amend(store, phq.id, {f"q{i}": 2 for i in range(1, 10)} | {"difficulty": "very"}, "typed in the wrong row")
    draft = case_changes.start_amendment(store, direct.id, {})
    case_changes.save_draft(store, draft.id, case_changes.get_response(store, draft.id).answers | {"q9": 0})
    amended = finalise_form(store, CATALOGUE, draft.id, reason="client corrected item 9")
    # An amendment started and cancelled: its draft is deleted, with an event saying so.
    dropped = case_changes.start_amendment(store, amended.id, {})
    case_changes.discard_amendment(store, dropped.id)
    set_setting(store, "idle_lock_minutes", 10)
    set_setting(store, "idle_lock_minutes", 15)
    set_setting(store, "open_draft", {"case_id": case_id, "response_id": phq.id, "field": "q2"})
    set_setting(store, "open_draft", None)
    write_setting_unchecked(store, "default_agency", "Old Fictional Service")  # as an earlier version left it
    update_profile(store, role="Team lead", agency="Fictional SMS")  # deletes the old default_agency setting
    signing.create_team_authority(store, "Fictional Joint Team", "authority passphrase 1")
    signing.issue_identity(store, "authority passphrase 1", "my signing passphrase")
    _start(store, case_id, "crisis_plan", {"early_warning_signs": "Stops answering the phone",
                                            "what_helps": "A call from Pat"})
    plan = _start(store, case_id, "care_plan", PLAN)
    me = signing.load_identity(store, "my signing passphrase")
    out = Path(store.folder).parent / "plans"
    out.mkdir()
    export_care_plan(store, CATALOGUE, case_id, out / "v1.pdf", me)
    export_care_plan(store, CATALOGUE, case_id, out / "again.pdf")
    case_changes.save_draft(store, plan.id,
                            case_changes.get_response(store, plan.id).answers | {"what_matters": "My flat, my dog"})
    export_care_plan(store, CATALOGUE, case_id, out / "v2.pdf")
    discharge = _start(store, case_id, "discharge", {})
    case_changes.finalise_response(store, discharge.id)
    from ddassess.services.case_pathway import advance_stage

    advance_stage(store, case_id, "discharge")
    store.case_id, store.plan_id, store.amended = case_id, plan.id, amended
    return store


def test_every_flow_that_writes_passes_check(worked_store):
    report = check_store(worked_store)
    assert report.ok, report.problems


@pytest.mark.parametrize("sql, expected", [
    ("UPDATE form_responses SET status = 'final' WHERE status = 'superseded'", ": status differ"),
    ("UPDATE form_responses SET amendment_reason = 'no reason' WHERE amendment_reason <> ''",
     ": amendment_reason differ"),
    ("UPDATE cases SET closed_on = NULL", ": closed_on differ"),
    ("UPDATE cases SET lead_agency = 'Another service'", ": lead_agency differ"),
    ("UPDATE practitioners SET role = 'Consultant'", ": role differ"),
    ("UPDATE care_plan_versions SET content_json = '{}' WHERE version = 2", ": content_sha256 differ"),
    ("UPDATE care_plan_versions SET status = 'signed' WHERE version = 2", ": signed differ"),
    ("DELETE FROM care_plan_versions WHERE version = 2", ": version, signed, content_sha256 differ"),
    ("UPDATE signing_identities SET source = 'pkcs12'", ": source differ"),
    ("UPDATE signing_authorities SET name = 'Another Team'", ": name differ"),
    ("UPDATE practitioner_settings SET value_json = '60' WHERE key = 'idle_lock_minutes'", ": value differ"),
])
def test_records_of_every_flow_changed_beside_the_trail_are_found(worked_store, sql, expected):
    conn = worked_store.raw_connection()
    conn.execute(sql)
    conn.commit()
    conn.close()
    problems = check_store(worked_store).problems
    assert any(expected in p for p in problems), problems


def test_a_cancelled_amendment_put_back_is_found(worked_store):
    """Its events end in a deletion: a row with its id is not the app's."""
    conn = worked_store.raw_connection()
    uuid = conn.execute("SELECT entity_id FROM audit_events WHERE action = 'discard'").fetchone()[0]
    conn.execute("INSERT INTO form_responses (uuid, case_id, form_id, form_version, definition_hash, answers_json, "
                 "status, created_at, updated_at, amendment_reason) SELECT ?, case_id, form_id, form_version, "
                 "definition_hash, answers_json, 'draft', created_at, updated_at, '' FROM form_responses LIMIT 1",
                 (uuid,))
    conn.commit()
    conn.close()
    assert check_store(worked_store).problems == [
        f"response {uuid} is deleted according to its audit events, but is still in the store"]


def test_events_of_amendments_keep_the_answers(worked_store):
    """The answers an amendment starts from are in its creation event (not only the diffs)."""
    conn = worked_store.raw_connection()
    rows = conn.execute("SELECT changes_json FROM audit_events WHERE entity_type = 'response' AND action = 'create' "
                        "AND changes_json LIKE '%amends%'").fetchall()
    conn.close()
    assert rows and all("answers" in json.loads(r[0]) for r in rows)


def test_moving_between_fields_adds_no_audit_event(store):
    """Where the practitioner is goes into a setting on every move of the cursor; the trail
    records changes to records, not each move, and the check still passes."""
    before = _event_count(store)
    for field in ("q1", "q2", "q3"):
        set_setting(store, "open_draft", {"case_id": 1, "response_id": 1, "field": field})
    set_setting(store, "idle_lock_minutes", 12)
    assert _event_count(store) == before + 1  # the idle time only
    assert not check_store(store).problems


def _event_count(store) -> int:
    conn = store.raw_connection()
    try:
        return conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    finally:
        conn.close()
