"""The risk assessment tells the truth: a hidden answer cannot hide a risk, PHQ-9 item 9
reaches it, and its answers agree with each other (issue 12, "Risk").

PHQ-9 item 9: Kroenke, Spitzer & Williams (2001), "The PHQ-9: validity of a brief depression
severity measure", J Gen Intern Med 16(9):606-613 — any answer above "Not at all" to item 9
calls for a risk assessment whatever the total. Naloxone for people who use opioids: WHO
(2014), "Community management of opioid overdose"; PHE (2019), "Widening the availability of
naloxone".
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ddassess.codes import Code
from ddassess.formengine import evaluate, load_catalogue

FORMS = Path(__file__).resolve().parents[3] / "forms"
TODAY = dt.date(2026, 11, 24)
DOMAINS = ("self", "others", "from_others", "self_neglect", "overdose", "injecting", "children", "adults",
           "disengagement")


class Case:
    """A case's other forms, as the store answers latest()."""

    def __init__(self, **forms):
        self.forms = forms

    def lookup(self, form_id, name):
        return self.forms.get(form_id, {}).get(name)


def nothing_present(**more):
    answers = {f"{d}_present": False for d in DOMAINS}
    answers |= {"overall_level": "low", "assessed_by": "Testy McTestface", "assessed_on": "2026-11-24",
                "review_by": "2026-12-24"}
    return answers | more


def problems(ev, code):
    return {p.field: p for p in ev.problems if p.code == code}


@pytest.mark.parametrize("domain", DOMAINS)
def test_a_domain_answered_not_present_cannot_hide_stored_severity_or_imminence(catalogue, domain):
    spec = catalogue.get("risk")
    answers = nothing_present(**{f"{domain}_severity": "high", f"{domain}_imminence": "immediate"})
    ev = evaluate(spec, answers, today=TODAY)
    assert not ev.flags  # hidden answers are not flags ...
    stale = problems(ev, Code.ANS_015)  # ... but they are errors that name the question and say what to do
    assert set(stale) == {f"{domain}_severity", f"{domain}_imminence"}
    assert all(p.severity == "error" for p in stale.values()) and not ev.complete
    message = stale[f"{domain}_imminence"].message
    assert "'Imminence'" in message and "'Immediate'" in message and "Clear the hidden answer" in message
    # answering that the risk is present raises the flags the answers always meant
    shown = evaluate(spec, answers | {f"{domain}_present": True}, today=TODAY)
    assert {f"{domain}_imminent", f"{domain}_high"} <= {f.id for f in shown.flags}
    assert not problems(shown, Code.ANS_015)
    # clearing them ends the problem
    cleared = {k: v for k, v in answers.items() if k not in stale}
    assert not problems(evaluate(spec, cleared, today=TODAY), Code.ANS_015)


def test_hidden_answers_that_raise_nothing_are_kept_without_a_problem(catalogue):
    answers = nothing_present(self_history="An old note", self_severity="low", self_imminence="long_term")
    ev = evaluate(catalogue.get("risk"), answers, today=TODAY)
    assert ev.problems == [] and ev.flags == []


def test_the_hidden_answer_rule_is_the_engines_for_any_form(tmp_path):
    (tmp_path / "tiny.yaml").write_text("""
id: tiny
version: 1
title: Tiny
kind: pathway
purpose: A test form.
licence: {text: Test only., attribution: Nobody., source: None.}
sections:
  - id: s
    title: S
    fields:
      - {id: asked, type: yes_no, label: Asked?, help: Gate.}
      - {id: amount, type: integer, label: Amount, help: How much., show_if: asked == true}
flags:
  - {id: much, when: amount >= 10, severity: urgent, message: "A lot."}
""", encoding="utf-8")
    cat = load_catalogue(tmp_path)
    assert cat.problems == []
    ev = evaluate(cat.get("tiny"), {"asked": False, "amount": 12})
    assert [(p.code, p.field) for p in ev.problems] == [(Code.ANS_015, "amount")]
    assert "A lot." in ev.problems[0].message
    assert evaluate(cat.get("tiny"), {"asked": False, "amount": 3}).problems == []


def test_forms_score_reports_the_hidden_risk(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(nothing_present(overdose_imminence="days", review_by="2099-01-01")))
    out = subprocess.run([sys.executable, "-m", "ddassess", "forms", "score", "risk", "--answers", str(answers)],
                         capture_output=True, text=True, check=False)
    result = json.loads(out.stdout)
    assert result["flags"] == []
    assert [(p["code"], p["field"]) for p in result["problems"]] == [("ANS_015", "overdose_imminence")]


def test_positive_phq9_item_9_suggests_risk_to_self(catalogue):
    """PHQ-9 item 9 (Kroenke et al. 2001): any answer above 'Not at all' needs a risk assessment."""
    spec = catalogue.get("risk")
    for q9, suggested in ((0, None), (1, True), (3, True)):
        ev = evaluate(spec, {}, Case(phq9={"q9": q9}), today=TODAY)
        assert ev.prefills.get("self_present") is suggested
    assert "self_present" not in evaluate(spec, {}, Case(), today=TODAY).prefills
    # a suggestion is never an answer: the practitioner's own answer wins
    assert "self_present" not in evaluate(spec, {"self_present": False}, Case(phq9={"q9": 2}), today=TODAY).prefills


