"""A complex case review meeting's agenda, as plain data: ``services/meeting_agenda.py`` makes
it from the store, ``pdf/agenda.py`` prints it, the window shows it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class OpenAction:
    case_id: int
    case_ref: str
    action: str
    owner: str
    due: dt.date | None
    agreed_on: dt.date | None  # the meeting that agreed (or last carried) it
    response_id: int

    def overdue(self, today: dt.date) -> bool:
        return self.due is not None and self.due < today


@dataclass(frozen=True)
class AgendaItem:
    case_id: int
    ref: str
    person_name: str
    reasons: tuple[str, ...]
    risk_level: str
    high_high: bool
    coordinator: str
    partner: str
    last_joint_review: dt.date | None
    next_review: dt.date | None
    actions: tuple[OpenAction, ...]


@dataclass(frozen=True)
class Agenda:
    made_on: dt.date
    items: tuple[AgendaItem, ...]
