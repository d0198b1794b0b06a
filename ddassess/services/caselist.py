"""The case list: one page of rows at a time, filtered, searched and sorted in the store.

Nothing here loads every case into Python: the client asks for a count and then for
pages (LIMIT/OFFSET over indexed columns), so a store of 100,000 cases stays responsive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import re

from sqlalchemy import Select, func, literal_column, select, union
from sqlalchemy import text as text_clause

from ddassess.domain.models import search_key
from ddassess.domain.nhs import normalise_nhs_number
from ddassess.store import Store
from ddassess.store.records import PEOPLE_SEARCH_TABLE, CaseRecord, PersonRecord

SORTABLE = {
    "ref": CaseRecord.ref,
    "name": PersonRecord.search_name,
    "dob": PersonRecord.date_of_birth,
    "stage": CaseRecord.stage,
    "review": CaseRecord.next_review_due,
    "opened": CaseRecord.opened_on,
}


@dataclass(frozen=True)
class CaseQuery:
    text: str = ""
    stage: str = ""
    lead_agency: str = ""
    risk_only: bool = False
    review_overdue: bool = False
    open_only: bool = True
    coordinator_id: int | None = None  # "my cases": cases this practitioner coordinates
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


def fts_query(text: str) -> str | None:
    """'Sam Dum' -> '"sam"* AND "dum"*': every word a prefix of a word of the name (or
    of the NHS number); quotes keep FTS5 syntax out of what people type."""
    words = [w for w in re.split(r"[^\w]+", search_key(text)) if w]
    return " AND ".join(f'"{w}"*' for w in words) or None


def _matching_case_ids(text: str) -> Select:
    """Case ids whose person's name or NHS number starts with the typed words, whose date of
    birth is the typed date, or whose reference starts with the text. Each part is answered
    by an index (the full-text index, date of birth, case reference), so the search costs
    what it finds, not the size of the store."""
    parts = []
    digits = normalise_nhs_number(text)
    match = fts_query(digits if digits.isdigit() else text)
    if match:
        people = (select(literal_column("rowid")).select_from(text_clause(PEOPLE_SEARCH_TABLE))
                  .where(text_clause(f"{PEOPLE_SEARCH_TABLE} MATCH :match").bindparams(match=match)))
        parts.append(select(CaseRecord.id).where(CaseRecord.person_id.in_(people)))
    try:
        born = dt.date.fromisoformat(text)
    except ValueError:
        pass
    else:
        parts.append(select(CaseRecord.id).join(PersonRecord).where(PersonRecord.date_of_birth == born))
    ref = text.upper()
    parts.append(select(CaseRecord.id).where(CaseRecord.ref.between(ref, ref + "\uffff")))
    return union(*parts) if len(parts) > 1 else parts[0]


def _filtered(stmt: Select, q: CaseQuery) -> Select:
    text = q.text.strip()
    if text:
        stmt = stmt.where(CaseRecord.id.in_(_matching_case_ids(text)))
    if q.stage:
        stmt = stmt.where(CaseRecord.stage == q.stage)
    if q.lead_agency:
        stmt = stmt.where(CaseRecord.lead_agency == q.lead_agency)
    if q.risk_only:
        stmt = stmt.where(CaseRecord.risk_level.in_(("high", "urgent")))
    if q.review_overdue:
        stmt = stmt.where(CaseRecord.next_review_due < q.today)
    if q.open_only:
        stmt = stmt.where(CaseRecord.status == "open")
    if q.coordinator_id is not None:
        stmt = stmt.where(CaseRecord.care_coordinator_id == q.coordinator_id)
    return stmt


def count_cases(store: Store, q: CaseQuery, cap: int | None = None) -> int:
    """How many cases match; with ``cap``, counting stops at cap (a broad search like "sa"
    in a big store says "more than 1,000" instead of counting every one)."""
    inner = _filtered(select(CaseRecord.id).join(PersonRecord), q)
    if cap is not None:
        inner = inner.limit(cap)
    with store.read() as s:
        return int(s.scalar(select(func.count()).select_from(inner.subquery())) or 0)


def list_cases(store: Store, q: CaseQuery, offset: int, limit: int) -> list[CaseRow]:
    column = SORTABLE.get(q.sort, CaseRecord.opened_on)
    # The tie-break runs the same way as the sort, so one index serves both.
    order, tie = (column.desc(), CaseRecord.id.desc()) if q.descending else (column.asc(), CaseRecord.id.asc())
    stmt = _filtered(
        select(CaseRecord.id, CaseRecord.ref, PersonRecord.given_name, PersonRecord.family_name,
               PersonRecord.date_of_birth, PersonRecord.nhs_number, CaseRecord.stage, CaseRecord.lead_agency,
               CaseRecord.risk_level, CaseRecord.next_review_due).join(PersonRecord), q,
    ).order_by(order, tie).offset(offset).limit(limit)
    with store.read() as s:
        return [CaseRow(r[0], r[1], f"{r[2]} {r[3]}", r[4], r[5], r[6], r[7], r[8], r[9]) for r in s.execute(stmt)]


def lead_agencies(store: Store) -> list[str]:
    """The lead agencies recorded on cases, for the filter."""
    with store.read() as s:
        return sorted(a for a in s.scalars(select(CaseRecord.lead_agency).distinct()) if a)
