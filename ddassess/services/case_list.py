"""The case list: one page of rows at a time, filtered, searched and sorted in the store.

Nothing here loads every case into Python: the client asks for a (capped) count and then
for pages (LIMIT/OFFSET over indexed columns), so a store of 100,000 cases stays responsive.

How a typed search is answered depends on how many people it can match, because the two
plans cost opposite things (measured on 100,000 cases in SQLCipher, where every table page
read at random is decrypted):

* few matches ("Jo Example12", an NHS number, a date): start from the matches found in the
  indexes and sort just those; walking the sorted case index would read all 100,000;
* many matches ("S", "Sam"): walk the case index in the order shown and test each case
  against the full-text index, stopping when a page is full; collecting 25,000 matches first
  (and reading their rows at random) costs far more than the page needs.

``count_matches`` is a cheap capped probe of the indexes that picks the plan.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    SQLColumnExpression,
    case,
    func,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy import text as text_clause
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Join

from ddassess.domain import limits
from ddassess.domain.models import PATHWAY_STAGES, search_key
from ddassess.domain.nhs import normalise_nhs_number
from ddassess.services.case_list_rows import CaseQuery, CaseRow, FirstPage, case_row
from ddassess.store import Store
from ddassess.store.records import PEOPLE_SEARCH_TABLE, CaseRecord, PersonRecord

if TYPE_CHECKING:
    from typing import TypeAlias

    from sqlalchemy.sql.compiler import SQLCompiler

    AnySelect: TypeAlias = Select[*tuple[Any, ...]]
    AnyCompound: TypeAlias = CompoundSelect[*tuple[Any, ...]]

# Stages sort in pathway order (referral first, discharge last), not alphabetically.
STAGE_ORDER = case({s: i for i, s in enumerate(PATHWAY_STAGES)}, value=CaseRecord.stage, else_=len(PATHWAY_STAGES))
SORTABLE: dict[str, SQLColumnExpression[Any]] = {
    "ref": CaseRecord.ref,
    "name": PersonRecord.search_name,
    "dob": PersonRecord.date_of_birth,
    "stage": STAGE_ORDER,
    "review": CaseRecord.next_review_due,
    "opened": CaseRecord.opened_on,
}
LIST_COLUMNS = (CaseRecord.id, CaseRecord.ref, PersonRecord.given_name, PersonRecord.family_name,
                PersonRecord.date_of_birth, PersonRecord.nhs_number, CaseRecord.stage, CaseRecord.lead_agency,
                CaseRecord.risk_level, CaseRecord.next_review_due)
FEW = 300  # up to this many matches, start from the matches; past it, walk the sorted index
PROBE_CAP = 1001  # the probe stops counting here: past it a search is "broad"

_MONTHS = {m.lower(): i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_WORDY_DATE = re.compile(r"(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})")


def parse_date_of_birth(text: str) -> dt.date | None:
    """A date typed the ways people write one: 1985-06-03, 03/06/1985 (day first, as the
    referral asks), 3.6.1985, "3 Jun 1985" / "03 June 1985" (as the list shows it).
    None when the text is not a whole date (it is then searched as a name)."""
    text = text.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    if m := _NUMERIC_DATE.fullmatch(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif (m := _WORDY_DATE.fullmatch(text)) and m[2][:3].lower() in _MONTHS:
        full = m[2].lower()
        month_name = next(n for n in ("january", "february", "march", "april", "may", "june", "july", "august",
                                      "september", "october", "november", "december", "sept")
                          if n.startswith(full[:3]))
        if not month_name.startswith(full):  # "Junk 1985" is not a month
            return None
        day, month, year = int(m[1]), _MONTHS[full[:3]], int(m[3])
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def fts_query(text: str) -> str | None:
    """'Sam Dum' -> '"sam"* AND "dum"*': every word a prefix of a word of the name (or
    of the NHS number); quotes keep FTS5 syntax out of what people type."""
    words = [w for w in re.split(r"[^\w]+", search_key(text)) if w]
    return " AND ".join(f'"{w}"*' for w in words) or None


@dataclass(frozen=True)
class _Search:
    """What typed text can match: a full-text query, a date of birth, a case reference prefix."""

    match: str | None
    born: dt.date | None
    ref: str

    @classmethod
    def of(cls, text: str) -> _Search:
        born = parse_date_of_birth(text)
        digits = normalise_nhs_number(text)
        match = None if born else fts_query(digits if digits.isdigit() else text)
        return cls(match, born, text.upper())

    def _people(self) -> AnySelect:
        return (select(literal_column("rowid")).select_from(text_clause(PEOPLE_SEARCH_TABLE))
                .where(text_clause(f"{PEOPLE_SEARCH_TABLE} MATCH :match").bindparams(match=self.match)))

    def _ref_range(self) -> ColumnElement[bool]:
        return CaseRecord.ref.between(self.ref, self.ref + "\uffff")

    def _born(self) -> AnySelect:
        return select(PersonRecord.id).where(PersonRecord.date_of_birth == self.born)

    def case_ids(self) -> AnySelect | AnyCompound:
        """Matching case ids, collected from the indexes (for few matches)."""
        parts: list[AnySelect] = [select(CaseRecord.id).where(self._ref_range())]
        if self.match:
            parts.append(select(CaseRecord.id).where(CaseRecord.person_id.in_(self._people())))
        if self.born:
            parts.append(select(CaseRecord.id).where(CaseRecord.person_id.in_(self._born())))
        return union(*parts) if len(parts) > 1 else parts[0]

    def per_case(self) -> ColumnElement[bool]:
        """The same test, asked of one case at a time (for many matches)."""
        tests = [self._ref_range()]
        if self.match:
            tests.append(CaseRecord.person_id.in_(self._people()))
        if self.born:
            tests.append(CaseRecord.person_id.in_(self._born()))
        return or_(*tests)

    def count_matches(self, store: Store, cap: int) -> int:
        """How many people and references match, stopping at ``cap`` (a probe of the indexes)."""
        probes: list[AnySelect] = [select(CaseRecord.id).where(self._ref_range()).limit(cap)]
        if self.match:
            probes.append(self._people().limit(cap))
        if self.born:
            probes.append(self._born().limit(cap))
        with store.read() as s:
            return sum(int(s.scalar(select(func.count()).select_from(p.subquery())) or 0) for p in probes)


def _filtered(stmt: AnySelect, q: CaseQuery, search: _Search | None, plan: str = "from-matches") -> AnySelect:
    """``plan`` (for a search): "from-matches" sorts only the matches; "in-order" walks the
    sorted index and looks each case up in the collected matches; "per-case" walks the sorted
    index and asks the full-text index about each case (nothing collected first)."""
    status: SQLColumnExpression[Any] = CaseRecord.status
    if search is not None:
        if plan == "per-case":
            stmt = stmt.where(search.per_case())
        else:
            stmt = stmt.where(CaseRecord.id.in_(search.case_ids()))
            if plan == "from-matches":
                # "+status": keeps SQLite from walking the whole status index instead of the matches.
                status = literal_column("+cases.status")
    if q.stage:
        stmt = stmt.where(CaseRecord.stage == q.stage)
    if q.lead_agency:
        stmt = stmt.where(CaseRecord.lead_agency == q.lead_agency)
    if q.risk_only:
        stmt = stmt.where(CaseRecord.risk_level.in_(("high", "urgent")))
    if q.review_overdue:
        stmt = stmt.where(CaseRecord.next_review_due < q.today)
    if q.open_only:
        stmt = stmt.where(status == "open")
    if q.coordinator_id is not None:
        stmt = stmt.where(CaseRecord.care_coordinator_id == q.coordinator_id)
    if q.figure:
        from ddassess.services.team_kpis import selection

        stmt = stmt.where(CaseRecord.id.in_(selection(q)))
    return stmt


def _probe(store: Store, q: CaseQuery) -> tuple[_Search | None, int]:
    """The search, and how many it can match. Text too long or broken is refused here, before
    any SQL: SQLite's own error for it ("pattern too complex") quotes the statement."""
    limits.check_text(q.text, "The search", limits.MAX_SEARCH)
    limits.check_text(q.lead_agency, "The lead agency", limits.MAX_PROFILE_TEXT)
    text = q.text.strip()
    if not text:
        return None, 0
    search = _Search.of(text)
    return search, search.count_matches(store, PROBE_CAP)


