"""The SQL behind each team figure: one statement per measure, listing ``(cid, g)``, a case
and the group it counts in. A figure is the number of cases of one group; its drill-down is
the same statement narrowed to that group (``selection``), so the number and the cases the
list shows come from one definition and cannot disagree.

Where each figure comes from (docs/team-view.md says it for readers):

* the case row: status, stage, lead agency, risk level, care coordinator, opened and closed
  days, next review due (all indexed);
* the latest *final* response of a form for a case (an amendment supersedes the one it
  amends; drafts never count), read with SQLite's JSON functions: the referral's source,
  the lead agency decision's two severities (the quadrant), the joint assessment's mental
  health treatment need items, the substance profile's first row (the primary substance),
  the SADQ's twenty items (summed here), the discharge's reason and planned/unplanned;
* the first final response of each step's forms, for how long a case has waited at a step.

Statements take the named parameters ``:today`` (Now) or ``:start`` and ``:end`` (a
period, both days included). Literal SQL keeps each JSON test the same text as the partial
indexes of migration 0012, which SQLite uses only for a matching WHERE.
"""

from __future__ import annotations

from ddassess.domain.models import PATHWAY_STAGES

FINAL = "r.status = 'final'"


def latest(form_id: str) -> str:
    """The answers of the case's latest final ``form_id`` (NULL when none)."""
    return (f"(SELECT r.answers_json FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id = '{form_id}' "
            f"AND {FINAL} ORDER BY r.finalised_at DESC, r.id DESC LIMIT 1)")


def has_final(*form_ids: str) -> str:
    forms = ", ".join(f"'{f}'" for f in form_ids)
    return f"EXISTS (SELECT 1 FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id IN ({forms}) AND {FINAL})"


# Forms finalised to reach each step (services.case_pathway.FORM_STAGE, by step).
STEP_FORMS: dict[str, tuple[str, ...]] = {
    "consent": ("consent",),
    "screening": ("phq9", "gad7", "audit", "audit_c", "fast", "dast10", "sadq", "sds"),
    "joint_assessment": ("substance_profile", "joint_assessment", "risk"),
    "lead_agency": ("lead_agency",),
}
MH_SCREENS = ("phq9", "gad7")  # depression and anxiety screens
SUBSTANCE_SCREENS = ("audit", "audit_c", "fast", "dast10", "sadq")  # alcohol and drug screens
SIX_MONTHS = 183  # days

OPEN = "FROM cases AS c WHERE c.status = 'open'"
REFERRED = "FROM cases AS c WHERE c.opened_on BETWEEN :start AND :end"
CLOSED = "FROM cases AS c WHERE c.closed_on BETWEEN :start AND :end"

HIGH_HIGH = ("c.id IN (SELECT r.case_id FROM form_responses AS r WHERE r.form_id = 'lead_agency' AND "
             "r.status = 'final' AND json_extract(r.answers_json, '$.mh_severity') = 'high' AND "
             "json_extract(r.answers_json, '$.sm_severity') = 'high' AND NOT EXISTS (SELECT 1 FROM "
             "form_responses AS l WHERE l.case_id = r.case_id AND l.form_id = 'lead_agency' AND "
             "l.status = 'final' AND (l.finalised_at > r.finalised_at OR (l.finalised_at = r.finalised_at "
             "AND l.id > r.id))))")
COMPLEX = f"(c.risk_level IN ('high', 'urgent') OR {HIGH_HIGH})"


def _entered(stage: str) -> str:
    """The day an open case reached ``stage``: its first final form of that step."""
    if stage == "referral":
        return "c.opened_on"
    forms = ", ".join(f"'{f}'" for f in STEP_FORMS[stage])
    return (f"(SELECT min(substr(r.finalised_at, 1, 10)) FROM form_responses AS r WHERE r.case_id = c.id "
            f"AND r.form_id IN ({forms}) AND r.status IN ('final', 'superseded'))")


