"""The team lead's figures: what is true now, and a period compared with the one before.

``team_now(store, today)`` and ``team_period(store, period)`` answer every figure of the
Team view and the KPI report with a few grouped SQL statements (``team_measures``), never
by loading cases into Python: 100,000 cases and a million responses take well under half a
second (tests/benchmarks/bench_team.py). Each ``Figure`` carries the ``CaseQuery`` that
lists its cases, so a click on a number opens exactly the cases behind it.

Cases are shared by two services: a figure counts a case once, whoever changed it last,
and says nothing about a person but a count; names appear only where the lead asks for
them (the complex cases list, the report's named appendix).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, column, text

from ddassess.domain.models import PATHWAY_STAGES
from ddassess.domain.periods import Period
from ddassess.services.case_list_rows import CaseQuery
from ddassess.services.team_measures import (
    COMPLEX,
    DAYS,
    MH_SCREENS,
    SUBSTANCE_SCREENS,
    bucket,
    counts_sql,
    grouped_sql,
    median,
    selection_sql,
    several_groups,
)
from ddassess.store.records import PractitionerRecord

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ddassess.formengine import Catalogue
    from ddassess.store import Store

STAGE_LABELS = {s: s.replace("_", " ").capitalize() for s in PATHWAY_STAGES}
RISK_LABELS = {"urgent": "Urgent", "high": "High", "": "Not raised"}  # services.case_risk.LEVELS
# Steps a case waits at, and the setting that holds each step's target in days.
TARGET_SETTINGS = {"referral": "target_days_triage", "consent": "target_days_consent",
                   "screening": "target_days_screening", "joint_assessment": "target_days_assessment",
                   "lead_agency": "target_days_lead_decision"}


@dataclass(frozen=True)
class Figure:
    """One number: how many cases, and (for a period) how many in the period before."""

    measure: str
    group: str
    label: str
    count: int
    previous: int | None = None
    query: CaseQuery = field(default_factory=CaseQuery)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    figures: tuple[Figure, ...]
    note: str = ""  # what is counted, in words (also the chart's text alternative lead-in)
    denominator: str = ""  # what a share is of, when the rows are parts of a whole
    # The rows add up to a count shown elsewhere (the period's referrals or exits): one number
    # hidden alone could be worked out by subtraction (team_report.suppressed).
    partition: bool = False


@dataclass(frozen=True)
class Median:
    label: str
    days: float | None
    previous: float | None


@dataclass(frozen=True)
class ComplexCase:
    case_id: int
    ref: str
    risk_level: str
    quadrant_high_high: bool
    coordinator: str
    partner: str
    last_joint_review: dt.date | None
    next_review_due: dt.date | None


@dataclass(frozen=True)
class TeamNow:
    today: dt.date
    tables: tuple[Table, ...]
    complex_cases: tuple[ComplexCase, ...]


@dataclass(frozen=True)
class TeamPeriod:
    period: Period
    previous: Period
    tables: tuple[Table, ...]
    medians: tuple[Median, ...]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def targets(store: Store) -> dict[str, int]:
    """Each step's target (days a case may wait there), from the settings."""
    from ddassess.services.settings import get_settings

    values = get_settings(store, tuple(TARGET_SETTINGS.values()))
    return {stage: int(values[key]) for stage, key in TARGET_SETTINGS.items()}


def drill_query(measure: str, group: str, today: dt.date, period: Period | None,
                store_targets: dict[str, int] | None = None) -> CaseQuery:
    """The case list's query for the cases of one figure. A "waiting too long" figure keeps
    the target it was counted with (in place of a period), so the list agrees with it."""
    if measure == "now.waiting":
        start, end = str((store_targets or {}).get(group, 0)), ""
    else:
        start = period.start.isoformat() if period else ""
        end = period.end.isoformat() if period else ""
    return CaseQuery(open_only=measure.startswith("now."), figure=(measure, group, start, end), today=today)


def selection(q: CaseQuery) -> Any:
    """The ids of the cases of ``q.figure``, as a statement the case list narrows itself with."""
    if not q.figure:
        raise ValueError("the query names no team figure")
    measure, group, start, end = q.figure
    params: dict[str, Any] = {"group": group}
    store_targets = None
    if measure == "now.waiting":
        store_targets = {group: int(start)} if group in TARGET_SETTINGS and start.isdigit() else {}
    if measure.startswith("now."):
        params["today"] = q.today.isoformat()
    else:
        params |= {"start": start, "end": end}
    sql = (f"SELECT cid FROM ({EXTRA_MEASURES[measure]}) WHERE g = :group" if measure in EXTRA_MEASURES
           else selection_sql(measure, store_targets))
    used = {k: v for k, v in params.items() if f":{k}" in sql}
    return text(sql).bindparams(**used).columns(column("cid", Integer))


