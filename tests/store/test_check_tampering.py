"""``ddassess store check`` finds records changed beside the audit trail, and events added to it.

Each tampering is done as someone holding the database key would: plain SQL on the opened
SQLCipher file. The main ones run the real command in a child process and read its exit
code and output; the message must say what is wrong without repeating the case data.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
from store_helpers import PASSPHRASE

from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.store.audit import event_hash
from ddassess.store.check import check_store

NAME = ("Zebedee", "Imaginary")  # a fictional person; their name must never reach the report


@pytest.fixture
def case_store(store):
    """A person, a case, a final PHQ-9 and a draft GAD-7, made through the services."""
    person = case_changes.register_person(store, PersonDetails(*NAME, dt.date(1980, 5, 17), "9990000026"))
    case = case_changes.open_case(store, person.id)
    final = case_changes.start_response(store, case.id, "phq9", 1, "0" * 64, {"q1": 1})
    case_changes.save_draft(store, final.id, {"q1": 2, "q2": 3})
    case_changes.finalise_response(store, final.id)
    draft = case_changes.start_response(store, case.id, "gad7", 1, "0" * 64)
    case_changes.save_draft(store, draft.id, {"q1": 0})
    store.ids = {"person": person.uuid, "case": case.uuid, "final": final.uuid, "draft": draft.uuid}
    assert check_store(store).ok, check_store(store).problems
    return store


def _sql(store, *statements):
    conn = store.raw_connection()  # the key, and SQL: what a person with the key can do
    try:
        for statement in statements:
            conn.execute(*statement) if isinstance(statement, tuple) else conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def _cli_check(store, subprocess_env):
    """Close the store and run `ddassess store check` as a user would, in its own process."""
    store.close()
    env = subprocess_env | {"DDASSESS_PASSPHRASE": PASSPHRASE}
    done = subprocess.run([sys.executable, "-m", "ddassess", "store", "check"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    for secret in (*NAME, "Mallory", "9990000026"):
        assert secret not in done.stdout + done.stderr
    return done


def _problems(done):
    return [line for line in done.stdout.splitlines() if line.startswith("PROBLEM:")]


def test_untouched_store_passes_by_command(case_store, subprocess_env):
    done = _cli_check(case_store, subprocess_env)
    assert done.returncode == 0, done.stdout
    assert "audited records is what its audit events say" in done.stdout


def test_edited_answers_are_found(case_store, subprocess_env):
    ids = case_store.ids
    _sql(case_store, ("UPDATE form_responses SET answers_json = ? WHERE uuid = ?",
                      (json.dumps({"q1": 0, "q2": 3}), ids["final"])))
    done = _cli_check(case_store, subprocess_env)
    assert done.returncode == 8
    assert _problems(done) == [f"PROBLEM: response {ids['final']}: answers (q1) differs from what its audit events "
                               "last set (changed outside ddassess)"]


def test_an_answer_added_beside_the_trail_is_found(case_store):
    """The first answers are in the creation event, so an extra one is found too."""
    ids = case_store.ids
    _sql(case_store, ("UPDATE form_responses SET answers_json = ? WHERE uuid = ?",
                      (json.dumps({"q1": 2, "q2": 3, "q9": 3}), ids["final"])))
    assert check_store(case_store).problems == [
        f"response {ids['final']}: answers (q9) differs from what its audit events last set (changed outside ddassess)"]


def test_edited_name_is_found(case_store, subprocess_env):
    ids = case_store.ids
    _sql(case_store, ("UPDATE people SET family_name = 'Mallory' WHERE uuid = ?", (ids["person"],)))
    done = _cli_check(case_store, subprocess_env)
    assert done.returncode == 8
    assert _problems(done) == [f"PROBLEM: person {ids['person']}: family_name differs from what its audit events "
                               "last set (changed outside ddassess)"]


def test_edited_details_not_named_before_are_found(case_store):
    """Address, phone, ... were not in the creation event of older versions: they are now."""
    _sql(case_store, ("UPDATE people SET address = '1 Fictional Row' WHERE uuid = ?", (case_store.ids["person"],)))
    [problem] = check_store(case_store).problems
    assert problem.startswith(f"person {case_store.ids['person']}: address differs")


def test_deleted_response_is_found(case_store, subprocess_env):
    ids = case_store.ids
    _sql(case_store, ("DELETE FROM form_responses WHERE uuid = ?", (ids["draft"],)))
    done = _cli_check(case_store, subprocess_env)
    assert done.returncode == 8
    assert _problems(done) == [f"PROBLEM: response {ids['draft']} is gone, but its audit events do not record "
                               "its deletion (it was deleted outside ddassess)"]


def test_final_turned_back_into_draft_is_found(case_store, subprocess_env):
    ids = case_store.ids
    _sql(case_store, ("UPDATE form_responses SET status = 'draft', finalised_at = NULL WHERE uuid = ?",
                      (ids["final"],)))
    done = _cli_check(case_store, subprocess_env)
    assert done.returncode == 8
    assert _problems(done) == [f"PROBLEM: response {ids['final']}: status differs from what its audit events last "
                               "set (changed outside ddassess)"]


def test_a_record_added_beside_the_trail_is_found(case_store):
    _sql(case_store, "INSERT INTO people (uuid, given_name, family_name, preferred_name, gender, address, phone, "
                     "email, search_name, created_at, updated_at) VALUES ('00000000-0000-4000-8000-000000000001', "
                     "'Mallory', 'Fictional', '', '', '', '', '', 'mallory fictional', "
                     "'2026-01-01T00:00:00.000000+00:00', '2026-01-01T00:00:00.000000+00:00')")
    assert check_store(case_store).problems == [
        "person 00000000-0000-4000-8000-000000000001 has no audit events: it was added outside ddassess"]


def test_a_case_moved_to_another_person_is_found(case_store):
    other = case_changes.register_person(case_store, PersonDetails("Other", "Fictional", dt.date(1970, 1, 1)))
    _sql(case_store, ("UPDATE cases SET person_id = ? WHERE uuid = ?", (other.id, case_store.ids["case"])))
    [problem] = check_store(case_store).problems
    assert problem.startswith(f"case {case_store.ids['case']}: person differs")


def test_a_setting_changed_beside_the_trail_is_found(case_store):
    from ddassess.services.settings import set_setting

    set_setting(case_store, "idle_lock_minutes", 10)
    assert check_store(case_store).ok
    _sql(case_store, "UPDATE practitioner_settings SET value_json = '60' WHERE key = 'idle_lock_minutes'")
    [problem] = check_store(case_store).problems
    assert problem.startswith(f"setting {case_store.owner_uuid}/idle_lock_minutes: value differs")


def test_a_setting_added_beside_the_trail_is_found(case_store):
    _sql(case_store, ("INSERT INTO practitioner_settings (practitioner_id, key, value_json) "
                      "SELECT id, 'idle_lock_minutes', '60' FROM practitioners"))
    assert check_store(case_store).problems == [
        f"setting {case_store.owner_uuid}/idle_lock_minutes has no audit events: it was added outside ddassess"]


# --- an event appended with a recomputed chain, dated in the past --------------------------


def _append_event(store, *, earlier_by, action, entity_type, entity_id, changes, reason=""):
    """Append one correctly chained event, dated ``earlier_by`` before the last one, and move
    the head, as someone with the key could."""
    conn = store.raw_connection()
    try:
        seq, prev, last_at = conn.execute("SELECT seq, hash, at FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
        at = dt.datetime.fromisoformat(last_at) - earlier_by
        actor = store.owner_uuid
        changes_json = json.dumps(changes, sort_keys=True, separators=(",", ":"))
        h = event_hash(prev, seq + 1, at, actor, action, entity_type, entity_id, changes_json, reason)
        conn.execute("INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (seq + 1, at.isoformat(timespec="microseconds"), actor, action, entity_type, entity_id,
                      changes_json, reason, prev, h))
        conn.execute("UPDATE store_meta SET value = ? WHERE key = 'audit_head'", (f"{seq + 1}:{h}",))
        conn.commit()
    finally:
        conn.close()
    return seq + 1


def test_backdated_event_with_a_recomputed_chain_is_found(case_store, subprocess_env):
    """The answers are edited *and* an event saying so is appended, dated last week: the
    records agree with the trail and the chain is whole, but time runs backwards."""
    ids = case_store.ids
    _sql(case_store, ("UPDATE form_responses SET answers_json = ? WHERE uuid = ?",
                      (json.dumps({"q1": 1}), ids["draft"])))
    seq = _append_event(case_store, earlier_by=dt.timedelta(days=7), action="update", entity_type="response",
                        entity_id=ids["draft"], changes={"q1": [0, 1]})
    done = _cli_check(case_store, subprocess_env)
    assert done.returncode == 8
    assert _problems(done) == [f"PROBLEM: audit event {seq} (a response event) is dated 7 days before event "
                               f"{seq - 1}: time must move forwards along the trail, so it was added later with "
                               "an earlier date (backdated)"]


def test_an_event_within_the_clock_tolerance_passes(case_store):
    """A clock stepped back a minute (an NTP correction) is not tampering."""
    _append_event(case_store, earlier_by=dt.timedelta(minutes=4), action="export",
                  entity_type="case", entity_id=case_store.ids["case"], changes={})
    assert check_store(case_store).ok, check_store(case_store).problems


# --- garbage in the trail's own fields: exit 8 naming the event, never a traceback ---------


def _loosen_audit_table(store):
    """Rebuild audit_events without its NOT NULL constraints, so nulls can be written."""
    _sql(store, "CREATE TABLE loose AS SELECT * FROM audit_events", "DROP TABLE audit_events",
         "ALTER TABLE loose RENAME TO audit_events")


GARBAGE = [
    ("changes_json = 'not json {'", "its changes are missing or not a JSON object"),
    ("changes_json = '[1, 2]'", "its changes are missing or not a JSON object"),
    ("at = 'last Tuesday'", "its time is missing or not a date and time with a time zone"),
    ("at = '2026-11-30T10:00:00'", "its time is missing or not a date and time with a time zone"),
    ("at = NULL", "its time is missing or not a date and time with a time zone"),
    ("hash = NULL", "its hash is missing or not a SHA-256 hash"),
    ("prev_hash = NULL", "its link to the event before is missing or not a SHA-256 hash"),
    ("hash = 'zz'", "its hash is missing or not a SHA-256 hash"),
    ("actor = x'00ff'", "its actor is missing or not text"),
    ("reason = NULL", "its reason is missing or not text"),
]


@pytest.mark.parametrize("assignment, expected", GARBAGE, ids=[g[0] for g in GARBAGE])
def test_garbage_in_an_event_is_a_problem_not_a_crash(case_store, assignment, expected):
    _loosen_audit_table(case_store)
    seq = _event_seq(case_store, "finalise")
    _sql(case_store, f"UPDATE audit_events SET {assignment} WHERE seq = {seq}")
    problems = check_store(case_store).problems
    assert f"audit event {seq} (a response event) cannot be read: {expected}" in problems, problems


def _event_seq(store, action):
    conn = store.raw_connection()
    try:
        return conn.execute("SELECT seq FROM audit_events WHERE action = ?", (action,)).fetchone()[0]
    finally:
        conn.close()


def test_garbage_by_command_exits_8_naming_the_event(case_store, subprocess_env):
    _loosen_audit_table(case_store)
    seq = _event_seq(case_store, "finalise")
    _sql(case_store, f"UPDATE audit_events SET at = 'not a time', changes_json = '{{' WHERE seq = {seq}")
    done = _cli_check(case_store, subprocess_env)
    assert done.returncode == 8, done.stderr
    assert (f"PROBLEM: audit event {seq} (a response event) cannot be read: its time is missing or not a date "
            "and time with a time zone; its changes are missing or not a JSON object") in done.stdout
    assert "found problems" in done.stderr


def test_garbage_kind_is_not_repeated_in_the_report(case_store):
    seq = _event_seq(case_store, "finalise")
    _sql(case_store, f"UPDATE audit_events SET entity_type = 'Mallory', at = 'x' WHERE seq = {seq}")
    problems = check_store(case_store).problems
    assert f"audit event {seq} (an event of unknown kind) cannot be read: its time is missing or not a date and " \
           "time with a time zone" in problems, problems
    assert not any("Mallory" in p for p in problems)


# --- a store made by an earlier version: what it recorded is still checked ------------------


def test_a_store_from_an_earlier_version_is_checked_as_far_as_its_trail_goes(tmp_path):
    """Its rows without events (earlier releases did not audit every record under its uuid)
    are not reported; a record made since, edited or deleted beside the trail, is."""
    import shutil
    from pathlib import Path

    from store_helpers import FIXTURE_PASSPHRASE

    from ddassess.store import Credentials, open_store

    folder = tmp_path / "store"
    shutil.copytree(Path(__file__).parent / "fixtures" / "schema-0003", folder)
    with open_store(folder, Credentials(passphrase=FIXTURE_PASSPHRASE)) as old:
        assert check_store(old).ok, check_store(old).problems
        after = case_changes.register_person(old, PersonDetails(*NAME, dt.date(1980, 5, 17)))
        also = case_changes.register_person(old, PersonDetails("Another", "Fictional", dt.date(1981, 6, 18)))
        _sql(old, ("UPDATE people SET given_name = 'Mallory' WHERE uuid = ?", (after.uuid,)),
             ("DELETE FROM people WHERE uuid = ?", (also.uuid,)))
        problems = check_store(old).problems
    assert sorted(problems) == sorted([
        f"person {after.uuid}: given_name differs from what its audit events last set (changed outside ddassess)",
        f"person {also.uuid} is gone, but its audit events do not record its deletion (it was deleted outside "
        "ddassess)"])


def test_an_event_whose_changes_are_not_old_new_pairs_stops_only_its_records_replay(case_store):
    seq = _event_seq(case_store, "finalise")
    _sql(case_store, f"UPDATE audit_events SET changes_json = '{{\"status\": \"final\"}}' WHERE seq = {seq}")
    problems = check_store(case_store).problems
    assert problems == [f"audit event {seq} was changed after it was written",
                        f"response {case_store.ids['final']}: audit event {seq} cannot be read (its action or its "
                        "[old, new] changes), so the record cannot be checked against it"], problems


def test_many_problems_are_listed_up_to_a_limit_and_say_so(case_store):
    person = case_changes.register_person(case_store, PersonDetails("Many", "Fictional", dt.date(1975, 1, 1)))
    case = case_changes.open_case(case_store, person.id)
    for _ in range(25):
        case_changes.start_response(case_store, case.id, "phq9", 1, "0" * 64)
    _sql(case_store, ("DELETE FROM form_responses WHERE case_id = ?", (case.id,)))
    problems = check_store(case_store).problems
    assert len(problems) == 21 and all(" is gone, but " in p for p in problems[:20]), problems
    assert problems[20] == "records: listing stopped after 20 problems; there may be more"
