"""Migration 0007 (the case's risk level): a level cases already had is kept, as the level
their flags gave (it was only ever raised by flags), with no practitioner's decision."""

from __future__ import annotations

import sqlcipher3

from ddassess.store import schema


def _case(conn, case_id: int, risk: str) -> None:
    now = "2026-11-01T09:00:00.000000+00:00"
    conn.execute("INSERT INTO cases (id, uuid, ref, person_id, stage, status, lead_agency, risk_level, opened_on, "
                 "created_at, updated_at) VALUES (?, ?, ?, 1, 'screening', 'open', '', ?, '2026-11-01', ?, ?)",
                 (case_id, f"00000000-0000-4000-8000-00000000000{case_id}", f"DD-2026-0000{case_id}", risk, now, now))


def test_0007_keeps_each_cases_level_as_the_flags_level():
    conn = sqlcipher3.connect(":memory:", isolation_level=None)
    try:
        schema.upgrade(conn, "0005")
        conn.execute("INSERT INTO people (id, uuid, given_name, family_name, preferred_name, date_of_birth, "
                     "nhs_number, gender, address, phone, email, search_name, created_at, updated_at) VALUES "
                     "(1, 'p', 'Fixture', 'Person', '', NULL, NULL, '', '', '', '', 'fixture person', '', '')")
        _case(conn, 1, "urgent")
        _case(conn, 2, "")
        schema.upgrade(conn, "0007")
        rows = conn.execute("SELECT id, risk_level, risk_from_flags, risk_override, risk_override_reason, "
                            "risk_override_by, risk_override_at FROM cases ORDER BY id").fetchall()
        assert rows == [(1, "urgent", "urgent", None, "", "", None), (2, "", "", None, "", "", None)]
        assert "ix_cases_status_risk" in schema.schema_objects(conn)
        assert schema.expected_objects("0007") != schema.expected_objects("0005")  # a wrong label is noticed
    finally:
        conn.close()
