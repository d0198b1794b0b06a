"""Migration 0015 (row ids): the rows of repeating groups a store already holds get their
ids, in their order, the same on every laptop, with an audit event store check accounts for."""

from __future__ import annotations

import json
from pathlib import Path

from exchange_helpers import make_store, new_case
from store_helpers import PASSPHRASE

from ddassess.formengine import load_catalogue
from ddassess.formengine.row_ids import ROW_KEY, legacy_row_id
from ddassess.services import case_changes
from ddassess.store import Credentials, open_store
from ddassess.store.audit import append_event
from ddassess.store.check import check_store

ROWS = [{"substance": "alcohol", "route": "oral"}, {"substance": "cannabis", "route": "smoked"},
        {"substance": "cocaine", "route": "snorted"}]


def _as_before_0015(folder: Path) -> tuple[str, int]:
    """A store of schema 0014 holding a form with rows written before rows had ids: made
    with today's services, then the ids taken out (audited, as an edit of that time would
    be), what the later upgrades 0016 and 0018 add dropped (their downgrades) and the label put back."""
    store = make_store(folder, "Alex Example")
    try:
        cid, _cuuid = new_case(store)
        spec = load_catalogue().get("substance_profile")
        r = case_changes.start_response(store, cid, spec.id, spec.version, spec.content_hash,
                                        {"substances": ROWS, "notes": "Fictional"})
        with store.write() as s:
            conn = s.connection()
            now = json.loads(conn.exec_driver_sql("SELECT answers_json FROM form_responses WHERE id = ?",
                                                  (r.id,)).scalar())
            old = {**now, "substances": ROWS}
            conn.exec_driver_sql("UPDATE form_responses SET answers_json = ? WHERE id = ?", (json.dumps(old), r.id))
            append_event(s, actor=store.owner_uuid, action="update", entity_type="response", entity_id=r.uuid,
                         changes={"substances": [now["substances"], ROWS]})
            conn.exec_driver_sql("DROP INDEX ix_envelopes_waiting_key")  # 0018's downgrade
            conn.exec_driver_sql("DROP TABLE envelopes_waiting")
            conn.exec_driver_sql("DROP INDEX ix_operations_waiting")  # 0016's downgrade
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0014'")
        return r.uuid, r.id
    finally:
        store.close()


def test_0015_gives_each_stored_row_its_id_in_order_and_audited(tmp_path):
    response_uuid, response_id = _as_before_0015(tmp_path / "store")
    store = open_store(tmp_path / "store", Credentials(passphrase=PASSPHRASE))  # upgrades through 0015
    try:
        got = case_changes.get_response(store, response_id).answers["substances"]
        assert got == [{**row, ROW_KEY: legacy_row_id(response_uuid, "substances", i)} for i, row in enumerate(ROWS)]
        assert got[0][ROW_KEY] != got[1][ROW_KEY]
        report = check_store(store)
        assert report.ok, report.problems
        with store.read() as s:
            reason = s.connection().exec_driver_sql("SELECT reason FROM audit_events WHERE entity_id = ? "
                                                    "ORDER BY seq DESC LIMIT 1", (response_uuid,)).scalar()
        assert "schema upgrade 0015" in reason
    finally:
        store.close()


def test_the_same_stored_rows_get_the_same_ids_on_two_laptops():
    assert legacy_row_id("r-1", "needs", 0) == legacy_row_id("r-1", "needs", 0)
    assert len({legacy_row_id("r-1", "needs", 0), legacy_row_id("r-1", "needs", 1),
                legacy_row_id("r-2", "needs", 0), legacy_row_id("r-1", "care_team", 0)}) == 4
