"""The audit trail: every change recorded with old → new, and tampering is detected."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from store_helpers import PASSPHRASE

from ddassess.cli import main
from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.store.check import check_store
from ddassess.store.records import AuditEventRecord, ResponseRecord


@pytest.fixture
def busy_store(store):
    person = case_changes.register_person(store, PersonDetails("Ada", "Fictional", dt.date(1990, 1, 1), "9990000026"))
    case = case_changes.open_case(store, person.id)
    resp = case_changes.start_response(store, case.id, "phq9", 1, "0" * 64)
    case_changes.save_draft(store, resp.id, {"q1": 1})
    case_changes.save_draft(store, resp.id, {"q1": 2, "q2": 0})
    return store


def _events(store):
    with store.read() as s:
        return list(s.scalars(select(AuditEventRecord).order_by(AuditEventRecord.seq)))


def test_changes_are_recorded_field_by_field(busy_store):
    events = _events(busy_store)
    actions = [(e.action, e.entity_type) for e in events]
    assert actions[:3] == [("create", "store"), ("create", "practitioner"), ("create", "person")]
    last = events[-1]
    assert (last.action, last.entity_type) == ("update", "response")
    assert json.loads(last.changes_json) == {"q1": [1, 2], "q2": [None, 0]}
    assert all(e.actor == busy_store.owner_uuid for e in events)
    assert check_store(busy_store).ok


def test_unchanged_save_writes_no_event(busy_store):
    before = len(_events(busy_store))
    with busy_store.read() as s:
        rid = s.scalar(select(ResponseRecord.id))
    case_changes.save_draft(busy_store, rid, {"q1": 2, "q2": 0})
    assert len(_events(busy_store)) == before


def _tamper(store, sql, *params):
    conn = store.raw_connection()  # raw SQLCipher access with the key, as an attacker with it would
    conn.execute(sql, params)
    conn.close()


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("UPDATE audit_events SET changes_json = '{\"q1\": [1, 3]}' WHERE seq = 6", "audit event 6 was changed"),
        ("UPDATE audit_events SET actor = 'someone-else' WHERE seq = 3", "audit event 3 was changed"),
        ("DELETE FROM audit_events WHERE seq = 4", "events 4–4 are missing"),
        ("DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)", "newest events were removed"),
    ],
)
def test_tampering_is_detected(busy_store, sql, expected):
    assert check_store(busy_store).ok
    _tamper(busy_store, sql)
    report = check_store(busy_store)
    assert not report.ok
    assert any(expected in p for p in report.problems), report.problems


def test_rewritten_event_with_recomputed_hash_breaks_the_next_link(busy_store):
    """Recomputing one event's own hash is not enough: the next event no longer follows it."""
    from ddassess.store.audit import event_hash

    ev = _events(busy_store)[3]
    new_hash = event_hash(ev.prev_hash, ev.seq, ev.at, ev.actor, "delete", ev.entity_type, ev.entity_id,
                          ev.changes_json, ev.reason)
    _tamper(busy_store, "UPDATE audit_events SET action = 'delete', hash = ? WHERE seq = ?", new_hash, ev.seq)
    report = check_store(busy_store)
    assert any(f"audit event {ev.seq + 1} does not follow" in p for p in report.problems), report.problems


def test_store_check_command_reports_tampering(busy_store, monkeypatch, capsys):
    _tamper(busy_store, "UPDATE audit_events SET reason = 'edited' WHERE seq = 2")
    busy_store.close()
    monkeypatch.setenv("DDASSESS_PASSPHRASE", PASSPHRASE)
    assert main(["store", "check"]) == 8
    out = capsys.readouterr()
    assert "PROBLEM: audit event 2 was changed after it was written" in out.out
    assert "found problems" in out.err


