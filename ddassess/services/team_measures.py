"""The SQL behind each team figure: one statement per measure, listing ``(cid, g)``, a case
and the group it counts in. A figure is the number of cases of one group; its drill-down is
the same statement narrowed to that group (``selection_sql``), so the number and the cases
the list shows come from one definition and cannot disagree.

Where each figure comes from (docs/team-view.md says it for readers): the case row (status,
step, lead agency, risk level, care coordinator, opened and closed days, next review due:
all indexed), and the case's facts (``store/case_facts.py``: what its latest final forms
say, worked out when each was finalised), joined by the case id. Nothing here reads a form's
answers: a quarter of a 100,000-case store is a few thousand small rows.

Statements take the named parameters ``:today`` (Now) or ``:start`` and ``:end`` (a
period, both days included).
"""

from __future__ import annotations

from ddassess.domain.models import PATHWAY_STAGES
from ddassess.store.case_facts import MH_SCREENS, SUBSTANCE_SCREENS

__all__ = ["MH_SCREENS", "SUBSTANCE_SCREENS", "counts_sql", "median_sql", "selection_sql"]

SIX_MONTHS = 183  # days
FACTS = "LEFT JOIN case_facts AS f ON f.case_id = c.id"
OPEN = f"FROM cases AS c {FACTS} WHERE c.status = 'open'"
REFERRED = f"FROM cases AS c {FACTS} WHERE c.opened_on BETWEEN :start AND :end"
CLOSED = f"FROM cases AS c {FACTS} WHERE c.closed_on BETWEEN :start AND :end"
COMPLEX = ("(c.risk_level IN ('high', 'urgent') OR c.id IN "
           "(SELECT x.case_id FROM case_facts AS x WHERE x.high_high = 1))")
BUCKETS = ((7, "0-7 days"), (14, "8-14 days"), (28, "15-28 days"), (56, "29-56 days"))


def waiting(targets: dict[str, int]) -> str:
    """Open cases at a step longer than its target (days); a case younger than the target is
    passed over before its facts are read."""
    parts = []
    for stage in PATHWAY_STAGES:
        if stage not in targets:
            continue
        days = int(targets[stage])
        parts.append(f"SELECT c.id AS cid, '{stage}' AS g {OPEN} AND c.stage = '{stage}' AND "
                     f"c.opened_on < date(:today, '-{days} days') AND "
                     f"coalesce(f.step_entered, c.opened_on) < date(:today, '-{days} days')")
    return " UNION ALL ".join(parts) or "SELECT NULL AS cid, NULL AS g WHERE 0"


def _days(column: str) -> str:
    return f"CAST(julianday(f.{column}) - julianday(c.opened_on) AS INTEGER)"


def bucketed(days: str) -> str:
    whens = " ".join(f"WHEN {days} <= {top} THEN '{label}'" for top, label in BUCKETS)
    return f"CASE WHEN {days} IS NULL THEN 'waiting' {whens} ELSE 'over 56 days' END"


def _per_case(cohort: str, columns: str, group: str) -> str:
    """``group`` worked out from ``columns`` of each case of ``cohort``, read once into a
    materialised table (SQLite would otherwise work a column out again wherever the group's
    expression names it)."""
    return f"WITH c AS MATERIALIZED (SELECT c.id AS id, {columns} {cohort}) SELECT c.id AS cid, {group} AS g FROM c"


