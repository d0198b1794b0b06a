"""The SQL of ``case_facts`` as migrations 0012 and 0014 made it, frozen.

A migration must do the same thing whenever it runs, so it cannot read today's
``store/case_facts.py``: once that module changes, an old store upgraded through 0012 and 0014
would get the new SQL (and fail, or build a table a later migration does not expect). These
are the texts those two migrations ran when they were written, copied as they were.
``tests/store/test_case_facts_frozen.py`` fails when ``store/case_facts.py`` no longer says the
same: a change there comes with a migration of its own that rebuilds the table and its
triggers (the store keeps the triggers' text), and with a frozen copy of its own beside this.
"""

# 0012: every case's facts, into the columns 0012 made
FACTS_SQL_0012 = (
    "INSERT OR REPLACE INTO case_facts (case_id, referral_source, assessed_on, plan_signed_on, mh_need, "
    "primary_substance, sadq_band, screened_mh, screened_substance, exit_reason, exit_type, high_high, "
    "care_plan_state, step_entered, last_review_on) SELECT c.id, (SELECT CASE WHEN json_extract(r.answers_json, "
    "'$.self_referral') = 1 THEN 'self' ELSE json_extract(r.answers_json, '$.referrer_agency') END FROM "
    "form_responses AS r WHERE r.case_id = c.id AND r.form_id = 'referral' AND +r.status = 'final' ORDER BY "
    "r.finalised_at DESC, r.id DESC LIMIT 1), (SELECT min(json_extract(r.answers_json, '$.assessed_on')) FROM "
    "form_responses AS r WHERE r.case_id = c.id AND r.form_id = 'joint_assessment' AND +r.status = 'final'), "
    "(SELECT min(substr(r.finalised_at, 1, 10)) FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id = "
    "'care_plan' AND +r.status IN ('final', 'superseded') AND json_extract(r.answers_json, '$.person_signed') IS "
    "NOT NULL), (SELECT CASE json_extract(r.answers_json, '$.mh_treatment_need') WHEN 0 THEN 'no_need' WHEN 1 THEN "
    "CASE WHEN json_extract(r.answers_json, '$.mh_in_treatment') = 1 THEN 'need_treated' ELSE 'need_untreated' END "
    "END FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id = 'joint_assessment' AND +r.status = "
    "'final' ORDER BY r.finalised_at DESC, r.id DESC LIMIT 1), (SELECT json_extract(r.answers_json, "
    "'$.substances[0].substance') FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id = "
    "'substance_profile' AND +r.status = 'final' ORDER BY r.finalised_at DESC, r.id DESC LIMIT 1), (SELECT CASE "
    "WHEN (coalesce(json_extract(r.answers_json, '$.q1'), 0) + coalesce(json_extract(r.answers_json, '$.q2'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q3'), 0) + coalesce(json_extract(r.answers_json, '$.q4'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q5'), 0) + coalesce(json_extract(r.answers_json, '$.q6'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q7'), 0) + coalesce(json_extract(r.answers_json, '$.q8'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q9'), 0) + coalesce(json_extract(r.answers_json, '$.q10'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q11'), 0) + coalesce(json_extract(r.answers_json, '$.q12'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q13'), 0) + coalesce(json_extract(r.answers_json, '$.q14'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q15'), 0) + coalesce(json_extract(r.answers_json, '$.q16'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q17'), 0) + coalesce(json_extract(r.answers_json, '$.q18'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q19'), 0) + coalesce(json_extract(r.answers_json, '$.q20'), 0)) < 16 "
    "THEN 'mild' WHEN (coalesce(json_extract(r.answers_json, '$.q1'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q2'), 0) + coalesce(json_extract(r.answers_json, '$.q3'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q4'), 0) + coalesce(json_extract(r.answers_json, '$.q5'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q6'), 0) + coalesce(json_extract(r.answers_json, '$.q7'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q8'), 0) + coalesce(json_extract(r.answers_json, '$.q9'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q10'), 0) + coalesce(json_extract(r.answers_json, '$.q11'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q12'), 0) + coalesce(json_extract(r.answers_json, '$.q13'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q14'), 0) + coalesce(json_extract(r.answers_json, '$.q15'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q16'), 0) + coalesce(json_extract(r.answers_json, '$.q17'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q18'), 0) + coalesce(json_extract(r.answers_json, '$.q19'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q20'), 0)) <= 30 THEN 'moderate' ELSE 'severe' END FROM form_responses AS r WHERE r.case_id = c.id AND "
    "r.form_id = 'sadq' AND +r.status = 'final' ORDER BY r.finalised_at DESC, r.id DESC LIMIT 1), EXISTS (SELECT 1 "
    "FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id IN ('phq9', 'gad7') AND +r.status = 'final'), "
    "EXISTS (SELECT 1 FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id IN ('audit', 'audit_c', "
    "'fast', 'dast10', 'sadq') AND +r.status = 'final'), (SELECT json_extract(r.answers_json, '$.reason') FROM "
    "form_responses AS r WHERE r.case_id = c.id AND r.form_id = 'discharge' AND +r.status = 'final' ORDER BY "
    "r.finalised_at DESC, r.id DESC LIMIT 1), (SELECT json_extract(r.answers_json, '$.planned') FROM "
    "form_responses AS r WHERE r.case_id = c.id AND r.form_id = 'discharge' AND +r.status = 'final' ORDER BY "
    "r.finalised_at DESC, r.id DESC LIMIT 1), (SELECT json_extract(r.answers_json, '$.mh_severity') = 'high' AND "
    "json_extract(r.answers_json, '$.sm_severity') = 'high' FROM form_responses AS r WHERE r.case_id = c.id AND "
    "r.form_id = 'lead_agency' AND +r.status = 'final' ORDER BY r.finalised_at DESC, r.id DESC LIMIT 1), CASE WHEN "
    "NOT EXISTS (SELECT 1 FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id IN ('care_plan') AND "
    "+r.status = 'final') THEN '' WHEN EXISTS (SELECT 1 FROM care_plans AS p JOIN care_plan_versions AS v ON "
    "v.care_plan_id = p.id WHERE p.case_id = c.id AND v.status = 'signed') THEN 'signed' ELSE 'unsigned' END, "
    "coalesce(CASE c.stage WHEN 'consent' THEN (SELECT min(substr(r.finalised_at, 1, 10)) FROM form_responses AS r "
    "WHERE r.case_id = c.id AND r.form_id IN ('consent') AND +r.status IN ('final', 'superseded')) WHEN "
    "'screening' THEN (SELECT min(substr(r.finalised_at, 1, 10)) FROM form_responses AS r WHERE r.case_id = c.id "
    "AND r.form_id IN ('phq9', 'gad7', 'audit', 'audit_c', 'fast', 'dast10', 'sadq', 'sds') AND +r.status IN "
    "('final', 'superseded')) WHEN 'joint_assessment' THEN (SELECT min(substr(r.finalised_at, 1, 10)) FROM "
    "form_responses AS r WHERE r.case_id = c.id AND r.form_id IN ('substance_profile', 'joint_assessment', 'risk') "
    "AND +r.status IN ('final', 'superseded')) WHEN 'lead_agency' THEN (SELECT min(substr(r.finalised_at, 1, 10)) "
    "FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id IN ('lead_agency') AND +r.status IN ('final', "
    "'superseded')) WHEN 'care_plan' THEN (SELECT min(substr(r.finalised_at, 1, 10)) FROM form_responses AS r "
    "WHERE r.case_id = c.id AND r.form_id IN ('care_plan', 'crisis_plan') AND +r.status IN ('final', "
    "'superseded')) WHEN 'review' THEN (SELECT min(substr(r.finalised_at, 1, 10)) FROM form_responses AS r WHERE "
    "r.case_id = c.id AND r.form_id IN ('joint_review', 'complex_case_review') AND +r.status IN ('final', "
    "'superseded')) ELSE NULL END, c.opened_on), (SELECT max(json_extract(r.answers_json, '$.review_date')) FROM "
    "form_responses AS r WHERE r.case_id = c.id AND r.form_id = 'joint_review' AND +r.status = 'final') FROM cases "
    "AS c"
)