def test_bytes_changed_on_disk_are_found_by_check(busy_store, store_folder):
    conn = busy_store.raw_connection()
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'people'").fetchone()[0]
    conn.close()
    busy_store.close()
    db = store_folder / "ddassess.db"
    data = bytearray(db.read_bytes())
    page = 4096
    data[(root - 1) * page + 500] ^= 0x01  # one bit in the people table, which opening does not read
    db.write_bytes(bytes(data))
    from ddassess.store import Credentials, open_store

    store = open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    report = check_store(store)
    store.close()
    assert not report.ok
    assert any("fail their integrity check" in p for p in report.problems), report.problems


def _tamper_closed(folder, key, *statements):
    """Edit a closed store with its key, as someone with a copy of the key would."""
    from ddassess.store.cipher import raw_connect

    conn = raw_connect(folder / "ddassess.db", key)
    conn.execute("BEGIN")
    for sql, params in statements:
        conn.execute(sql, params)
    conn.execute("COMMIT")
    conn.close()


def _reopen_and_check(folder):
    from ddassess.store import Credentials, open_store

    store = open_store(folder, Credentials(passphrase=PASSPHRASE))
    try:
        return check_store(store)
    finally:
        store.close()


def test_a_normal_session_passes_check(busy_store, store_folder):
    busy_store.close()
    from ddassess.store import Credentials, open_store

    s = open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    case_changes.register_person(s, PersonDetails("Second", "Session", nhs_number="9990000034"))
    s.close()
    report = _reopen_and_check(store_folder)
    assert report.ok, report.problems
    anchor = json.loads((store_folder / "ddassess.keys.json").read_text())["audit_anchor"]
    assert anchor["seq"] == len(_events_of(store_folder)) and len(anchor["hash"]) == 64


def _events_of(folder):
    from ddassess.store import Credentials, open_store

    s = open_store(folder, Credentials(passphrase=PASSPHRASE), record_unlock=False)
    try:
        return _events(s)
    finally:
        s.close()


def test_deleting_the_whole_trail_is_detected(busy_store, store_folder):
    key = busy_store._db_key
    busy_store.close()
    _tamper_closed(store_folder, key, ("DELETE FROM audit_events", ()),
                   ("DELETE FROM store_meta WHERE key = 'audit_head'", ()))
    report = _reopen_and_check(store_folder)
    assert not report.ok
    # The unlock after the deletion starts a new trail at event 1, which is not the store's creation.
    assert any("audit event 1 is not the creation of this store" in p for p in report.problems), report.problems
    assert any("recorded in the key file" in p for p in report.problems), report.problems


def test_an_empty_trail_fails_check(busy_store, store_folder):
    """Checked without an unlock event in between: the trail is simply empty."""
    from ddassess.store import Credentials, open_store

    key = busy_store._db_key
    busy_store.close()
    _tamper_closed(store_folder, key, ("DELETE FROM audit_events", ()),
                   ("DELETE FROM store_meta WHERE key = 'audit_head'", ()))
    s = open_store(store_folder, Credentials(passphrase=PASSPHRASE), record_unlock=False)
    report = check_store(s)
    s.close()
    assert any("audit trail: no events are left" in p for p in report.problems), report.problems


def test_cutting_the_tail_and_moving_the_head_back_is_detected(busy_store, store_folder, monkeypatch, capsys):
    from ddassess.cli import main

    key = busy_store._db_key
    busy_store.close()  # anchors the head in the key file
    events = _events_of(store_folder)
    keep = events[len(events) // 2]
    # Inside the database the cut is perfect: a contiguous chain from genesis, head = last event.
    _tamper_closed(store_folder, key, ("DELETE FROM audit_events WHERE seq > ?", (keep.seq,)),
                   ("UPDATE store_meta SET value = ? WHERE key = 'audit_head'", (f"{keep.seq}:{keep.hash}",)))
    report = _reopen_and_check(store_folder)
    assert not report.ok
    assert any("recorded in the key file" in p for p in report.problems), report.problems
    # Unlocking again did not move the anchor past the cut: the command still says so.
    monkeypatch.setenv("DDASSESS_PASSPHRASE", PASSPHRASE)
    assert main(["store", "check"]) == 8
    assert "recorded in the key file" in capsys.readouterr().out
