"""The case list: one page of rows at a time, filtered, searched and sorted in the store.

Nothing here loads every case into Python: the client asks for a count and then for
pages (LIMIT/OFFSET over indexed columns), so a store of 100,000 cases stays responsive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Select, func, or_, select

from ddassess.domain.models import search_key
from ddassess.domain.nhs import normalise_nhs_number
from ddassess.store import Store
from ddassess.store.records import CaseRecord, PersonRecord

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


def _filtered(stmt: Select, q: CaseQuery) -> Select:
    text = q.text.strip()
    if text:
        digits = normalise_nhs_number(text)
        conditions = []
        if digits.isdigit() and len(digits) >= 3:
            conditions.append(PersonRecord.nhs_number.like(f"{digits}%"))
        try:
            conditions.append(PersonRecord.date_of_birth == dt.date.fromisoformat(text))
        except ValueError:
            pass
        key = search_key(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        if key:
            conditions.append(PersonRecord.search_name.like(f"{key}%", escape="\\"))
            conditions.append(PersonRecord.search_name.like(f"% {key}%", escape="\\"))
            conditions.append(CaseRecord.ref.like(f"{text.upper()}%"))
        stmt = stmt.where(or_(*conditions))
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
    return stmt


def count_cases(store: Store, q: CaseQuery) -> int:
    stmt = _filtered(select(func.count()).select_from(CaseRecord).join(PersonRecord), q)
    with store.read() as s:
        return int(s.scalar(stmt) or 0)


def list_cases(store: Store, q: CaseQuery, offset: int, limit: int) -> list[CaseRow]:
    column = SORTABLE.get(q.sort, CaseRecord.opened_on)
    order = column.desc() if q.descending else column.asc()
    stmt = _filtered(
        select(CaseRecord.id, CaseRecord.ref, PersonRecord.given_name, PersonRecord.family_name,
               PersonRecord.date_of_birth, PersonRecord.nhs_number, CaseRecord.stage, CaseRecord.lead_agency,
               CaseRecord.risk_level, CaseRecord.next_review_due).join(PersonRecord), q,
    ).order_by(order, CaseRecord.id.desc()).offset(offset).limit(limit)
    with store.read() as s:
        return [CaseRow(r[0], r[1], f"{r[2]} {r[3]}", r[4], r[5], r[6], r[7], r[8], r[9]) for r in s.execute(stmt)]