def waiting(targets: dict[str, int]) -> str:
    """Open cases at a step longer than its target (days): a case younger than the target is
    skipped before any form is read."""
    parts = []
    for stage in PATHWAY_STAGES:
        if stage not in targets:
            continue
        days = int(targets[stage])
        parts.append(f"SELECT c.id AS cid, '{stage}' AS g FROM cases AS c WHERE c.status = 'open' AND c.stage = "
                     f"'{stage}' AND c.opened_on < date(:today, '-{days} days') AND "
                     f"{_entered(stage)} < date(:today, '-{days} days')")
    return " UNION ALL ".join(parts) or "SELECT NULL AS cid, NULL AS g WHERE 0"


def _days_from_referral(event: str) -> str:
    return f"CAST(julianday({event}) - julianday(c.opened_on) AS INTEGER)"


ASSESSED_ON = ("(SELECT min(json_extract(r.answers_json, '$.assessed_on')) FROM form_responses AS r "
               f"WHERE r.case_id = c.id AND r.form_id = 'joint_assessment' AND {FINAL})")
# A care plan is signed when the person signs it (the form's own signature field): its day.
PLAN_SIGNED_ON = ("(SELECT min(substr(r.finalised_at, 1, 10)) FROM form_responses AS r WHERE r.case_id = c.id "
                  "AND r.form_id = 'care_plan' AND r.status IN ('final', 'superseded') AND "
                  "json_extract(r.answers_json, '$.person_signed') IS NOT NULL)")
BUCKETS = ((7, "0-7 days"), (14, "8-14 days"), (28, "15-28 days"), (56, "29-56 days"))


def bucketed(days: str) -> str:
    whens = " ".join(f"WHEN {days} <= {top} THEN '{label}'" for top, label in BUCKETS)
    return f"CASE WHEN {days} IS NULL THEN 'waiting' {whens} ELSE 'over 56 days' END"


def sadq_total() -> str:
    items = " + ".join(f"coalesce(json_extract(a, '$.q{i}'), 0)" for i in range(1, 21))
    return items


def _sadq_band() -> str:
    # SADQ bands (Stockwell et al. 1983, as the national treatment dataset collects them):
    # under 16 mild, 16-30 moderate, 31 or more severe.
    return ("CASE WHEN a IS NULL THEN 'none' WHEN t < 16 THEN 'mild' WHEN t <= 30 THEN 'moderate' "
            "ELSE 'severe' END")


