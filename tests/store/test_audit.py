"""The audit trail: every change recorded with old → new, and tampering is detected."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from store_helpers import PASSPHRASE

from ddassess.cli import main
from ddassess.domain.models import PersonDetails
from ddassess.services import cases
from ddassess.store.check import check_store
from ddassess.store.records import AuditEventRecord, ResponseRecord


@pytest.fixture
def busy_store(store):
    person = cases.register_person(store, PersonDetails("Ada", "Fictional", dt.date(1990, 1, 1), "9990000026"))
    case = cases.open_case(store, person.id)
    resp = cases.start_response(store, case.id, "phq9", 1, "0" * 64)
    cases.save_draft(store, resp.id, {"q1": 1})
    cases.save_draft(store, resp.id, {"q1": 2, "q2": 0})
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
    cases.save_draft(busy_store, rid, {"q1": 2, "q2": 0})
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
