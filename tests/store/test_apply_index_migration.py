"""Migration 0016 (a partial index on the operations waiting for a parent record): asking
which operations wait, on every bundle received, looks them up instead of reading every
operation the store holds, and the operations already waiting are in the index after the
upgrade."""

from __future__ import annotations

import sqlcipher3

from ddassess.store import schema

OPERATION = ("INSERT INTO operations (id, seq, case_uuid, entity, entity_uuid, action, hlc, author, device, origin, "
             "received_from, received_at, status, refusal, body_json) "
             "VALUES (?, ?, '', 'response', ?, 'set', '0', 'a', 'd', 'received', '', NULL, ?, '', '{}')")
WAITING = "SELECT DISTINCT entity_uuid, entity FROM operations WHERE status = 'waiting'"
OF_ONE = "SELECT id FROM operations WHERE entity_uuid = ? AND status = 'waiting'"


def _plan(conn, sql: str, *args: object) -> str:
    return " ".join(str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args).fetchall())


def test_0016_finds_the_waiting_operations_without_reading_them_all():
    conn = sqlcipher3.connect(":memory:", isolation_level=None)
    try:
        schema.upgrade(conn, "0013")
        for seq in range(1, 61):
            conn.execute(OPERATION, (f"op-{seq}", seq, f"record-{seq % 6}", "waiting" if seq in (7, 13) else "applied"))
        assert "SCAN operations USING INDEX ix_operations_entity" in _plan(conn, WAITING)  # before: all of them
        schema.upgrade(conn, "0016")
        # After: a walk through the partial index, which holds the waiting operations only.
        assert _plan(conn, WAITING) == "SCAN operations USING COVERING INDEX ix_operations_waiting"
        assert "ix_operations_waiting (entity_uuid=?)" in _plan(conn, OF_ONE, "record-1")
        assert conn.execute(WAITING).fetchall() == [("record-1", "response")]  # those already waiting are in it
        assert sorted(r[0] for r in conn.execute(OF_ONE, ("record-1",))) == ["op-13", "op-7"]
        conn.execute("UPDATE operations SET status = 'applied' WHERE id = 'op-7'")
        assert [r[0] for r in conn.execute(OF_ONE, ("record-1",))] == ["op-13"]  # it follows the status
        assert "ix_operations_waiting" in schema.schema_objects(conn)
        assert schema.expected_objects("0016") != schema.expected_objects("0013")  # a wrong label is noticed
    finally:
        conn.close()