MEASURES: dict[str, str] = {
    # Now
    "now.stage": f"SELECT c.id AS cid, c.stage AS g {OPEN}",
    "now.lead": f"SELECT c.id AS cid, c.lead_agency AS g {OPEN}",
    "now.risk": f"SELECT c.id AS cid, c.risk_level AS g {OPEN}",
    "now.complex": f"SELECT c.id AS cid, 'complex' AS g {OPEN} AND {COMPLEX}",
    "now.reviews": (f"SELECT c.id AS cid, 'overdue' AS g {OPEN} AND c.next_review_due < :today UNION ALL "
                    f"SELECT c.id AS cid, 'no_date' AS g {OPEN} AND c.stage IN ('care_plan', 'review') "
                    "AND c.next_review_due IS NULL"),
    "now.caseload": f"SELECT c.id AS cid, coalesce(CAST(c.care_coordinator_id AS TEXT), '') AS g {OPEN}",
    "now.unsigned": (f"SELECT c.id AS cid, 'unsigned' AS g {OPEN} AND {has_final('care_plan')} AND NOT EXISTS "
                     "(SELECT 1 FROM care_plans AS p JOIN care_plan_versions AS v ON v.care_plan_id = p.id "
                     "WHERE p.case_id = c.id AND v.status = 'signed')"),
    # A period
    "p.referrals": f"SELECT c.id AS cid, 'all' AS g {REFERRED}",
    "p.source": (f"SELECT c.id AS cid, CASE WHEN json_extract(a, '$.self_referral') = 1 THEN 'self' "
                 "ELSE coalesce(json_extract(a, '$.referrer_agency'), 'not_recorded') END AS g "
                 f"FROM (SELECT c.id, {latest('referral')} AS a {REFERRED}) AS c"),
    "p.agency": f"SELECT c.id AS cid, c.lead_agency AS g {REFERRED}",
    "p.to_assessment": (f"SELECT c.id AS cid, {bucketed('d')} AS g FROM (SELECT c.id, "
                        f"{_days_from_referral(ASSESSED_ON)} AS d {REFERRED}) AS c"),
    "p.to_plan": (f"SELECT c.id AS cid, {bucketed('d')} AS g FROM (SELECT c.id, "
                  f"{_days_from_referral(PLAN_SIGNED_ON)} AS d {REFERRED}) AS c"),
    "p.mh_need": ("SELECT c.id AS cid, CASE WHEN a IS NULL OR json_extract(a, '$.mh_treatment_need') IS NULL "
                  "THEN 'not_recorded' WHEN json_extract(a, '$.mh_treatment_need') = 0 THEN 'no_need' "
                  "WHEN json_extract(a, '$.mh_in_treatment') = 1 THEN 'need_treated' ELSE 'need_untreated' END AS g "
                  f"FROM (SELECT c.id, {latest('joint_assessment')} AS a {REFERRED}) AS c"),
    "p.substance": ("SELECT c.id AS cid, coalesce(json_extract(a, '$.substances[0].substance'), 'not_recorded') AS g "
                    f"FROM (SELECT c.id, {latest('substance_profile')} AS a {REFERRED}) AS c"),
    "p.sadq": (f"SELECT c.id AS cid, {_sadq_band()} AS g FROM (SELECT c.id, a, {sadq_total()} AS t FROM "
               f"(SELECT c.id, {latest('sadq')} AS a {REFERRED}) AS c) AS c"),
    "p.screening": (f"SELECT c.id AS cid, 'mh' AS g {REFERRED} AND {has_final(*MH_SCREENS)} UNION ALL "
                    f"SELECT c.id AS cid, 'substance' AS g {REFERRED} AND {has_final(*SUBSTANCE_SCREENS)} UNION ALL "
                    f"SELECT c.id AS cid, 'both' AS g {REFERRED} AND {has_final(*MH_SCREENS)} "
                    f"AND {has_final(*SUBSTANCE_SCREENS)}"),
    "p.exit_reason": ("SELECT c.id AS cid, coalesce(json_extract(a, '$.reason'), 'not_recorded') AS g "
                      f"FROM (SELECT c.id, {latest('discharge')} AS a {CLOSED}) AS c"),
    "p.exit_type": ("SELECT c.id AS cid, coalesce(json_extract(a, '$.planned'), 'not_recorded') AS g "
                    f"FROM (SELECT c.id, {latest('discharge')} AS a {CLOSED}) AS c"),
    "p.represented": (f"SELECT c.id AS cid, 'represented' AS g {REFERRED} AND EXISTS (SELECT 1 FROM cases AS o "
                      "WHERE o.person_id = c.person_id AND o.id != c.id AND o.closed_on IS NOT NULL AND "
                      f"o.closed_on <= c.opened_on AND o.closed_on >= date(c.opened_on, '-{SIX_MONTHS} days'))"),
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
    days = {"p.to_assessment": ASSESSED_ON, "p.to_plan": PLAN_SIGNED_ON}[measure]
    inner = f"SELECT {_days_from_referral(days)} AS d {REFERRED}"
    return (f"WITH d AS (SELECT d FROM ({inner}) WHERE d IS NOT NULL) SELECT avg(d) FROM (SELECT d FROM d "
            "ORDER BY d LIMIT 2 - (SELECT count(*) FROM d) % 2 OFFSET ((SELECT count(*) FROM d) - 1) / 2)")
