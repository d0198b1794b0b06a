"""Reporting periods: a month, a quarter, a year or a custom range of days, and the period
just before it (what a report compares with).

Written as people say them: ``2026-07`` (a month), ``2026-Q3`` (a quarter), ``2026`` (a
year), ``2026-07-01..2026-08-15`` (custom, both days included). The period before has the
same kind: the month, quarter or year before; for a custom range, the same number of days
ending the day before it starts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ddassess.errors import InvalidInputError

_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
_BAD_QUARTER = re.compile(r"(\d{4})-[Qq](\d+)")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"(\d{4})")
_CUSTOM = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")
MAX_CUSTOM_DAYS = 3660  # ten years: longer is not a reporting period
FORMS_HINT = "Write the period as 2026-Q3 (a quarter), 2026-07 (a month), 2026 (a year) or 2026-07-01..2026-08-15."


@dataclass(frozen=True)
class Period:
    kind: str  # month / quarter / year / custom
    start: dt.date
    end: dt.date  # included

    @property
    def label(self) -> str:
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "year":
            return f"{self.start.year}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def words(self) -> str:
        """The period as a reader says it: "July to September 2026"."""
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        if self.kind == "year":
            return f"the year {self.start.year}"
        if self.kind == "quarter":
            return f"{self.start:%B} to {self.end:%B %Y}"
        return f"{self.start:%d %B %Y} to {self.end:%d %B %Y}"

    def previous(self) -> Period:
        if self.kind == "month":
            last = self.start - dt.timedelta(days=1)
            return month(last.year, last.month)
        if self.kind == "quarter":
            last = self.start - dt.timedelta(days=1)
            return quarter(last.year, (last.month - 1) // 3 + 1)
        if self.kind == "year":
            return year(self.start.year - 1)
        days = (self.end - self.start).days + 1
        end = self.start - dt.timedelta(days=1)
        return Period("custom", end - dt.timedelta(days=days - 1), end)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def month(y: int, m: int) -> Period:
    start = dt.date(y, m, 1)
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return Period("month", start, nxt - dt.timedelta(days=1))


def quarter(y: int, q: int) -> Period:
    start = dt.date(y, 3 * q - 2, 1)
    nxt = dt.date(y + 1, 1, 1) if q == 4 else dt.date(y, 3 * q + 1, 1)
    return Period("quarter", start, nxt - dt.timedelta(days=1))


def year(y: int) -> Period:
    return Period("year", dt.date(y, 1, 1), dt.date(y, 12, 31))


def quarter_of(day: dt.date) -> Period:
    return quarter(day.year, (day.month - 1) // 3 + 1)


def parse_period(text: str) -> Period:
    """The period ``text`` names; InvalidInputError saying what is wrong otherwise."""
    t = text.strip()
    try:
        if m := _QUARTER.fullmatch(t):
            return quarter(int(m[1]), int(m[2]))
        if m := _BAD_QUARTER.fullmatch(t):
            raise InvalidInputError(f"There is no quarter Q{m[2]}: a year has quarters Q1 to Q4.", hint=FORMS_HINT)
        if m := _MONTH.fullmatch(t):
            if not 1 <= int(m[2]) <= 12:
                raise InvalidInputError(f"There is no month {m[2]}: months are 01 to 12.", hint=FORMS_HINT)
            return month(int(m[1]), int(m[2]))
        if m := _YEAR.fullmatch(t):
            return year(int(m[1]))
        if m := _CUSTOM.fullmatch(t):
            start, end = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
            if end < start:
                raise InvalidInputError(f"The period {t} ends before it starts.",
                                        hint="Give the earlier day first. " + FORMS_HINT)
            if (end - start).days >= MAX_CUSTOM_DAYS:
                raise InvalidInputError(f"The period {t} is longer than ten years.",
                                        hint="Choose a shorter period. " + FORMS_HINT)
            return Period("custom", start, end)
    except ValueError:
        raise InvalidInputError(f"{t!r} names a day that does not exist.", hint=FORMS_HINT) from None
    raise InvalidInputError(f"{t[:40]!r} is not a period ddassess understands.", hint=FORMS_HINT)
