"""What the case list asks for and gets back, as plain data, and the list's first page at
start-up.

Nothing here imports SQLAlchemy. At start-up the client shows the first page of the list
(``first_page_at_start``) straight from SQLCipher as soon as the store is unlocked, while
SQLAlchemy (400 ms to import) loads off the GUI thread for everything after: the
practitioner sees their cases about half a second sooner. The SQL is what
``case_list`` compiles for the list as it first shows (``CaseQuery()``): a test keeps the
two the same, statement and rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ddassess.store import Unlocked


@dataclass(frozen=True)
class CaseQuery:
    text: str = ""
    stage: str = ""
    lead_agency: str = ""
    risk_only: bool = False
    review_overdue: bool = False
    open_only: bool = True
    coordinator_id: int | None = None  # "my cases": cases this practitioner coordinates
    # A team figure's cases (services.team_kpis.drill_query): measure, group, period start, end.
    figure: tuple[str, str, str, str] | tuple[()] = ()
    sort: str = "opened"
    descending: bool = True
    today: dt.date = field(default_factory=dt.date.today)


@dataclass(frozen=True)
class CaseRow:
    case_id: int
    ref: str
    name: str
    date_of_birth: dt.date | None
    nhs_number: str | None
    stage: str
    lead_agency: str
    risk_level: str
    next_review_due: dt.date | None


@dataclass(frozen=True)
class FirstPage:
    query: CaseQuery
    total: int | None  # None: more than the cap
    rows: list[CaseRow]


def case_row(r: Sequence[Any]) -> CaseRow:
    """A row of ``case_list.LIST_COLUMNS``: id, ref, given and family name, date of birth, NHS
    number, stage, lead agency, risk level, next review."""
    return CaseRow(r[0], r[1], f"{r[2]} {r[3]}", r[4], r[5], r[6], r[7], r[8], r[9])


# CaseQuery() as case_list.count_statement / list_statement compile it (the test says so).
START_COUNT_SQL = ("SELECT count(*) AS count_1 FROM (SELECT cases.id AS id FROM cases WHERE cases.status = ? "
                   "LIMIT ? OFFSET ?) AS anon_1")
START_LIST_SQL = ("SELECT cases.id, cases.ref, people.given_name, people.family_name, people.date_of_birth, "
                  "people.nhs_number, cases.stage, cases.lead_agency, cases.risk_level, cases.next_review_due "
                  "FROM cases JOIN people ON people.id = cases.person_id WHERE cases.status = ? "
                  "ORDER BY cases.opened_on DESC, cases.id DESC LIMIT ? OFFSET ?")
_DATE_COLUMNS = (4, 9)  # date of birth, next review: stored as ISO dates (SQLAlchemy's Date)


def start_parameters(limit: int, cap: int) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The parameters of START_COUNT_SQL and START_LIST_SQL, as case_list.first_page binds them."""
    return ("open", cap + 1, 0), ("open", limit, 0)


def first_page_at_start(unlocked: Unlocked, limit: int, cap: int) -> FirstPage | None:
    """What ``case_list.first_page(store, CaseQuery(), limit, cap)`` returns, read with
    SQLCipher alone from a store that is unlocked but not yet open (see the module's notes).

    None if it cannot be read: the list is then read once the store is open, and if a page
    of the file is damaged, opening it fully says so in words (``CorruptStoreError``).
    """
    count_params, list_params = start_parameters(limit, cap)
    try:
        conn = unlocked.connect()
        try:
            conn.execute("BEGIN")  # the count and the rows from one snapshot
            n = int(conn.execute(START_COUNT_SQL, count_params).fetchone()[0])
            raw = conn.execute(START_LIST_SQL, list_params).fetchall()
            conn.execute("COMMIT")
        finally:
            conn.close()
        rows = [case_row([dt.date.fromisoformat(v) if i in _DATE_COLUMNS and v else v for i, v in enumerate(r)])
                for r in raw]
    except Exception:  # noqa: BLE001 - SQLite's errors (a damaged page), a date that is not one; see above
        return None
    return FirstPage(CaseQuery(), n if n <= cap else None, rows)
