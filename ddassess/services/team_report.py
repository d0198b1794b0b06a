"""The printed KPI report and the commissioners' aggregate CSV, with small numbers suppressed.

Both leave the team, so both hide small counts: a count from 1 to 4 is shown as "<5"
(``SMALL``), and so is any figure from which a hidden one could be worked out. The rows of
a table that add up to a count shown elsewhere (``Table.partition``: referrals by source add
up to the referrals) would give away a single hidden row by subtraction, so when a column of
such a table hides exactly one row, its next smallest row is hidden too (secondary
suppression). A median of fewer than five cases is hidden (it is one person's wait, or
close to it). Zero is shown: it discloses no one.

Neither file names a person unless the lead asks for the named appendix of the PDF (for the
team, never for commissioners). Every file written is recorded in the audit trail: what,
for which period, and whether names were in it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text

from ddassess.fileio import atomic_write
from ddassess.services.team_kpis import Table, TeamPeriod, team_now, team_period
from ddassess.store.audit import append_event

if TYPE_CHECKING:
    from ddassess.domain.periods import Period
    from ddassess.formengine import Catalogue
    from ddassess.store import Store

SMALL = 5  # counts from 1 to SMALL - 1 are hidden
HIDDEN = "<5"


@dataclass(frozen=True)
class ShownRow:
    label: str
    now: str
    previous: str


@dataclass(frozen=True)
class ShownTable:
    key: str
    title: str
    note: str
    rows: tuple[ShownRow, ...]


def _hide(counts: list[int], partition: bool) -> list[bool]:
    """Which of one column's counts to hide."""
    hidden = [0 < n < SMALL for n in counts]
    if partition and sum(hidden) == 1:
        rest = sorted((n, i) for i, n in enumerate(counts) if n > 0 and not hidden[i])
        if rest:
            hidden[rest[0][1]] = True
    return hidden


def suppressed(table: Table) -> ShownTable:
    """``table`` as it may leave the team."""
    now = [f.count for f in table.figures]
    before = [f.previous or 0 for f in table.figures]
    hide_now, hide_before = _hide(now, table.partition), _hide(before, table.partition)
    rows = tuple(ShownRow(f.label, HIDDEN if hide_now[i] else str(now[i]), HIDDEN if hide_before[i] else str(before[i]))
                 for i, f in enumerate(table.figures))
    return ShownTable(table.key, table.title, table.note, rows)


def shown_medians(figures: TeamPeriod) -> list[ShownRow]:
    """The medians, hidden when fewer than SMALL cases were measured."""
    measured = {}
    for key in ("p.to_assessment", "p.to_plan"):
        t = figures.table(key)
        measured[key] = (sum(f.count for f in t.figures if f.group != "waiting"),
                         sum(f.previous or 0 for f in t.figures if f.group != "waiting"))
    rows = []
    for key, m in zip(("p.to_assessment", "p.to_plan"), figures.medians, strict=True):
        n_now, n_before = measured[key]
        rows.append(ShownRow(m.label, _median_text(m.days, n_now), _median_text(m.previous, n_before)))
    return rows


def _median_text(days: float | None, n: int) -> str:
    if days is None or n == 0:
        return "none"
    if n < SMALL:
        return HIDDEN
    return f"{days:g}"


def kpi_csv(figures: TeamPeriod) -> str:
    """The commissioners' CSV: one row per figure, this period and the one before; no names,
    no references, no dates but the periods'."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    here, there = figures.period.label, figures.previous.label
    w.writerow(["table", "row", here, there])
    for table in figures.tables:
        for row in suppressed(table).rows:
            w.writerow([table.title, row.label, row.now, row.previous])
    for row in shown_medians(figures):
        w.writerow(["Waiting times", row.label, row.now, row.previous])
    w.writerow(["Note", f"Counts from 1 to {SMALL - 1} are shown as {HIDDEN}, and so is any figure from which "
                "one could be worked out.", "", ""])
    return out.getvalue()


def _audit(store: Store, what: str, period: Period, out: Path, named: bool) -> None:
    with store.write() as s:
        append_event(s, actor=store.owner_uuid, action="export", entity_type="team-report", entity_id=what,
                     changes={"period": [None, period.label], "file": [None, out.name], "named": [None, named]})


def write_kpi_csv(store: Store, period: Period, out: Path, catalogue: Catalogue | None = None) -> Path:
    from ddassess.services.careplan_files import check_writable

    check_writable(out)
    figures = team_period(store, period, catalogue or _catalogue())
    atomic_write(out, kpi_csv(figures).encode("utf-8"), mode=0o600)
    _audit(store, "kpi-csv", period, out, named=False)
    return out


def _catalogue() -> Catalogue:
    from ddassess.formengine import load_catalogue

    return load_catalogue()


NAMED_SQL = """
SELECT c.ref, p.given_name || ' ' || p.family_name, coalesce(pc.name, ''), c.risk_level, c.next_review_due
FROM cases AS c JOIN people AS p ON p.id = c.person_id LEFT JOIN practitioners AS pc ON pc.id = c.care_coordinator_id
WHERE c.id = :case_id
"""


def kpi_report_pdf(store: Store, period: Period, *, named: bool = False, catalogue: Catalogue | None = None,
                   today: dt.date | None = None) -> bytes:
    from ddassess.pdf.kpi_report import KpiReport, NamedCase, render_kpi_report
    from ddassess.services.settings import get_setting

    catalogue = catalogue or _catalogue()
    figures = team_period(store, period, catalogue, today=today)
    now = team_now(store, today, catalogue)
    named_rows: list[NamedCase] = []
    if named:
        with store.read() as s:
            for c in now.complex_cases:
                r = s.execute(text(NAMED_SQL), {"case_id": c.case_id}).one()
                due = dt.date.fromisoformat(str(r[4])) if r[4] else None
                named_rows.append(NamedCase(r[0], r[1], r[2], r[3] or "not raised", due))
    now_tables = [suppressed(t) for t in now.tables if t.key != "now.caseload"]  # staff names stay in the team
    report = KpiReport(
        organisation=str(get_setting(store, "organisation_name")).strip(),
        period_label=period.label, period_words=period.words,
        previous_label=figures.previous.label, previous_words=figures.previous.words,
        made_on=today or dt.date.today(), now_on=now.today,
        period_tables=[_plain(suppressed(t)) for t in figures.tables],
        medians=[(r.label, r.now, r.previous) for r in shown_medians(figures)],
        now_tables=[_plain(t) for t in now_tables], named=named_rows if named else None)
    return render_kpi_report(report)


def _plain(t: ShownTable) -> tuple[str, str, list[tuple[str, str, str]]]:
    return t.title, t.note, [(r.label, r.now, r.previous) for r in t.rows]


def write_kpi_pdf(store: Store, period: Period, out: Path, *, named: bool = False,
                  catalogue: Catalogue | None = None) -> Path:
    from ddassess.services.careplan_files import check_writable

    check_writable(out)
    atomic_write(out, kpi_report_pdf(store, period, named=named, catalogue=catalogue), mode=0o600)
    _audit(store, "kpi-pdf", period, out, named=named)
    return out
