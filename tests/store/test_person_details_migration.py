"""Migration 0006 (person details): a store with people upgrades with every value kept, the
new details empty, and the name search (0004's index and triggers) still finding them."""

from __future__ import annotations

import datetime as dt

from ddassess.keys import new_database_key
from ddassess.store import schema
from ddassess.store.cipher import raw_connect

NEW = ("postcode", "gp_practice", "next_of_kin_name", "next_of_kin_relationship", "next_of_kin_phone", "ethnicity",
       "pronouns", "communication_needs")
OLD = ("uuid", "given_name", "family_name", "preferred_name", "date_of_birth", "nhs_number", "gender", "address",
       "phone", "email", "search_name")
PEOPLE = (
    ("6a7e0d1c-0000-4000-8000-000000000001", "Ada", "Fictional", "Addy", "1980-02-03", "9990000042", "Female",
     "1 Example Street\nLeeds", "07700 900123", "ada@example.org", "ada fictional"),
    ("6a7e0d1c-0000-4000-8000-000000000002", "Bram", "Madeup", "", None, None, "", "", "", "", "bram madeup"),
)


def _old_store(tmp_path):
    conn = raw_connect(tmp_path / "old.db", new_database_key())
    schema.upgrade(conn, "0005")
    now = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC).isoformat()
    for i, person in enumerate(PEOPLE, 1):
        conn.execute(f"INSERT INTO people (id, {', '.join(OLD)}, created_at, updated_at) "
                     f"VALUES (?, {', '.join('?' * len(OLD))}, ?, ?)", (i, *person, now, now))
    return conn


def _found(conn, query: str) -> list[int]:
    return [r[0] for r in conn.execute("SELECT rowid FROM people_search WHERE people_search MATCH ? ORDER BY rowid",
                                       (query,))]


def test_people_keep_every_value_and_the_new_details_start_empty(tmp_path):
    conn = _old_store(tmp_path)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(people)")}
    assert not columns & set(NEW)
    schema.upgrade(conn)
    assert schema.current_revision(conn) == schema.HEAD_REVISION
    rows = conn.execute(f"SELECT {', '.join(OLD)} FROM people ORDER BY id").fetchall()
    assert rows == list(PEOPLE)
    new = conn.execute(f"SELECT {', '.join(NEW)} FROM people ORDER BY id").fetchall()
    assert new == [("",) * len(NEW)] * len(PEOPLE)
    conn.close()


def test_the_name_search_works_after_the_upgrade_and_after_an_edit(tmp_path):
    conn = _old_store(tmp_path)
    assert _found(conn, '"fict"*') == [1]
    schema.upgrade(conn)
    assert _found(conn, '"fict"*') == [1] and _found(conn, '"bram"*') == [2]
    # An edit of a new detail leaves the index as it was; an edit of the name moves it.
    conn.execute("UPDATE people SET gp_practice = 'Example Surgery' WHERE id = 1")
    assert _found(conn, '"fict"*') == [1]
    conn.execute("UPDATE people SET family_name = 'Invented', search_name = 'ada invented' WHERE id = 1")
    assert _found(conn, '"fict"*') == [] and _found(conn, '"invent"*') == [1]
    conn.execute("INSERT INTO people_search(people_search) VALUES ('integrity-check')")
    conn.close()


def test_a_store_labelled_0005_with_the_new_columns_is_not_upgraded_twice(tmp_path):
    """0006 adds only columns; the label check tells the two versions apart by their columns."""
    assert schema.expected_objects("0005") != schema.expected_objects("0006")
    assert "people.gp_practice" in schema.expected_objects("0006") - schema.expected_objects("0005")
