"""Sorting the case list by a person's name or date of birth starts from the people (their
index gives the order, so a page is found at once, not after sorting every case); it must
give exactly the rows and order the plain join gives, open cases only."""

from __future__ import annotations

import pytest
from bulk import populate
from sqlalchemy import text
from sqlalchemy.dialects import sqlite

from ddassess.services.case_list import CaseQuery, list_cases, list_statement


@pytest.fixture
def many(store):
    conn = store.raw_connection()
    populate(conn, 600, 0)
    # a person with a second case, closed; one whose only case is closed; one with two open cases
    conn.execute("INSERT INTO cases (id, uuid, ref, person_id, stage, status, lead_agency, risk_level, opened_on, "
                 "created_at, updated_at) SELECT id + 100000, uuid || '-b', ref || '-B', person_id, stage, 'closed', "
                 "lead_agency, risk_level, opened_on, created_at, updated_at FROM cases WHERE id = 1010")
    conn.execute("UPDATE cases SET status = 'closed' WHERE id = 1020")
    conn.execute("INSERT INTO cases (id, uuid, ref, person_id, stage, status, lead_agency, risk_level, opened_on, "
                 "created_at, updated_at) SELECT id + 200000, uuid || '-c', ref || '-C', person_id, stage, 'open', "
                 "lead_agency, risk_level, opened_on, created_at, updated_at FROM cases WHERE id = 1030")
    conn.close()
    return store


def _plain(q, offset, limit):  # type: ignore[no-untyped-def]
    """The same page, written out with the ordinary join (whatever the planner makes of it)."""
    column = {"name": "people.search_name", "dob": "people.date_of_birth"}[q.sort]
    way = "DESC" if q.descending else "ASC"
    return text(f"SELECT cases.id FROM cases JOIN people ON people.id = cases.person_id WHERE cases.status = 'open' "
                f"ORDER BY {column} {way}, cases.id {way} LIMIT {limit} OFFSET {offset}")


@pytest.mark.parametrize("sort", ["name", "dob"])
@pytest.mark.parametrize("descending", [False, True])
def test_person_sorts_give_what_the_plain_join_gives(many, sort, descending):
    q = CaseQuery(sort=sort, descending=descending)
    sql = str(list_statement(q, None, "from-matches", 0, 200).compile(dialect=sqlite.dialect()))
    assert "FROM people CROSS JOIN cases" in sql
    for offset in (0, 200, 400):
        rows = list_cases(many, q, offset, 200)
        with many.read() as s:
            expected = [r[0] for r in s.execute(_plain(q, offset, 200))]
        assert [r.case_id for r in rows] == expected
    every = [r for offset in (0, 200, 400, 600) for r in list_cases(many, q, offset, 200)]
    assert len(every) == 600  # 600 open, one of them closed, one person with a second open case
    if sort == "dob":
        born = [r.date_of_birth for r in every]
        assert born == sorted(born, reverse=descending)


@pytest.mark.parametrize(("sort", "index"), [("name", "ix_people_search_name"), ("dob", "ix_people_date_of_birth")])
@pytest.mark.parametrize("descending", [False, True])
def test_the_people_index_gives_the_order(many, sort, index, descending):
    q = CaseQuery(sort=sort, descending=descending)
    compiled = list_statement(q, None, "from-matches", 0, 200).compile(dialect=sqlite.dialect())
    conn = many.raw_connection()
    try:
        plan = " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + str(compiled),
                                                      [compiled.params[k] for k in compiled.positiontup]))
    finally:
        conn.close()
    assert f"SCAN people USING INDEX {index}" in plan, plan
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan  # not every case sorted first


def test_a_search_or_a_narrowing_filter_starts_from_the_matching_cases(many):
    for q in (CaseQuery(sort="name", risk_only=True), CaseQuery(sort="dob", review_overdue=True)):
        sql = str(list_statement(q, None, "from-matches", 0, 200).compile(dialect=sqlite.dialect()))
        assert "CROSS JOIN" not in sql
