"""The SQL behind each team figure: one statement per measure, listing ``(cid, g)``, a case
and the group it counts in. A figure is the number of cases of one group; its drill-down is
the same statement narrowed to that group (``selection_sql``), so the number and the cases
the list shows come from one definition and cannot disagree.

Where each figure comes from (docs/team-view.md says it for readers): the case's facts
(``store/case_facts.py``: what its latest final forms say, worked out when each was
finalised, beside a copy of the case's own columns: status, step, lead agency, risk level,
care coordinator, opened and closed days, next review due). Every statement reads
``case_facts`` alone, through one of its covering indexes: a figure is one range scan (the
open cases, or the cases referred or closed in a period) and one GROUP BY, never a case
row, never a form's answers.

Counting is one grouped statement per table (``grouped_sql``): a period's figures and those
of the period before come out of one range scan, each row of the result saying which
period (``p``: 0 the period, 1 the one before), which group and how many cases.

Statements take the named parameters ``:today`` (Now) or ``:start`` and ``:end`` (a
period, both days included; ``grouped_sql`` also ``:pstart`` and ``:pend``, the period before).
"""

from __future__ import annotations

from ddassess.domain.models import PATHWAY_STAGES
from ddassess.store.case_facts import COMPLEX, MH_SCREENS, SUBSTANCE_SCREENS

__all__ = ["COMPLEX", "MH_SCREENS", "SUBSTANCE_SCREENS", "counts_sql", "grouped_sql", "median_sql", "selection_sql"]

SIX_MONTHS = 183  # days
FACTS = "FROM case_facts AS f"
OPEN = f"{FACTS} WHERE f.status = 'open'"
BUCKETS = ((7, "0-7 days"), (14, "8-14 days"), (28, "15-28 days"), (56, "29-56 days"))
OVER, WAITING = "over 56 days", "waiting"
DAYS = {"p.to_assessment": "assessed_on", "p.to_plan": "plan_signed_on"}  # measures of days from referral


def _waiting_test(targets: dict[str, int]) -> str:
    """True for an open case at a step longer than the step's target (days); a case younger
    than the target is passed over before its step's day is read."""
    whens = " ".join(f"WHEN '{stage}' THEN f.opened_on < date(:today, '-{int(targets[stage])} days') AND "
                     f"coalesce(f.step_entered, f.opened_on) < date(:today, '-{int(targets[stage])} days')"
                     for stage in PATHWAY_STAGES if stage in targets)
    return f"CASE f.stage {whens} ELSE 0 END" if whens else "0"


def waiting(targets: dict[str, int]) -> str:
    return f"SELECT f.case_id AS cid, f.stage AS g {OPEN} AND {_waiting_test(targets)}"


def days_sql(measure: str) -> str:
    """Days from the referral to the step of ``measure`` (NULL: not reached)."""
    return f"CAST(julianday(f.{DAYS[measure]}) - julianday(f.opened_on) AS INTEGER)"


def bucketed(days: str) -> str:
    whens = " ".join(f"WHEN {days} <= {top} THEN '{label}'" for top, label in BUCKETS)
    return f"CASE WHEN {days} IS NULL THEN '{WAITING}' {whens} ELSE '{OVER}' END"


def bucket(days: int | None) -> str:
    """``bucketed`` for one number of days (the grouped statement lists the days)."""
    if days is None:
        return WAITING
    return next((label for top, label in BUCKETS if days <= top), OVER)


# A period's measures: the day that puts a case in the period, its group, and any further test.
PERIOD: dict[str, tuple[str, str, str]] = {
    "p.referrals": ("opened_on", "'all'", ""),
    "p.source": ("opened_on", "coalesce(f.referral_source, 'not_recorded')", ""),
    "p.agency": ("opened_on", "f.lead_agency", ""),
    "p.to_assessment": ("opened_on", bucketed(days_sql("p.to_assessment")), ""),
    "p.to_plan": ("opened_on", bucketed(days_sql("p.to_plan")), ""),
    "p.mh_need": ("opened_on", "coalesce(f.mh_need, 'not_recorded')", ""),
    "p.substance": ("opened_on", "coalesce(f.primary_substance, 'not_recorded')", ""),
    "p.sadq": ("opened_on", "coalesce(f.sadq_band, 'none')", ""),
    "p.exit_reason": ("closed_on", "coalesce(f.exit_reason, 'not_recorded')", ""),
    "p.exit_type": ("closed_on", "coalesce(f.exit_type, 'not_recorded')", ""),
    "p.represented": ("opened_on", "'represented'",
                      "AND EXISTS (SELECT 1 FROM case_facts AS o WHERE o.person_id = f.person_id AND "
                      "o.case_id != f.case_id AND o.closed_on IS NOT NULL AND o.closed_on <= f.opened_on AND "
                      f"o.closed_on >= date(f.opened_on, '-{SIX_MONTHS} days'))"),
}
# Measures whose groups overlap (a case screened for both counts in three rows): each group a test.
SEVERAL: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "p.screening": ("opened_on", (("mh", "f.screened_mh"), ("substance", "f.screened_substance"),
                                  ("both", "f.screened_mh AND f.screened_substance"))),
    "now.reviews": ("", (("overdue", "f.next_review_due < :today"),
                         ("no_date", "f.stage IN ('care_plan', 'review') AND f.next_review_due IS NULL"))),
}
NOW: dict[str, tuple[str, str]] = {  # group, test
    "now.stage": ("f.stage", ""),
    "now.lead": ("f.lead_agency", ""),
    "now.risk": ("f.risk_level", ""),
    "now.complex": ("'complex'", f"AND {COMPLEX}"),
    "now.caseload": ("coalesce(CAST(f.care_coordinator_id AS TEXT), '')", ""),
    "now.unsigned": ("'unsigned'", "AND f.care_plan_state = 'unsigned'"),
}