def _list_plan(matches: int) -> str:
    return "from-matches" if matches <= FEW else "in-order" if matches < PROBE_CAP else "per-case"


def _narrowed(q: CaseQuery) -> bool:
    return bool(q.stage or q.lead_agency or q.risk_only or q.review_overdue or q.coordinator_id is not None
                or q.figure)


def _count_plan(q: CaseQuery, broad: bool) -> str:
    """A capped count of a broad search stops as soon as it reaches the cap by asking case
    after case; but when other filters make matching cases rare it would ask every case,
    and sorting out the collected matches is cheaper (S + a stage + high risk: 40 ms, not 85)."""
    return "per-case" if broad and not _narrowed(q) else "from-matches"


def count_statement(q: CaseQuery, search: _Search | None, plan: str, cap: int | None) -> AnySelect:
    inner = _filtered(select(CaseRecord.id), q, search, plan)
    if cap is not None:
        inner = inner.limit(cap)
    return select(func.count()).select_from(inner.subquery())


def _count(store: Store, q: CaseQuery, search: _Search | None, plan: str, cap: int | None) -> int:
    with store.read() as s:
        return int(s.scalar(count_statement(q, search, plan, cap)) or 0)


def count_cases(store: Store, q: CaseQuery, cap: int | None = None) -> int:
    """How many cases match; with ``cap``, counting stops at cap (a broad search like "sa"
    in a big store says "more than 1,000" instead of counting every one)."""
    search, matches = _probe(store, q)
    broad = cap is not None and matches >= min(cap, PROBE_CAP)
    return _count(store, q, search, _count_plan(q, broad), cap)