def _counts(s: Session, measure: str, params: dict[str, Any], store_targets: dict[str, int] | None = None
            ) -> dict[str, int]:
    """Cases per group of a figure of now (one grouped statement over the open cases)."""
    return _grouped(s, measure, params, store_targets)[0]


def _grouped(s: Session, measure: str, params: dict[str, Any], store_targets: dict[str, int] | None = None
             ) -> tuple[dict[str, int], dict[str, int]]:
    """Cases per group of the period and of the one before (of now, and nothing), from one
    grouped statement (``team_measures.grouped_sql``)."""
    from ddassess.services.team_measures import MEASURES, NOW, PERIOD, SEVERAL

    if measure in MEASURES and measure not in NOW and measure not in PERIOD and measure not in SEVERAL:
        # a measure with a statement of its own (no grouped form): counted as it lists its cases
        return ({str(g if g is not None else ""): int(n)
                 for g, n in s.execute(text(counts_sql(measure, store_targets)), params)}, {})
    if measure in DAYS:
        here_days, there_days = _days(s, measure, params)
        return _buckets(here_days), _buckets(there_days)
    counts: tuple[dict[str, int], dict[str, int]] = ({}, {})
    names = several_groups(measure)
    for row in s.execute(text(grouped_sql(measure, store_targets)), params):
        into = counts[1 if row[0] else 0]
        pairs = zip(names, row[1:], strict=True) if names else ((row[1], row[2]),)
        for g, n in pairs:
            if n:
                key = str(g if g is not None else "")
                into[key] = into.get(key, 0) + int(n)
    return counts


def _days(s: Session, measure: str, params: dict[str, Any]) -> tuple[dict[int | None, int], dict[int | None, int]]:
    """Cases per number of days from referral to the measure's step (None: not reached), for
    the period and the one before."""
    found: tuple[dict[int | None, int], dict[int | None, int]] = ({}, {})
    for p, d, n in s.execute(text(grouped_sql(measure)), params):
        found[1 if p else 0][None if d is None else int(d)] = int(n)
    return found