def test_no_risk_to_self_after_positive_phq9_item_9_is_flagged(catalogue):
    """PHQ-9 item 9 (Kroenke et al. 2001) positive, risk form says no risk to self: a high flag."""
    spec = catalogue.get("risk")
    ev = evaluate(spec, nothing_present(), Case(phq9={"q9": 1}), today=TODAY)
    assert [(f.id, f.severity) for f in ev.flags] == [("self_denied_after_phq9", "high")]
    assert "PHQ-9" in ev.flags[0].message
    assert evaluate(spec, nothing_present(), Case(phq9={"q9": 0}), today=TODAY).flags == []
    assert evaluate(spec, nothing_present(), Case(), today=TODAY).flags == []


def test_overall_level_below_the_highest_domain_is_a_problem(catalogue):
    spec = catalogue.get("risk")
    present = {"others_present": True, "others_indicators": "Threats", "others_severity": "high",
               "others_imminence": "weeks", "others_plan": "Joint visits only"}
    ev = evaluate(spec, nothing_present(**present, overall_level="medium"), today=TODAY)
    assert set(problems(ev, Code.ANS_016)) == {"overall_level"}
    assert evaluate(spec, nothing_present(**present, overall_level="high"), today=TODAY).problems == []
    # a hidden domain does not count
    ev = evaluate(spec, nothing_present(self_neglect_present=False, overall_level="none"), today=TODAY)
    assert ev.problems == []


def test_review_date_before_the_assessment_or_past_is_a_problem(catalogue):
    spec = catalogue.get("risk")
    before = evaluate(spec, nothing_present(assessed_on="2026-11-20", review_by="2026-11-10"), today=TODAY)
    assert [p.field for p in before.problems if p.code == Code.ANS_016] == ["review_by", "review_by"]
    assert any("before the date of assessment" in p.message for p in before.problems)
    past = evaluate(spec, nothing_present(assessed_on="2026-11-01", review_by="2026-11-23"), today=TODAY)
    assert [p.field for p in past.problems] == ["review_by"] and "already passed" in past.problems[0].message
    assert "review_overdue" in {f.id for f in past.flags}  # and a final assessment past its date is overdue
    assert evaluate(spec, nothing_present(review_by="2026-11-24"), today=TODAY).problems == []


def test_naloxone_flag_only_when_opioid_use_is_recorded(catalogue):
    """Naloxone is for people who use opioids (WHO 2014; PHE 2019)."""
    spec = catalogue.get("crisis_plan")
    base = {"early_warning_signs": "a", "triggers": "b", "what_helps": "c", "naloxone_held": False,
            "contacts": [{"name": "Crisis line", "phone": "01632 960000", "when": "any_time"}]}
    no_opioids = Case(substance_profile={"substances": [{"substance": "alcohol"}, {"substance": "cannabis"}]})
    assert evaluate(spec, base, no_opioids, today=TODAY).flags == []
    assert evaluate(spec, base, Case(), today=TODAY).flags == []
    for opioid in ("heroin", "other_opioid"):
        case = Case(substance_profile={"substances": [{"substance": "alcohol"}, {"substance": opioid}]})
        assert [f.id for f in evaluate(spec, base, case, today=TODAY).flags] == ["no_naloxone"]
        assert evaluate(spec, base | {"naloxone_held": True}, case, today=TODAY).flags == []


def test_substance_profile_offers_naloxone_for_opioids_not_for_every_injection(catalogue):
    spec = catalogue.get("substance_profile")
    row = {"amount": "a", "days_last_28": 10, "route": "injected"}
    amphetamine = evaluate(spec, {"substances": [row | {"substance": "amphetamine"}], "shares_equipment": False},
                           today=TODAY)
    assert {f.id for f in amphetamine.flags} == {"injecting"}
    assert not any("naloxone" in f.message.lower() for f in amphetamine.flags)
    heroin = evaluate(spec, {"substances": [row | {"substance": "heroin", "route": "smoked"}]}, today=TODAY)
    assert [f.id for f in heroin.flags] == ["opioids_naloxone"] and "naloxone" in heroin.flags[0].message


def test_only_one_service_is_flagged_only_when_someone_attended(catalogue):
    spec = catalogue.get("joint_review")
    assert "both_services" not in {f.id for f in evaluate(spec, {"attendees": []}, today=TODAY).flags}
    one = [{"name": "Pat Partner", "service": "mental_health"}]
    assert "both_services" in {f.id for f in evaluate(spec, {"attendees": one}, today=TODAY).flags}
    both = one + [{"name": "Sam Fictional", "service": "substance_misuse"}]
    assert "both_services" not in {f.id for f in evaluate(spec, {"attendees": both}, today=TODAY).flags}


def test_the_catalogue_still_loads_cleanly():
    assert load_catalogue(FORMS).problems == []
