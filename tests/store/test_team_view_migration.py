"""Migration 0012 (the Team view): each case's facts are built from the final responses the
store already holds, and equal what finalising them one by one leaves (the same SQL)."""

from __future__ import annotations

import json

import sqlcipher3

from ddassess.store import schema


def _response(conn, rid: int, case_id: int, form_id: str, status: str, answers: dict, day: str) -> None:
    at = f"{day}T11:00:00.000000+00:00"
    conn.execute("INSERT INTO form_responses (id, uuid, case_id, form_id, form_version, definition_hash, "
                 "answers_json, status, author_id, created_at, updated_at, finalised_at, finalised_by_id, amends_id, "
                 "amendment_reason) VALUES (?, ?, ?, ?, 1, ?, ?, ?, NULL, ?, ?, ?, NULL, NULL, '')",
                 (rid, f"r-{rid}", case_id, form_id, "0" * 64, json.dumps(answers), status, at, at,
                  at if status != "draft" else None))


def test_0012_builds_each_cases_facts_from_its_final_responses():
    conn = sqlcipher3.connect(":memory:", isolation_level=None)
    try:
        schema.upgrade(conn, "0008")
        conn.execute("INSERT INTO people (id, uuid, given_name, family_name, preferred_name, date_of_birth, "
                     "nhs_number, gender, address, phone, email, search_name, created_at, updated_at) VALUES "
                     "(1, 'p', 'Fixture', 'Person', '', NULL, NULL, '', '', '', '', 'fixture person', '', '')")
        for cid, stage in ((1, "joint_assessment"), (2, "referral")):
            conn.execute("INSERT INTO cases (id, uuid, ref, person_id, stage, status, lead_agency, risk_level, "
                         "opened_on, created_at, updated_at) VALUES (?, ?, ?, 1, ?, 'open', '', '', '2026-07-01', "
                         "'', '')", (cid, f"c-{cid}", f"DD-2026-0000{cid}", stage))
        _response(conn, 1, 1, "referral", "superseded", {"referrer_agency": "housing"}, "2026-07-01")
        _response(conn, 2, 1, "referral", "final", {"referrer_agency": "primary_care"}, "2026-07-02")
        _response(conn, 3, 1, "sadq", "final", {f"q{i}": 2 for i in range(1, 21)}, "2026-07-05")  # 40: severe
        _response(conn, 4, 1, "joint_assessment", "final",
                  {"assessed_on": "2026-07-09", "mh_treatment_need": True, "mh_in_treatment": False}, "2026-07-10")
        _response(conn, 5, 1, "phq9", "draft", {"q1": 1}, "2026-07-11")  # a draft screens nothing
        _response(conn, 6, 2, "referral", "draft", {"self_referral": True}, "2026-07-03")
        schema.upgrade(conn, "0012")
        rows = conn.execute("SELECT case_id, referral_source, assessed_on, mh_need, sadq_band, screened_mh, "
                            "screened_substance, care_plan_state, step_entered FROM case_facts ORDER BY case_id"
                            ).fetchall()
        assert rows == [(1, "primary_care", "2026-07-09", "need_untreated", "severe", 0, 1, "", "2026-07-10"),
                        (2, None, None, None, None, 0, 0, "", "2026-07-01")]
        objects = schema.schema_objects(conn)
        assert {"ix_cases_status_stage", "ix_cases_closed_on", "ix_case_facts_high_high"} <= objects
        assert schema.expected_objects("0012") != schema.expected_objects("0008")  # a wrong label is noticed
    finally:
        conn.close()