# 0014: every case's facts (the table with the case's own columns), its covering indexes
# (one partial) and the triggers on ``cases`` that keep a case's row
FACTS_SQL = (
    "INSERT OR REPLACE INTO case_facts (case_id, ref, person_id, opened_on, closed_on, status, stage, lead_agency, "
    "risk_level, care_coordinator_id, partner_worker_id, next_review_due, referral_source, assessed_on, "
    "plan_signed_on, mh_need, primary_substance, sadq_band, screened_mh, screened_substance, exit_reason, "
    "exit_type, high_high, care_plan_state, step_entered, last_review_on) SELECT c.id, c.ref, c.person_id, "
    "c.opened_on, c.closed_on, c.status, c.stage, c.lead_agency, c.risk_level, c.care_coordinator_id, "
    "c.partner_worker_id, c.next_review_due, (SELECT CASE WHEN json_extract(r.answers_json, '$.self_referral') = 1 "
    "THEN 'self' ELSE json_extract(r.answers_json, '$.referrer_agency') END FROM form_responses AS r WHERE "
    "r.case_id = c.id AND r.form_id = 'referral' AND +r.status = 'final' ORDER BY r.finalised_at DESC, r.id DESC "
    "LIMIT 1), (SELECT min(json_extract(r.answers_json, '$.assessed_on')) FROM form_responses AS r WHERE r.case_id "
    "= c.id AND r.form_id = 'joint_assessment' AND +r.status = 'final'), (SELECT min(substr(r.finalised_at, 1, "
    "10)) FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id = 'care_plan' AND +r.status IN ('final', "
    "'superseded') AND json_extract(r.answers_json, '$.person_signed') IS NOT NULL), (SELECT CASE "
    "json_extract(r.answers_json, '$.mh_treatment_need') WHEN 0 THEN 'no_need' WHEN 1 THEN CASE WHEN "
    "json_extract(r.answers_json, '$.mh_in_treatment') = 1 THEN 'need_treated' ELSE 'need_untreated' END END FROM "
    "form_responses AS r WHERE r.case_id = c.id AND r.form_id = 'joint_assessment' AND +r.status = 'final' ORDER "
    "BY r.finalised_at DESC, r.id DESC LIMIT 1), (SELECT json_extract(r.answers_json, '$.substances[0].substance') "
    "FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id = 'substance_profile' AND +r.status = 'final' "
    "ORDER BY r.finalised_at DESC, r.id DESC LIMIT 1), (SELECT CASE WHEN (coalesce(json_extract(r.answers_json, "
    "'$.q1'), 0) + coalesce(json_extract(r.answers_json, '$.q2'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q3'), 0) + coalesce(json_extract(r.answers_json, '$.q4'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q5'), 0) + coalesce(json_extract(r.answers_json, '$.q6'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q7'), 0) + coalesce(json_extract(r.answers_json, '$.q8'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q9'), 0) + coalesce(json_extract(r.answers_json, '$.q10'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q11'), 0) + coalesce(json_extract(r.answers_json, '$.q12'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q13'), 0) + coalesce(json_extract(r.answers_json, '$.q14'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q15'), 0) + coalesce(json_extract(r.answers_json, '$.q16'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q17'), 0) + coalesce(json_extract(r.answers_json, '$.q18'), 0) + coalesce(json_extract(r.answers_json, "
    "'$.q19'), 0) + coalesce(json_extract(r.answers_json, '$.q20'), 0)) < 16 THEN 'mild' WHEN "
    "(coalesce(json_extract(r.answers_json, '$.q1'), 0) + coalesce(json_extract(r.answers_json, '$.q2'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q3'), 0) + coalesce(json_extract(r.answers_json, '$.q4'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q5'), 0) + coalesce(json_extract(r.answers_json, '$.q6'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q7'), 0) + coalesce(json_extract(r.answers_json, '$.q8'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q9'), 0) + coalesce(json_extract(r.answers_json, '$.q10'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q11'), 0) + coalesce(json_extract(r.answers_json, '$.q12'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q13'), 0) + coalesce(json_extract(r.answers_json, '$.q14'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q15'), 0) + coalesce(json_extract(r.answers_json, '$.q16'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q17'), 0) + coalesce(json_extract(r.answers_json, '$.q18'), 0) + "
    "coalesce(json_extract(r.answers_json, '$.q19'), 0) + coalesce(json_extract(r.answers_json, '$.q20'), 0)) <= "
    "30 THEN 'moderate' ELSE 'severe' END FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id = 'sadq' "
    "AND +r.status = 'final' ORDER BY r.finalised_at DESC, r.id DESC LIMIT 1), EXISTS (SELECT 1 FROM "
    "form_responses AS r WHERE r.case_id = c.id AND r.form_id IN ('phq9', 'gad7') AND +r.status = 'final'), EXISTS "
    "(SELECT 1 FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id IN ('audit', 'audit_c', 'fast', "
    "'dast10', 'sadq') AND +r.status = 'final'), (SELECT json_extract(r.answers_json, '$.reason') FROM "
    "form_responses AS r WHERE r.case_id = c.id AND r.form_id = 'discharge' AND +r.status = 'final' ORDER BY "
    "r.finalised_at DESC, r.id DESC LIMIT 1), (SELECT json_extract(r.answers_json, '$.planned') FROM "
    "form_responses AS r WHERE r.case_id = c.id AND r.form_id = 'discharge' AND +r.status = 'final' ORDER BY "
    "r.finalised_at DESC, r.id DESC LIMIT 1), (SELECT json_extract(r.answers_json, '$.mh_severity') = 'high' AND "
    "json_extract(r.answers_json, '$.sm_severity') = 'high' FROM form_responses AS r WHERE r.case_id = c.id AND "
    "r.form_id = 'lead_agency' AND +r.status = 'final' ORDER BY r.finalised_at DESC, r.id DESC LIMIT 1), CASE WHEN "
    "NOT EXISTS (SELECT 1 FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id IN ('care_plan') AND "
    "+r.status = 'final') THEN '' WHEN EXISTS (SELECT 1 FROM care_plans AS p JOIN care_plan_versions AS v ON "
    "v.care_plan_id = p.id WHERE p.case_id = c.id AND v.status = 'signed') THEN 'signed' ELSE 'unsigned' END, "
    "coalesce(CASE c.stage WHEN 'consent' THEN (SELECT min(substr(r.finalised_at, 1, 10)) FROM form_responses AS r "
    "WHERE r.case_id = c.id AND r.form_id IN ('consent') AND +r.status IN ('final', 'superseded')) WHEN "
    "'screening' THEN (SELECT min(substr(r.finalised_at, 1, 10)) FROM form_responses AS r WHERE r.case_id = c.id "
    "AND r.form_id IN ('phq9', 'gad7', 'audit', 'audit_c', 'fast', 'dast10', 'sadq', 'sds') AND +r.status IN "
    "('final', 'superseded')) WHEN 'joint_assessment' THEN (SELECT min(substr(r.finalised_at, 1, 10)) FROM "
    "form_responses AS r WHERE r.case_id = c.id AND r.form_id IN ('substance_profile', 'joint_assessment', 'risk') "
    "AND +r.status IN ('final', 'superseded')) WHEN 'lead_agency' THEN (SELECT min(substr(r.finalised_at, 1, 10)) "
    "FROM form_responses AS r WHERE r.case_id = c.id AND r.form_id IN ('lead_agency') AND +r.status IN ('final', "
    "'superseded')) WHEN 'care_plan' THEN (SELECT min(substr(r.finalised_at, 1, 10)) FROM form_responses AS r "
    "WHERE r.case_id = c.id AND r.form_id IN ('care_plan', 'crisis_plan') AND +r.status IN ('final', "
    "'superseded')) WHEN 'review' THEN (SELECT min(substr(r.finalised_at, 1, 10)) FROM form_responses AS r WHERE "
    "r.case_id = c.id AND r.form_id IN ('joint_review', 'complex_case_review') AND +r.status IN ('final', "
    "'superseded')) ELSE NULL END, c.opened_on), (SELECT max(json_extract(r.answers_json, '$.review_date')) FROM "
    "form_responses AS r WHERE r.case_id = c.id AND r.form_id = 'joint_review' AND +r.status = 'final') FROM cases "
    "AS c"
)
INDEXES: dict[str, tuple[str, ...]] = {
    "ix_case_facts_referred": (
        "opened_on",
        "referral_source",
        "lead_agency",
        "mh_need",
        "primary_substance",
        "sadq_band",
        "screened_mh",
        "screened_substance",
        "assessed_on",
        "plan_signed_on",
        "person_id",
    ),
    "ix_case_facts_closed": ("closed_on", "exit_type", "exit_reason"),
    "ix_case_facts_person": ("person_id", "closed_on"),
    "ix_case_facts_open": (
        "status",
        "stage",
        "lead_agency",
        "risk_level",
        "high_high",
        "care_coordinator_id",
        "next_review_due",
        "care_plan_state",
        "step_entered",
        "opened_on",
    ),
    "ix_case_facts_complex": (
        "status",
        "risk_level",
        "next_review_due",
        "ref",
        "high_high",
        "care_coordinator_id",
        "partner_worker_id",
        "last_review_on",
    ),
}
PARTIAL: dict[str, str] = {
    "ix_case_facts_complex": "status = 'open' AND (risk_level IN ('high', 'urgent') OR high_high = 1)"
}
# The triggers' text: the facts of the one case inserted or changed.
_AU_WHEN = (
    "AFTER UPDATE OF ref, person_id, opened_on, closed_on, status, stage, lead_agency, risk_level, "
    "care_coordinator_id, partner_worker_id, next_review_due ON cases WHEN OLD.ref IS NOT NEW.ref OR "
    "OLD.person_id IS NOT NEW.person_id OR OLD.opened_on IS NOT NEW.opened_on OR OLD.closed_on IS NOT "
    "NEW.closed_on OR OLD.status IS NOT NEW.status OR OLD.stage IS NOT NEW.stage OR OLD.lead_agency IS "
    "NOT NEW.lead_agency OR OLD.risk_level IS NOT NEW.risk_level OR OLD.care_coordinator_id IS NOT "
    "NEW.care_coordinator_id OR OLD.partner_worker_id IS NOT NEW.partner_worker_id OR "
    "OLD.next_review_due IS NOT NEW.next_review_due"
)
TRIGGERS: dict[str, str] = {
    "case_facts_case_ai": f"AFTER INSERT ON cases BEGIN {FACTS_SQL} WHERE c.id = NEW.id; END",
    "case_facts_case_au": f"{_AU_WHEN} BEGIN {FACTS_SQL} WHERE c.id = NEW.id; END",
}
