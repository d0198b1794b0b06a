"""Migration 0013 (indexes on the audit trail): reading one record's events, or the
cancelled amendments, looks them up instead of reading the whole trail, and the events
already in a store are in the index after the upgrade."""

from __future__ import annotations

import sqlcipher3

from ddassess.store import schema

EVENT = "INSERT INTO audit_events VALUES (?, '2026-11-01T09:00:00.000000+00:00', 'a', ?, 'response', ?, '{}', '', ?, ?)"


def _plan(conn, sql: str, *args: object) -> str:
    return " ".join(str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args).fetchall())


def test_0013_indexes_the_events_by_record_and_by_action():
    conn = sqlcipher3.connect(":memory:", isolation_level=None)
    try:
        schema.upgrade(conn, "0012")
        for seq in range(1, 41):
            conn.execute(EVENT, (seq, "discard" if seq == 17 else "update", f"record-{seq % 4}", "0" * 64, "0" * 64))
        by_record = "SELECT seq FROM audit_events WHERE entity_id IN (?, ?)"
        discards = "SELECT entity_id FROM audit_events WHERE entity_type = 'response' AND action = 'discard'"
        assert "SCAN audit_events" in _plan(conn, by_record, "record-1", "record-2")  # before: the whole trail
        schema.upgrade(conn, "0013")
        assert "INDEX ix_audit_events_entity (entity_id=?)" in _plan(conn, by_record, "record-1", "record-2")
        assert "INDEX ix_audit_events_action (action=?)" in _plan(conn, discards)
        assert sorted(r[0] for r in conn.execute(by_record, ("record-1", "record-2"))) == \
            [s for s in range(1, 41) if s % 4 in (1, 2)]  # the events already there are found through it
        assert conn.execute(discards).fetchall() == [("record-1",)]
        assert {"ix_audit_events_entity", "ix_audit_events_action"} <= schema.schema_objects(conn)
        assert schema.expected_objects("0013") != schema.expected_objects("0012")  # a wrong label is noticed
    finally:
        conn.close()
