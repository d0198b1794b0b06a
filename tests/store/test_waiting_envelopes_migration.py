"""Migration 0018 (envelopes waiting for their case key): a store of schema 0016 gains the
empty ``envelopes_waiting`` table, looked up by key id through its index; a wrong schema
label is noticed."""

from __future__ import annotations

import sqlcipher3

from ddassess.store import schema

BY_KEY = "SELECT envelope_id FROM envelopes_waiting WHERE key_id = ?"


def test_0018_adds_the_waiting_envelopes_table_empty_and_indexed_by_key():
    conn = sqlcipher3.connect(":memory:", isolation_level=None)
    try:
        schema.upgrade(conn, "0016")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "envelopes_waiting" not in tables
        schema.upgrade(conn, "0018")
        assert conn.execute("SELECT count(*) FROM envelopes_waiting").fetchone()[0] == 0
        conn.execute("INSERT INTO envelopes_waiting (envelope_id, key_id, received_from, via, data, created_at) "
                     "VALUES ('e-1', 'k-1', 'team-server', 'team server', x'00', '2026-12-01T00:00:00+00:00')")
        plan = " ".join(str(r[-1]) for r in conn.execute(f"EXPLAIN QUERY PLAN {BY_KEY}", ("k-1",)))
        assert "ix_envelopes_waiting_key" in plan
        assert [r[0] for r in conn.execute(BY_KEY, ("k-1",))] == ["e-1"]
        assert schema.expected_objects("0018") != schema.expected_objects("0016")  # a wrong label is noticed
        assert schema.HEAD_REVISION == "0018"
    finally:
        conn.close()
