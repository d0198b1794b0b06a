"""Migration 0011 (care teams): the care coordinator and partner-service worker a case
already names are its care team, each with its audit event, so store check accounts for them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import sqlcipher3
from store_helpers import FIXTURE_PASSPHRASE

from ddassess.services import care_team
from ddassess.store import Credentials, open_store, schema
from ddassess.store.check import check_store

FIXTURES = Path(__file__).parent / "fixtures"
NOW = "2026-11-01T09:00:00.000000+00:00"


def _case(conn, case_id: int, coordinator: int | None, partner: int | None) -> None:
    conn.execute("INSERT INTO cases (id, uuid, ref, person_id, stage, status, lead_agency, care_coordinator_id, "
                 "partner_worker_id, risk_level, opened_on, created_at, updated_at) VALUES "
                 "(?, ?, ?, 1, 'screening', 'open', '', ?, ?, '', '2026-11-01', ?, ?)",
                 (case_id, f"00000000-0000-4000-8000-00000000000{case_id}", f"DD-2026-0000{case_id}", coordinator,
                  partner, NOW, NOW))


def test_0011_puts_each_cases_named_practitioners_in_its_care_team():
    conn = sqlcipher3.connect(":memory:", isolation_level=None)
    try:
        schema.upgrade(conn, "0008")
        conn.execute("INSERT INTO store_meta VALUES ('owner_practitioner', 'owner-uuid')")
        for pid in (1, 2):
            conn.execute("INSERT INTO practitioners (id, uuid, name, role, agency, email, phone, active, created_at) "
                         "VALUES (?, ?, ?, '', '', '', '', 1, ?)", (pid, f"p{pid}", f"Fixture {pid}", NOW))
        conn.execute("INSERT INTO people (id, uuid, given_name, family_name, preferred_name, date_of_birth, "
                     "nhs_number, gender, address, phone, email, search_name, created_at, updated_at) VALUES "
                     "(1, 'p', 'Fixture', 'Person', '', NULL, NULL, '', '', '', '', 'fixture person', '', '')")
        _case(conn, 1, 1, 2)  # a coordinator and a partner worker
        _case(conn, 2, 1, 1)  # the same practitioner in both: once
        _case(conn, 3, None, None)  # nobody named: an empty team
        schema.upgrade(conn, "0011")
        rows = conn.execute("SELECT m.case_id, p.uuid, m.role, m.basis, m.reason, m.added_by, m.added_at, "
                            "m.removed_at FROM care_team_members AS m JOIN practitioners AS p ON p.id = "
                            "m.practitioner_id ORDER BY m.case_id, m.id").fetchall()
        assert rows == [(1, "p1", "care_coordinator", "recorded", "", "owner-uuid", NOW, None),
                        (1, "p2", "partner_worker", "recorded", "", "owner-uuid", NOW, None),
                        (2, "p1", "care_coordinator", "recorded", "", "owner-uuid", NOW, None)]
        events = conn.execute("SELECT seq, action, entity_type, entity_id, changes_json FROM audit_events "
                              "ORDER BY seq").fetchall()
        member_uuids = [r[0] for r in conn.execute("SELECT uuid FROM care_team_members ORDER BY id")]
        assert [(e[0], e[1], e[2], e[3]) for e in events] == [
            (i + 1, "create", "care-team-member", u) for i, u in enumerate(member_uuids)]
        assert json.loads(events[1][4]) == {"basis": [None, "recorded"], "case": [None, "00000000-0000-4000-8000-"
                                            "000000000001"], "practitioner": [None, "p2"],
                                            "role": [None, "partner_worker"]}
        head = conn.execute("SELECT value FROM store_meta WHERE key = 'audit_head'").fetchone()[0]
        assert head.startswith("3:")
        assert schema.expected_objects("0011") != schema.expected_objects("0008")  # a wrong label is noticed
    finally:
        conn.close()


def test_a_store_of_schema_0008_opens_with_its_coordinator_in_the_care_team(tmp_path):
    folder = tmp_path / "store"
    shutil.copytree(FIXTURES / "schema-0008", folder)
    store = open_store(folder, Credentials(passphrase=FIXTURE_PASSPHRASE))
    try:
        (member,) = care_team.care_team(store, 1)
        assert (member.practitioner.name, member.role, member.basis) == ("Fixture Worker", "care_coordinator",
                                                                         "recorded")
        assert member.describe().endswith("why: on the case before care teams were kept")
        report = check_store(store)
        assert report.ok, report.problems
    finally:
        store.close()
