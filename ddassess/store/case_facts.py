"""Each case's facts for the team figures (table ``case_facts``), kept beside the case.

The team lead's figures ask the same questions of every case of a period: who referred it,
when was it jointly assessed, when did the person sign the care plan, is there a mental
health treatment need, what is the primary substance, the SADQ band, why did it end. Each
answer lies in the latest *final* response of a form, inside its JSON. Asking a quarter's
4,000 cases of a 100,000-case store means tens of thousands of reads of encrypted pages
each time the Team view opens; so the answers are worked out once, when a form is finalised
(or a care plan signed), by ``refresh`` here, and kept in one small row per case with no
text anyone wrote. The row also carries a copy of the case's own columns the figures group
by (step, risk, lead agency, referral and exit days, ...), so each figure is one range scan
of a covering index over these small rows (``INDEXES``), not a visit to each wide case row.

``FACTS_SQL`` is the one definition: ``refresh`` runs it for one case, ``rebuild`` for every
case, and the triggers on ``cases`` (0014) for a case whose own columns changed. Migrations
0012 and 0014 ran the copy of it frozen in ``store/migrations/case_facts_0014.py``: changing
anything here needs a migration that rebuilds the table and its triggers (the test of that
copy says so). The rows hold nothing that is not in the responses: deleting them
all and rebuilding gives the same table, so they are not audited (the responses they come
from are).
"""

from __future__ import annotations

from typing import Any

FINAL = "+r.status = 'final'"  # "+": the case's own forms by their index, not every final response
MH_SCREENS = ("phq9", "gad7")  # depression and anxiety screens
SUBSTANCE_SCREENS = ("audit", "audit_c", "fast", "dast10", "sadq")  # alcohol and drug screens
# Forms finalised to reach each step (services.case_pathway.FORM_STAGE, by step).
STEP_FORMS: dict[str, tuple[str, ...]] = {
    "consent": ("consent",),
    "screening": ("phq9", "gad7", "audit", "audit_c", "fast", "dast10", "sadq", "sds"),
    "joint_assessment": ("substance_profile", "joint_assessment", "risk"),
    "lead_agency": ("lead_agency",),
    "care_plan": ("care_plan", "crisis_plan"),
    "review": ("joint_review", "complex_case_review"),
}


def _forms(ids: tuple[str, ...]) -> str:
    return ", ".join(f"'{f}'" for f in ids)


def latest(form_id: str, value: str = "r.answers_json") -> str:
    """``value`` of the case's latest final ``form_id`` (NULL when none)."""
    return (f"(SELECT {value} FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id = '{form_id}' "
            f"AND {FINAL} ORDER BY r.finalised_at DESC, r.id DESC LIMIT 1)")


def has_final(*form_ids: str) -> str:
    return (f"EXISTS (SELECT 1 FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id IN ({_forms(form_ids)}) "
            f"AND {FINAL})")


def sadq_total(answers: str) -> str:
    """The SADQ total: its twenty items, each answered 0-3 (the answer is the item's score)."""
    return " + ".join(f"coalesce(json_extract({answers}, '$.q{i}'), 0)" for i in range(1, 21))


def _step_entered() -> str:
    """The day the case reached the step it is at: its first final form of that step."""
    whens = " ".join(
        f"WHEN '{stage}' THEN (SELECT min(substr(r.finalised_at, 1, 10)) FROM form_responses AS r WHERE "
        f"r.case_id = c.id AND r.form_id IN ({_forms(forms)}) AND +r.status IN ('final', 'superseded'))"
        for stage, forms in STEP_FORMS.items())
    return f"coalesce(CASE c.stage {whens} ELSE NULL END, c.opened_on)"


COLUMNS: dict[str, str] = {
    # who referred: 'self', the referring agency's value, or NULL (no final referral)
    "referral_source": latest("referral", "CASE WHEN json_extract(r.answers_json, '$.self_referral') = 1 "
                                          "THEN 'self' ELSE json_extract(r.answers_json, '$.referrer_agency') END"),
    "assessed_on": ("(SELECT min(json_extract(r.answers_json, '$.assessed_on')) FROM form_responses AS r "
                    f"WHERE r.case_id = c.id AND r.form_id = 'joint_assessment' AND {FINAL})"),
    # a care plan is signed when the person signs it (the form's own signature field): its day
    "plan_signed_on": ("(SELECT min(substr(r.finalised_at, 1, 10)) FROM form_responses AS r WHERE r.case_id = c.id "
                       "AND r.form_id = 'care_plan' AND +r.status IN ('final', 'superseded') AND "
                       "json_extract(r.answers_json, '$.person_signed') IS NOT NULL)"),
    "mh_need": latest("joint_assessment",
                      "CASE json_extract(r.answers_json, '$.mh_treatment_need') WHEN 0 THEN 'no_need' "
                      "WHEN 1 THEN CASE WHEN json_extract(r.answers_json, '$.mh_in_treatment') = 1 "
                      "THEN 'need_treated' ELSE 'need_untreated' END END"),
    "primary_substance": latest("substance_profile", "json_extract(r.answers_json, '$.substances[0].substance')"),
    # SADQ bands (Stockwell et al. 1983): under 16 mild, 16-30 moderate, 31 or more severe
    "sadq_band": latest("sadq", f"CASE WHEN ({sadq_total('r.answers_json')}) < 16 THEN 'mild' "
                                f"WHEN ({sadq_total('r.answers_json')}) <= 30 THEN 'moderate' ELSE 'severe' END"),
    "screened_mh": has_final(*MH_SCREENS),
    "screened_substance": has_final(*SUBSTANCE_SCREENS),
    "exit_reason": latest("discharge", "json_extract(r.answers_json, '$.reason')"),
    "exit_type": latest("discharge", "json_extract(r.answers_json, '$.planned')"),
    "high_high": latest("lead_agency", "json_extract(r.answers_json, '$.mh_severity') = 'high' AND "
                                       "json_extract(r.answers_json, '$.sm_severity') = 'high'"),
    # '' no final care plan; 'unsigned' no version of it signed as a PDF yet; 'signed'
    "care_plan_state": (f"CASE WHEN NOT {has_final('care_plan')} THEN '' WHEN EXISTS (SELECT 1 FROM care_plans AS p "
                        "JOIN care_plan_versions AS v ON v.care_plan_id = p.id WHERE p.case_id = c.id AND "
                        "v.status = 'signed') THEN 'signed' ELSE 'unsigned' END"),
    "step_entered": _step_entered(),
    "last_review_on": ("(SELECT max(json_extract(r.answers_json, '$.review_date')) FROM form_responses AS r "
                       f"WHERE r.case_id = c.id AND r.form_id = 'joint_review' AND {FINAL})"),
}
# The case's own columns, copied beside its facts so that every team figure reads one small
# row per case through one covering index (below), never the wide case row. The triggers
# keep them equal to the case row whatever changes it (a form, a practitioner, a received
# change from the other service, a reopening).
CASE_COLUMNS = ("ref", "person_id", "opened_on", "closed_on", "status", "stage", "lead_agency", "risk_level",
                "care_coordinator_id", "partner_worker_id", "next_review_due")
