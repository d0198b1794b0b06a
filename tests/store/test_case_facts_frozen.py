"""Migrations 0012 and 0014 run the ``case_facts`` SQL frozen when they were written, not
today's ``store/case_facts.py``; while nothing has changed since, the two must say the same."""

from __future__ import annotations

from ddassess.store import case_facts
from ddassess.store.migrations import case_facts_0014 as frozen

CHANGED = ("store/case_facts.py no longer says what migration 0014 built: add a migration that rebuilds "
           "case_facts, its indexes and its triggers from the new SQL, freeze that SQL beside "
           "store/migrations/case_facts_0014.py, and point this test at the new copy")


def test_the_live_case_facts_sql_is_what_the_last_rebuilding_migration_froze() -> None:
    assert case_facts.FACTS_SQL == frozen.FACTS_SQL, CHANGED
    assert case_facts.INDEXES == frozen.INDEXES, CHANGED
    assert case_facts.PARTIAL == frozen.PARTIAL, CHANGED
    assert case_facts.TRIGGERS == frozen.TRIGGERS, CHANGED


def test_0012s_copy_fills_only_the_columns_0012_made() -> None:
    columns = frozen.FACTS_SQL_0012.split("(", 1)[1].split(")", 1)[0].split(", ")
    assert columns[0] == "case_id"
    assert not set(columns) & set(case_facts.CASE_COLUMNS)
    assert set(columns[1:]) == set(case_facts.COLUMNS)
