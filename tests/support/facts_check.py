"""Is each case's row of ``case_facts`` what working it out again from the store gives?"""

from __future__ import annotations

from typing import Any

from ddassess.store import Store
from ddassess.store.case_facts import rebuild


def facts_rows(conn: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute("SELECT * FROM case_facts ORDER BY case_id").fetchall()]


def stale_facts(store: Store) -> list[tuple[tuple[Any, ...] | None, tuple[Any, ...] | None]]:
    """(kept, worked out again) for each case whose kept facts differ from a rebuild of them
    (the rebuild is rolled back); empty when the kept facts are current."""
    conn = store.raw_connection()
    try:
        conn.execute("BEGIN")
        kept = facts_rows(conn)

        class _Conn:  # rebuild() takes a connection that runs SQL text
            def exec_driver_sql(self, sql: str) -> None:
                conn.execute(sql)

        rebuild(_Conn())
        fresh = facts_rows(conn)
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    by_case = {r[0]: r for r in kept}
    again = {r[0]: r for r in fresh}
    return [(by_case.get(k), again.get(k)) for k in sorted(set(by_case) | set(again)) if by_case.get(k) != again.get(k)]


def case_columns(store: Store, case_id: int) -> dict[str, Any]:
    """The case's own columns beside its facts' copy of them."""
    from ddassess.store.case_facts import CASE_COLUMNS

    conn = store.raw_connection()
    try:
        names = ", ".join(CASE_COLUMNS)
        case = conn.execute(f"SELECT {names} FROM cases WHERE id = ?", (case_id,)).fetchone()
        facts = conn.execute(f"SELECT {names} FROM case_facts WHERE case_id = ?", (case_id,)).fetchone()
    finally:
        conn.close()
    assert facts is not None, "the case has no facts row"
    assert tuple(case) == tuple(facts), dict(zip(CASE_COLUMNS, zip(case, facts, strict=True), strict=True))
    return dict(zip(CASE_COLUMNS, case, strict=True))
