"""``store check`` looks at the log of operations: an edited or removed operation is found."""

from __future__ import annotations

import json

from exchange_helpers import make_store, new_case

from ddassess.services import case_changes
from ddassess.store.check import check_store


def _edit(store, sql, params=()):
    conn = store.raw_connection()
    try:
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def test_a_whole_log_passes_and_an_edited_operation_is_found(tmp_path):
    store = make_store(tmp_path / "a", "Alex Example")
    try:
        cid, _ = new_case(store)
        r = case_changes.start_response(store, cid, "risk", 3, "0" * 64, {"self_present": True})
        case_changes.save_draft(store, r.id, {"self_present": False})
        report = check_store(store)
        assert report.ok and any("operations of shared cases is whole" in line for line in report.passed)
        conn = store.raw_connection()
        op_id, body = conn.execute("SELECT id, body_json FROM operations WHERE action = 'set'").fetchone()
        conn.close()
        forged = json.loads(body)
        forged["entity_uuid"] = "00000000-0000-4000-8000-000000000000"
        _edit(store, "UPDATE operations SET body_json = ? WHERE id = ?", (json.dumps(forged), op_id))
        report = check_store(store)
        assert f"operation {op_id} cannot be read, or is not the operation its row says" in report.problems
        _edit(store, "DELETE FROM operations WHERE id = ?", (op_id,))
        report = check_store(store)
        assert any(p.startswith(f"the state of record {r.uuid} names operations") for p in report.problems)
        assert not any("Test" in p or "Person" in p for p in report.problems)  # no case data in the report
    finally:
        store.close()