ALL_COLUMNS: dict[str, str] = {**{name: f"c.{name}" for name in CASE_COLUMNS}, **COLUMNS}
# Covering indexes (migration 0014): each team figure is one range scan of one of them.
INDEXES: dict[str, tuple[str, ...]] = {
    # the cases referred in a period, with every answer a period's figures group them by
    "ix_case_facts_referred": ("opened_on", "referral_source", "lead_agency", "mh_need", "primary_substance",
                               "sadq_band", "screened_mh", "screened_substance", "assessed_on", "plan_signed_on",
                               "person_id"),
    # the cases that ended in a period, by how and why
    "ix_case_facts_closed": ("closed_on", "exit_type", "exit_reason"),
    # a person's earlier episodes (re-presentations)
    "ix_case_facts_person": ("person_id", "closed_on"),
    # the open caseload, with every column a figure of "now" groups or filters it by
    "ix_case_facts_open": ("status", "stage", "lead_agency", "risk_level", "high_high", "care_coordinator_id",
                           "next_review_due", "care_plan_state", "step_entered", "opened_on"),
    # the complex high-risk cases (a partial index: those alone), as the Team view lists them
    "ix_case_facts_complex": ("status", "risk_level", "next_review_due", "ref", "high_high", "care_coordinator_id",
                              "partner_worker_id", "last_review_on"),
}
# Open, and urgent or high risk, or the latest lead agency decision high/high. A query uses
# ix_case_facts_complex only if its WHERE has these very terms: services/team_measures.py
# writes them from here.
COMPLEX = "(f.risk_level IN ('high', 'urgent') OR f.high_high = 1)"
PARTIAL: dict[str, str] = {"ix_case_facts_complex": f"status = 'open' AND {COMPLEX.replace('f.', '')}"}


def facts_sql(columns: tuple[str, ...] | None = None) -> str:
    """``INSERT OR REPLACE`` of the facts of the cases the caller's ``WHERE`` picks (every case
    without one); ``columns`` for a table with fewer of them (0012's, frozen from this)."""
    names = tuple(ALL_COLUMNS) if columns is None else columns
    return (f"INSERT OR REPLACE INTO case_facts (case_id, {', '.join(names)}) "
            f"SELECT c.id, {', '.join(ALL_COLUMNS[n] for n in names)} FROM cases AS c")


FACTS_SQL = facts_sql()
# A case inserted, or one of its columns changed: its facts again (migration 0014 made them;
# a migration that changes FACTS_SQL must make them again, as the store keeps their text).
TRIGGERS: dict[str, str] = {
    "case_facts_case_ai": f"AFTER INSERT ON cases BEGIN {FACTS_SQL} WHERE c.id = NEW.id; END",
    "case_facts_case_au": (f"AFTER UPDATE OF {', '.join(CASE_COLUMNS)} ON cases WHEN "
                           + " OR ".join(f"OLD.{n} IS NOT NEW.{n}" for n in CASE_COLUMNS)
                           + f" BEGIN {FACTS_SQL} WHERE c.id = NEW.id; END"),
}


def refresh(session: Any, case_id: int) -> None:
    """Work the case's facts out again from its responses (after a form is finalised or amended,
    or its care plan signed), inside the caller's transaction."""
    from sqlalchemy import text

    session.execute(text(FACTS_SQL + " WHERE c.id = :case_id"), {"case_id": case_id})


def refresh_many(session: Any, case_ids: list[int]) -> None:
    """``refresh`` for many cases, in one statement per 500 (applying a bundle touches
    a thousand cases)."""
    from sqlalchemy import text

    for i in range(0, len(case_ids), 500):
        chunk = case_ids[i:i + 500]
        marks = ", ".join(f":c{n}" for n in range(len(chunk)))
        session.execute(text(f"{FACTS_SQL} WHERE c.id IN ({marks})"), {f"c{n}": cid for n, cid in enumerate(chunk)})


def rebuild(conn: Any) -> None:
    """Every case's facts worked out again (a connection that runs SQL text)."""
    conn.exec_driver_sql("DELETE FROM case_facts")
    conn.exec_driver_sql(FACTS_SQL)