def _in_period(day: str) -> str:
    return f"{FACTS} WHERE f.{day} BETWEEN :start AND :end"


def _several_sql(measure: str) -> str:
    day, groups = SEVERAL[measure]
    cohort = _in_period(day) if day else OPEN
    return " UNION ALL ".join(f"SELECT f.case_id AS cid, '{g}' AS g {cohort} AND {test}" for g, test in groups)


MEASURES: dict[str, str] = {
    **{m: f"SELECT f.case_id AS cid, {group} AS g {OPEN} {test}" for m, (group, test) in NOW.items()},
    **{m: f"SELECT f.case_id AS cid, {group} AS g {_in_period(day)} {test}"
       for m, (day, group, test) in PERIOD.items()},
    **{m: _several_sql(m) for m in SEVERAL},
}


def measure_sql(measure: str, targets: dict[str, int] | None = None) -> str:
    if measure == "now.waiting":
        return waiting(targets or {})
    try:
        return MEASURES[measure]
    except KeyError:
        raise ValueError(f"unknown team measure {measure!r}") from None


def counts_sql(measure: str, targets: dict[str, int] | None = None) -> str:
    """``(g, cases)`` of any measure listed in ``MEASURES`` (one period, or now)."""
    return f"SELECT g, count(DISTINCT cid) FROM ({measure_sql(measure, targets)}) GROUP BY g"


def grouped_sql(measure: str, targets: dict[str, int] | None = None) -> str:
    """``(p, g, cases)`` in one range scan: for a period's measure, ``p`` 0 for the period
    (``:start``-``:end``) and 1 for the one before (``:pstart``-``:pend``); for now, ``p`` 0.
    ``p.to_assessment`` and ``p.to_plan`` list the days in place of the group (``bucket``
    and ``median`` make the table and the median of one list)."""
    if measure == "now.waiting":
        return f"SELECT 0, f.stage, count(*) {OPEN} AND {_waiting_test(targets or {})} GROUP BY f.stage"
    if measure in NOW:
        group, test = NOW[measure]
        return f"SELECT 0, {group}, count(*) {OPEN} {test} GROUP BY 2"
    if measure in SEVERAL:
        day, groups = SEVERAL[measure]
        sums = ", ".join(f"sum({test})" for _, test in groups)
        if not day:
            return f"SELECT 0, {sums} {OPEN}"
        return f"SELECT {_which(day)}, {sums} {_both(day)} GROUP BY 1"
    if measure not in PERIOD:
        raise ValueError(f"unknown team measure {measure!r}")
    day, group, test = PERIOD[measure]
    if measure in DAYS:
        group = days_sql(measure)
    return f"SELECT {_which(day)}, {group}, count(*) {_both(day)} {test} GROUP BY 1, 2"


def several_groups(measure: str) -> tuple[str, ...]:
    """The groups of a measure whose ``grouped_sql`` gives one column per group."""
    return tuple(g for g, _ in SEVERAL[measure][1]) if measure in SEVERAL else ()


def _which(day: str) -> str:
    return f"f.{day} < :start"


def _both(day: str) -> str:
    """The period and the one before (which ends the day before it starts) in one range."""
    return (f"{FACTS} WHERE f.{day} BETWEEN :pstart AND :end AND (f.{day} >= :start OR f.{day} <= :pend)")


def selection_sql(measure: str, targets: dict[str, int] | None = None) -> str:
    """The cases of one group (``:group``) of ``measure``: what its figure opens."""
    return f"SELECT cid FROM ({measure_sql(measure, targets)}) WHERE g = :group"


def median(days: dict[int, int]) -> float | None:
    """The median of days given as ``{days: cases}`` (the middle one, or the mean of the two
    middle ones); None when there are none."""
    total = sum(days.values())
    if not total:
        return None
    wanted = ((total - 1) // 2, total // 2)  # the middle positions, counted from 0
    values: list[int] = []
    seen = 0
    for d in sorted(days):
        for position in wanted:
            if seen <= position < seen + days[d]:
                values.append(d)
        seen += days[d]
    return sum(values) / len(values)


def median_sql(measure: str) -> str:
    """The median of the days behind ``p.to_assessment`` / ``p.to_plan`` in one period, in SQL
    (NULL when none): the same as ``median`` of the days ``grouped_sql`` lists."""
    inner = f"SELECT {days_sql(measure)} AS d {_in_period('opened_on')}"
    return (f"WITH d AS MATERIALIZED (SELECT d FROM ({inner}) WHERE d IS NOT NULL) SELECT avg(d) FROM "
            "(SELECT d FROM d ORDER BY d LIMIT 2 - (SELECT count(*) FROM d) % 2 "
            "OFFSET ((SELECT count(*) FROM d) - 1) / 2)")