def list_cases(store: Store, q: CaseQuery, offset: int, limit: int) -> list[CaseRow]:
    search, matches = _probe(store, q)
    return _list(store, q, search, _list_plan(matches), offset, limit)


class PeopleFirst(Join):
    """``people CROSS JOIN cases``: SQLite keeps the tables in this order (its planner would
    start from cases and sort them all). Sorting every case by a person's name or date of
    birth then walks that person index and stops at the page: 10 ms on 100,000 cases, not 200."""

    inherit_cache = True


@compiles(PeopleFirst, "sqlite")
def _people_first(join: PeopleFirst, compiler: SQLCompiler, **kw: Any) -> str:
    kw["asfrom"] = True
    if join.onclause is None:  # list_statement always gives one
        raise TypeError("PeopleFirst needs an ON clause")
    return (f"{compiler.process(join.left, **kw)} CROSS JOIN {compiler.process(join.right, **kw)} "
            f"ON {compiler.process(join.onclause, **kw)}")


PERSON_SORTS = {"name", "dob"}  # sorts by a column of people, which has an index for each


def list_statement(q: CaseQuery, search: _Search | None, plan: str, offset: int, limit: int) -> AnySelect:
    column = SORTABLE.get(q.sort, CaseRecord.opened_on)
    # The tie-break runs the same way as the sort, so one index serves both.
    order, tie = (column.desc(), CaseRecord.id.desc()) if q.descending else (column.asc(), CaseRecord.id.asc())
    stmt = select(*LIST_COLUMNS)
    if q.sort in PERSON_SORTS and search is None and not _narrowed(q):
        # Most people have an open case: walking them in order finds a page at once. With a
        # search or a narrowing filter, few cases match, and starting from those is quicker.
        stmt = stmt.select_from(PeopleFirst(PersonRecord.__table__, CaseRecord.__table__,
                                            PersonRecord.id == CaseRecord.person_id))
    else:
        stmt = stmt.join(PersonRecord)
    return _filtered(stmt, q, search, plan).order_by(order, tie).offset(offset).limit(limit)


def _list(store: Store, q: CaseQuery, search: _Search | None, plan: str, offset: int, limit: int) -> list[CaseRow]:
    with store.read() as s:
        return [case_row(r) for r in s.execute(list_statement(q, search, plan, offset, limit))]


def first_page(store: Store, q: CaseQuery, limit: int, cap: int) -> FirstPage:
    """The count (up to ``cap``) and the first page, planned once: what the list shows after
    each keystroke. Safe to run off the GUI thread (it only reads)."""
    search, matches = _probe(store, q)
    broad = matches >= min(cap + 1, PROBE_CAP)
    n = _count(store, q, search, _count_plan(q, broad), cap + 1)
    plan = _list_plan(matches)
    if plan == "per-case" and n <= cap:
        plan = "from-matches"  # filters left few of many matches: asking each case would read them all
    return FirstPage(q, n if n <= cap else None, _list(store, q, search, plan, offset=0, limit=limit))


def lead_agencies(store: Store) -> list[str]:
    """The lead agencies recorded on cases, for the filter."""
    with store.read() as s:
        return sorted(a for a in s.scalars(select(CaseRecord.lead_agency).distinct()) if a)