def _buckets(days: dict[int | None, int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d, n in days.items():
        counts[bucket(d)] = counts.get(bucket(d), 0) + n
    return counts


def _median(days: dict[int | None, int]) -> float | None:
    return median({d: n for d, n in days.items() if d is not None})


def _labels(catalogue: Catalogue | None, form_id: str, field_id: str) -> dict[str, str]:
    if catalogue is None:
        return {}
    try:
        spec = catalogue.get(form_id)
    except Exception:  # noqa: BLE001 - a form this store's catalogue lacks: show the stored values
        return {}
    found = spec.fields.get(field_id) or next(
        (column for f in spec.fields.values() for column in f.fields if column.id == field_id), None)
    return {str(c.value): c.label for c in found.choices} if found is not None else {}


def _table(key: str, title: str, measure: str, order: list[tuple[str, str]], now: dict[str, int],
           before: dict[str, int] | None, today: dt.date, period: Period | None, note: str = "",
           denominator: str = "", keep_empty: bool = True, store_targets: dict[str, int] | None = None) -> Table:
    """Rows in ``order`` (group, label), then any group the store holds that ``order`` lacks."""
    known = [g for g, _ in order]
    extra = sorted(g for g in set(now) | set(before or {}) if g not in known)
    rows = order + [(g, g or "Not recorded") for g in extra]
    figures = tuple(Figure(measure, g, label, now.get(g, 0), None if before is None else before.get(g, 0),
                           drill_query(measure, g, today, period, store_targets))
                    for g, label in rows
                    if keep_empty or now.get(g, 0) or (before or {}).get(g, 0))
    return Table(key, title, figures, note, denominator)


def team_now(store: Store, today: dt.date | None = None, catalogue: Catalogue | None = None) -> TeamNow:
    """The open caseload as it is ``today``."""
    today = today or dt.date.today()
    p = {"today": today.isoformat()}
    goals = targets(store)
    agencies = _labels(catalogue, "lead_agency", "lead")  # the case keeps the agency's label
    with store.read() as s:  # one snapshot: the figures agree with one another
        lead_counts = _counts(s, "now.lead", p)
        names = _practitioners(s)
        caseload = _counts(s, "now.caseload", p)
        tables = _now_tables(s, p, today, goals, agencies, lead_counts, names, caseload) + (_conflicts_table(s, today),)
        cases = _complex_rows(s)
    return TeamNow(today, tables, tuple(cases))


def _now_tables(s: Session, p: dict[str, Any], today: dt.date, goals: dict[str, int], agencies: dict[str, str],
                lead_counts: dict[str, int], names: dict[int, str], caseload: dict[str, int]) -> tuple[Table, ...]:
    return (
        _table("now.stage", "Open cases by pathway step", "now.stage", list(STAGE_LABELS.items())[:-1],
               _counts(s, "now.stage", p), None, today, None, "Open cases at each step of the pathway."),
        _table("now.lead", "Open cases by lead agency", "now.lead",
               [(lab, lab) for lab in agencies.values()] + [("", "Not decided yet")],
               lead_counts, None, today, None, "Open cases by the agency that leads their care."),
        _table("now.risk", "Open cases by risk level", "now.risk", list(RISK_LABELS.items()),
               _counts(s, "now.risk", p), None, today, None, "Open cases by their current risk level."),
        _table("now.complex", "Complex high-risk cases", "now.complex",
               [("complex", "Urgent or high risk, or high mental illness and high substance misuse")],
               _counts(s, "now.complex", p), None, today, None),
        _table("now.reviews", "Reviews", "now.reviews",
               [("overdue", "Joint review overdue"), ("no_date", "Care plan with no review date")],
               _counts(s, "now.reviews", p), None, today, None),
        _table("now.waiting", "Waiting longer than the target", "now.waiting",
               [(s, f"{STAGE_LABELS[s]} (target {goals[s]} days)") for s in TARGET_SETTINGS],
               _counts(s, "now.waiting", p, goals), None, today, None,
               "Open cases that have been at a step longer than the team's target for it.", store_targets=goals),
        _table("now.caseload", "Caseload per care coordinator", "now.caseload",
               [(str(pid), label) for pid, label in names.items()] + [("", "No care coordinator named")],
               caseload, None, today, None, "Open cases each practitioner coordinates.", keep_empty=False),
        _table("now.unsigned", "Care plans not yet signed", "now.unsigned",
               [("unsigned", "Final care plan with no signed PDF")], _counts(s, "now.unsigned", p),
               None, today, None),
    )


def _practitioners(s: Session) -> dict[int, str]:
    from sqlalchemy import select

    return {int(pid): f"{name} ({agency})" if agency else name
            for pid, name, agency in s.execute(select(PractitionerRecord.id, PractitionerRecord.name,
                                                      PractitionerRecord.agency).order_by(PractitionerRecord.name))}


COMPLEX_SQL = f"""
SELECT f.case_id, f.ref, f.risk_level, coalesce(f.high_high, 0), coalesce(pc.name, ''), coalesce(pp.name, ''),
       f.last_review_on, f.next_review_due
FROM case_facts AS f
LEFT JOIN practitioners AS pc ON pc.id = f.care_coordinator_id
LEFT JOIN practitioners AS pp ON pp.id = f.partner_worker_id
WHERE f.status = 'open' AND {COMPLEX}
ORDER BY CASE f.risk_level WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END, f.next_review_due IS NULL,
         f.next_review_due, f.ref
"""


def complex_cases(store: Store, today: dt.date) -> list[ComplexCase]:
    """The complex high-risk cases with who coordinates them, the partner worker, the last
    joint review and the next (most urgent first)."""
    with store.read() as s:
        return _complex_rows(s)


def _complex_rows(s: Session) -> list[ComplexCase]:
    rows = s.execute(text(COMPLEX_SQL)).all()
    return [ComplexCase(int(r[0]), r[1], r[2], bool(r[3]), r[4], r[5], _date(r[6]), _date(r[7])) for r in rows]


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


# -- Figures kept apart from ``team_measures`` (the Team view's additions) ---------------------
# Each lists ``(cid, g)`` like the measures there; ``selection`` narrows the case list with them.
EXTRA_MEASURES: dict[str, str] = {
    # A case with a conflict nobody has settled: its own, or one of its person's details (those
    # travel with every case of the person). Closed cases too: a discharge that crossed another
    # laptop's change still needs someone to settle it.
    "now.conflicts": ("SELECT c.id AS cid, 'unresolved' AS g FROM cases AS c WHERE c.uuid IN "
                      "(SELECT x.case_uuid FROM conflicts AS x WHERE x.status = 'open') UNION ALL "
                      "SELECT c.id AS cid, 'unresolved' AS g FROM cases AS c JOIN people AS p ON p.id = c.person_id "
                      "WHERE p.uuid IN (SELECT x.entity_uuid FROM conflicts AS x WHERE x.status = 'open' AND "
                      "x.entity = 'person')"),
    # The cases a period's median waits are worked out from: referred in it, and assessed / with
    # a signed care plan (the trend chart's points open them).
    "p.measured": ("SELECT c.id AS cid, 'to_assessment' AS g FROM cases AS c JOIN case_facts AS f ON f.case_id = c.id "
                   "WHERE c.opened_on BETWEEN :start AND :end AND f.assessed_on IS NOT NULL UNION ALL "
                   "SELECT c.id AS cid, 'to_plan' AS g FROM cases AS c JOIN case_facts AS f ON f.case_id = c.id "
                   "WHERE c.opened_on BETWEEN :start AND :end AND f.plan_signed_on IS NOT NULL"),
}


def _conflicts_table(s: Session, today: dt.date) -> Table:
    counts = {str(g): int(n) for g, n in s.execute(text(
        f"SELECT g, count(DISTINCT cid) FROM ({EXTRA_MEASURES['now.conflicts']}) GROUP BY g"))}
    query = CaseQuery(open_only=False, figure=("now.conflicts", "unresolved", "", ""), today=today)
    return Table("now.conflicts", "Unresolved conflicts",
                 (Figure("now.conflicts", "unresolved", "Cases with a change made two ways, not yet settled",
                         counts.get("unresolved", 0), None, query),),
                 "Shared cases (open or closed) where two laptops changed the same answer and nobody has chosen "
                 "between them yet.")


@dataclass(frozen=True)
class TrendPoint:
    """One period of a trend: its referrals and median waits, and the queries of their cases."""

    period: Period
    referrals: int
    to_assessment: float | None
    to_plan: float | None

    def query(self, what: str, today: dt.date) -> CaseQuery:
        """The cases behind ``what``: "referrals", "to_assessment" or "to_plan"."""
        start, end = self.period.start.isoformat(), self.period.end.isoformat()
        if what == "referrals":
            return CaseQuery(open_only=False, figure=("p.referrals", "all", start, end), today=today)
        return CaseQuery(open_only=False, figure=("p.measured", what, start, end), today=today)


TREND_REFERRALS = "SELECT count(*) FROM cases AS c WHERE c.opened_on BETWEEN :start AND :end"
# Days from referral to the step, and how many cases waited that long (a small histogram: the
# median is read off it, no case rows are loaded).
TREND_DAYS = ("SELECT CAST(julianday(f.{column}) - julianday(c.opened_on) AS INTEGER) AS d, count(*) "
              "FROM cases AS c JOIN case_facts AS f ON f.case_id = c.id WHERE c.opened_on BETWEEN :start AND :end "
              "AND f.{column} IS NOT NULL GROUP BY d")


def team_trend(store: Store, period: Period, count: int = 6) -> tuple[TrendPoint, ...]:
    """``period`` and the ``count - 1`` periods of its kind before it, oldest first: referrals and
    the median days from referral to joint assessment and to a signed care plan."""
    if count < 1:
        raise ValueError("a trend needs at least one period")
    periods = [period]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    points = []
    with store.read() as s:
        for p in reversed(periods):
            params = {"start": p.start.isoformat(), "end": p.end.isoformat()}
            referrals = int(s.execute(text(TREND_REFERRALS), params).scalar() or 0)
            medians = [median_of({int(d): int(n) for d, n in s.execute(text(TREND_DAYS.format(column=column)), params)
                                  if d is not None})
                       for column in ("assessed_on", "plan_signed_on")]
            points.append(TrendPoint(p, referrals, medians[0], medians[1]))
    return tuple(points)


def median_of(histogram: dict[int, int]) -> float | None:
    """The median of values given as {value: how many times} (None when there are none)."""
    total = sum(histogram.values())
    if total == 0:
        return None
    middle = ((total - 1) // 2, total // 2)  # the one or two middle positions, from 0
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        n = histogram[value]
        found += [value for m in middle if seen <= m < seen + n]
        seen += n
    return sum(found) / 2


def team_period(store: Store, period: Period, catalogue: Catalogue | None = None,
                today: dt.date | None = None) -> TeamPeriod:
    """The shared KPIs for ``period`` beside those of the period before (one snapshot)."""
    with store.read() as s:
        return _team_period(s, period, catalogue, today or dt.date.today())


def _team_period(s: Session, period: Period, catalogue: Catalogue | None, today: dt.date) -> TeamPeriod:
    before = period.previous()
    params = {"start": period.start.isoformat(), "end": period.end.isoformat(),
              "pstart": before.start.isoformat(), "pend": before.end.isoformat()}
    days = {m: _days(s, m, params) for m in DAYS}  # each read once: its table and its median

    def both(measure: str) -> tuple[dict[str, int], dict[str, int]]:
        if measure in days:
            return _buckets(days[measure][0]), _buckets(days[measure][1])
        return _grouped(s, measure, params)

    def table(key: str, title: str, order: list[tuple[str, str]], note: str = "", denominator: str = "",
              keep_empty: bool = True, partition: bool = False) -> Table:
        now, prev = both(key)
        t = _table(key, title, key, order, now, prev, today, period, note, denominator, keep_empty)
        return Table(t.key, t.title, t.figures, t.note, t.denominator, partition)

    sources = _labels(catalogue, "referral", "referrer_agency")
    agencies = _labels(catalogue, "lead_agency", "lead")
    substances = _labels(catalogue, "substance_profile", "substance")
    reasons = _labels(catalogue, "discharge", "reason")
    buckets = [("0-7 days", "0-7 days"), ("8-14 days", "8-14 days"), ("15-28 days", "15-28 days"),
               ("29-56 days", "29-56 days"), ("over 56 days", "Over 56 days"), ("waiting", "Not yet")]
    new_cases = "of the cases referred in the period"
    tables = (
        table("p.referrals", "Referrals", [("all", "Cases referred (opened) in the period")]),
        table("p.source", "Referrals by source",
              [("self", "Self-referral")] + [(v, lab) for v, lab in sources.items()] +
              [("not_recorded", "Not recorded")], "Who referred the person.", new_cases, keep_empty=False,
              partition=True),
        table("p.agency", "Referrals by lead agency",
              [(lab, lab) for lab in agencies.values()] + [("", "Not decided yet")],
              "The agency leading each case referred in the period.", new_cases, keep_empty=False, partition=True),
        table("p.to_assessment", "Referral to joint assessment", buckets,
              "Days from referral to the joint comprehensive assessment.", new_cases, partition=True),
        table("p.to_plan", "Referral to a signed care plan", buckets,
              "Days from referral to a joint care plan signed by the person.", new_cases, partition=True),
        table("p.mh_need", "Mental health treatment need",
              [("need_treated", "Need identified, receiving treatment"),
               ("need_untreated", "Need identified, not receiving treatment"),
               ("no_need", "No need identified"), ("not_recorded", "Not recorded")],
              "As the national drug treatment dataset asks it, from the joint assessment.", new_cases, partition=True),
        table("p.substance", "Primary substance",
              [(v, lab) for v, lab in substances.items()] + [("not_recorded", "Not recorded")],
              "The first substance of the substance use profile.", new_cases, keep_empty=False, partition=True),
        table("p.sadq", "SADQ band",
              [("mild", "Mild (under 16)"), ("moderate", "Moderate (16-30)"), ("severe", "Severe (31 or more)"),
               ("none", "No SADQ")], "The latest SADQ total of each case.", new_cases, partition=True),
        table("p.screening", "Screening completed",
              [("mh", "Mental health screen (" + " or ".join(_screen(s) for s in MH_SCREENS) + ")"),
               ("substance", "Alcohol or drug screen (" + ", ".join(_screen(s) for s in SUBSTANCE_SCREENS) + ")"),
               ("both", "Both")], "Cases with a final screening form, of those referred."),
        table("p.exit_type", "Exits, planned and unplanned",
              [("planned", "Planned"), ("unplanned", "Unplanned (unsuccessful)"),
               ("not_recorded", "No discharge form")],
              "Cases closed in the period.", "of the cases closed in the period", partition=True),
        table("p.exit_reason", "Exits by reason", [(v, lab) for v, lab in reasons.items()] +
              [("not_recorded", "No discharge form")], "Cases closed in the period.",
              "of the cases closed in the period", keep_empty=False, partition=True),
        table("p.represented", "Re-presentations",
              [("represented", "Referred within six months of leaving an earlier episode")]),
    )
    medians = tuple(Median(label, _median(days[m][0]), _median(days[m][1]))
                    for m, label in (("p.to_assessment", "Median days from referral to joint assessment"),
                                     ("p.to_plan", "Median days from referral to a signed care plan")))
    return TeamPeriod(period, before, tables, medians)


def _screen(form_id: str) -> str:
    return {"phq9": "PHQ-9", "gad7": "GAD-7", "audit": "AUDIT", "audit_c": "AUDIT-C", "fast": "FAST",
            "dast10": "DAST-10", "sadq": "SADQ"}[form_id]

