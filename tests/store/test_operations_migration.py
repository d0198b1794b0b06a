"""Migration 0009 (operations): the operations, per-field state and conflicts tables, and a
uuid for each care plan version that was already there (distinct, kept by the next copy)."""

from __future__ import annotations

import shutil
from pathlib import Path

import sqlcipher3
from store_helpers import FIXTURE_PASSPHRASE

from ddassess.store import Credentials, open_store, schema
from ddassess.store.check import check_store

FIXTURES = Path(__file__).parent / "fixtures"


def test_0009_gives_every_care_plan_version_a_uuid_of_its_own():
    conn = sqlcipher3.connect(":memory:", isolation_level=None)
    try:
        schema.upgrade(conn, "0008")
        now = "2026-11-01T09:00:00.000000+00:00"
        conn.execute("INSERT INTO people (id, uuid, given_name, family_name, preferred_name, date_of_birth, "
                     "nhs_number, gender, address, phone, email, search_name, created_at, updated_at) VALUES "
                     "(1, 'p', 'Fixture', 'Person', '', NULL, NULL, '', '', '', '', 'fixture person', '', '')")
        conn.execute("INSERT INTO cases (id, uuid, ref, person_id, stage, status, lead_agency, risk_level, opened_on, "
                     "created_at, updated_at) VALUES (1, 'c', 'DD-2026-00001', 1, 'care_plan', 'open', '', '', "
                     "'2026-11-01', ?, ?)", (now, now))
        conn.execute("INSERT INTO care_plans (id, uuid, case_id, created_at) VALUES (1, 'cp', 1, ?)", (now,))
        for v in (1, 2):
            conn.execute("INSERT INTO care_plan_versions (id, care_plan_id, version, status, form_id, form_version, "
                         "definition_hash, content_json, created_at) VALUES (?, 1, ?, 'signed', 'care_plan', 1, '', "
                         "'{}', ?)", (v, v, now))
        schema.upgrade(conn, "0009")
        uuids = [r[0] for r in conn.execute("SELECT uuid FROM care_plan_versions ORDER BY id")]
        assert len(set(uuids)) == 2 and all(len(u) == 36 for u in uuids)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"operations", "operation_heads", "conflicts"} <= tables
        assert conn.execute("SELECT count(*) FROM operations").fetchone()[0] == 0
        try:
            conn.execute("INSERT INTO care_plan_versions (care_plan_id, version, status, form_id, form_version, "
                         "definition_hash, content_json, created_at, uuid) VALUES (1, 3, 'draft', 'care_plan', 1, "
                         "'', '{}', ?, ?)", (now, uuids[0]))
        except sqlcipher3.IntegrityError:
            pass
        else:
            raise AssertionError("two care plan versions with one uuid were accepted")
    finally:
        conn.close()


def test_a_store_of_the_last_release_upgrades_and_records_operations_from_then_on(tmp_path):
    from ddassess.domain.models import PersonDetails
    from ddassess.services import case_changes

    folder = tmp_path / "store"
    shutil.copytree(FIXTURES / "schema-0008", folder)
    with open_store(folder, Credentials(passphrase=FIXTURE_PASSPHRASE)) as store:
        person = case_changes.register_person(store, PersonDetails(given_name="New", family_name="Person"))
        case_changes.open_case(store, person.id)
        conn = store.raw_connection()
        try:
            assert schema.current_revision(conn) == "0009"
            kinds = [r[0] for r in conn.execute("SELECT entity FROM operations ORDER BY seq")]
        finally:
            conn.close()
        assert kinds == ["person", "case"]
        assert check_store(store).ok