MEASURES: dict[str, str] = {
    # Now
    "now.stage": "SELECT c.id AS cid, c.stage AS g FROM cases AS c WHERE c.status = 'open'",
    "now.lead": "SELECT c.id AS cid, c.lead_agency AS g FROM cases AS c WHERE c.status = 'open'",
    "now.risk": "SELECT c.id AS cid, c.risk_level AS g FROM cases AS c WHERE c.status = 'open'",
    "now.complex": f"SELECT c.id AS cid, 'complex' AS g FROM cases AS c WHERE c.status = 'open' AND {COMPLEX}",
    "now.reviews": ("SELECT c.id AS cid, 'overdue' AS g FROM cases AS c WHERE c.status = 'open' AND "
                    "c.next_review_due < :today UNION ALL SELECT c.id AS cid, 'no_date' AS g FROM cases AS c "
                    "WHERE c.status = 'open' AND c.stage IN ('care_plan', 'review') AND c.next_review_due IS NULL"),
    "now.caseload": ("SELECT c.id AS cid, coalesce(CAST(c.care_coordinator_id AS TEXT), '') AS g FROM cases AS c "
                     "WHERE c.status = 'open'"),
    "now.unsigned": ("SELECT c.id AS cid, 'unsigned' AS g FROM case_facts AS f JOIN cases AS c ON c.id = f.case_id "
                     "WHERE f.care_plan_state = 'unsigned' AND c.status = 'open'"),
    # A period
    "p.referrals": "SELECT c.id AS cid, 'all' AS g FROM cases AS c WHERE c.opened_on BETWEEN :start AND :end",
    "p.source": f"SELECT c.id AS cid, coalesce(f.referral_source, 'not_recorded') AS g {REFERRED}",
    "p.agency": "SELECT c.id AS cid, c.lead_agency AS g FROM cases AS c WHERE c.opened_on BETWEEN :start AND :end",
    "p.to_assessment": _per_case(REFERRED, f"{_days('assessed_on')} AS d", bucketed("d")),
    "p.to_plan": _per_case(REFERRED, f"{_days('plan_signed_on')} AS d", bucketed("d")),
    "p.mh_need": f"SELECT c.id AS cid, coalesce(f.mh_need, 'not_recorded') AS g {REFERRED}",
    "p.substance": f"SELECT c.id AS cid, coalesce(f.primary_substance, 'not_recorded') AS g {REFERRED}",
    "p.sadq": f"SELECT c.id AS cid, coalesce(f.sadq_band, 'none') AS g {REFERRED}",
    "p.screening": (f"SELECT c.id AS cid, 'mh' AS g {REFERRED} AND f.screened_mh UNION ALL "
                    f"SELECT c.id AS cid, 'substance' AS g {REFERRED} AND f.screened_substance UNION ALL "
                    f"SELECT c.id AS cid, 'both' AS g {REFERRED} AND f.screened_mh AND f.screened_substance"),
    "p.exit_reason": f"SELECT c.id AS cid, coalesce(f.exit_reason, 'not_recorded') AS g {CLOSED}",
    "p.exit_type": f"SELECT c.id AS cid, coalesce(f.exit_type, 'not_recorded') AS g {CLOSED}",
    "p.represented": ("SELECT c.id AS cid, 'represented' AS g FROM cases AS c WHERE c.opened_on BETWEEN :start "
                      "AND :end AND EXISTS (SELECT 1 FROM cases AS o WHERE o.person_id = c.person_id AND "
                      "o.id != c.id AND o.closed_on IS NOT NULL AND o.closed_on <= c.opened_on AND "
                      f"o.closed_on >= date(c.opened_on, '-{SIX_MONTHS} days'))"),
}


def measure_sql(measure: str, targets: dict[str, int] | None = None) -> str:
    if measure == "now.waiting":
        return waiting(targets or {})
    try:
        return MEASURES[measure]
    except KeyError:
        raise ValueError(f"unknown team measure {measure!r}") from None


def counts_sql(measure: str, targets: dict[str, int] | None = None) -> str:
    return f"SELECT g, count(DISTINCT cid) FROM ({measure_sql(measure, targets)}) GROUP BY g"


def selection_sql(measure: str, targets: dict[str, int] | None = None) -> str:
    """The cases of one group (``:group``) of ``measure``: what its figure opens."""
    return f"SELECT cid FROM ({measure_sql(measure, targets)}) WHERE g = :group"


def median_sql(measure: str) -> str:
    """The median of the days behind ``p.to_assessment`` / ``p.to_plan`` (NULL when none)."""
    column = {"p.to_assessment": "assessed_on", "p.to_plan": "plan_signed_on"}[measure]
    inner = f"SELECT {_days(column)} AS d {REFERRED}"
    return (f"WITH d AS MATERIALIZED (SELECT d FROM ({inner}) WHERE d IS NOT NULL) SELECT avg(d) FROM "
            "(SELECT d FROM d ORDER BY d LIMIT 2 - (SELECT count(*) FROM d) % 2 "
            "OFFSET ((SELECT count(*) FROM d) - 1) / 2)")
