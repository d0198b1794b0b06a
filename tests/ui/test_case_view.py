"""The top of a case page as a practitioner reads it: the pathway step by step, the risk
flags by name, the latest screening scores, and each form's status and score."""

from __future__ import annotations

import datetime as dt

from ui_helpers import case_with_forms

from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.services.case_pathway import advance_stage, set_lead
from ddassess.services.settings import set_setting


def test_timeline_shows_each_step_with_its_state(qtbot, window, catalogue):
    case_id = case_with_forms(window, catalogue)
    page = window.open_case(case_id)
    labels = page.timeline.step_labels
    assert list(labels) == ["referral", "consent", "screening", "joint_assessment", "lead_agency", "care_plan",
                            "review", "discharged"]
    states = {stage: label.property("state") for stage, label in labels.items()}
    # A final PHQ-9 finishes screening; no referral or consent form is final, so neither is done.
    assert states["referral"] == "not_done" and states["consent"] == "not_done"
    assert states["screening"] == "done" and states["joint_assessment"] == "due"
    assert states["discharged"] == "later"
    assert all(label.isVisible() for label in labels.values())
    today = dt.date.today().strftime("%d %b %Y")
    assert labels["referral"].accessibleName() == "Step 1 of 8, Referral: not recorded"
    assert labels["screening"].accessibleName() == f"Step 3 of 8, Screening: done {today}"
    assert labels["joint_assessment"].accessibleName() == "Step 4 of 8, Joint assessment: next"


def test_review_is_overdue_from_next_review_date(qtbot, window, catalogue):
    case_id = case_with_forms(window, catalogue)
    set_lead(window.store, case_id, "Mental health service", dt.date(2020, 1, 1))
    page = window.open_case(case_id)
    review = page.timeline.step_labels["review"]
    assert review.property("state") == "overdue"
    assert "overdue since 01 Jan 2020" in review.text()
    assert "overdue since 01 Jan 2020" in review.accessibleName()


def test_risk_banner_names_each_active_flag_with_its_source_and_date(qtbot, window, catalogue):
    case_id = case_with_forms(window, catalogue)
    referral = catalogue.get("referral")  # its "offer a joint assessment" flag is a prompt, not a risk
    case_changes.start_response(window.store, case_id, "referral", referral.version, referral.content_hash,
                         {"mental_health_concern": True, "substance_concern": True})
    page = window.open_case(case_id)
    assert page.risk.isVisible()
    today = dt.date.today().strftime("%d %b %Y")
    line, second, third = page.risk.texts()  # the most severe first
    assert line.startswith("URGENT — Risk to self: thoughts of being better off dead")
    assert "PHQ-9 item 9" in line and f", {today})" in line
    assert "Patient Health Questionnaire" in line  # which form says so
    assert second.startswith("HIGH — Possible alcohol dependence")  # the AUDIT draft's flag counts too
    assert third.startswith("WARNING — Signs of dependence")  # its questions 4-6 score 2 each
    assert all("form not finished" not in text for text in (line, second, third))  # every question answered
    assert all(label.isVisible() for label in page.risk.flag_labels)
    assert any(f.severity == "info" for f in page.summary.flags)  # known to the summary, not in the banner


def test_scores_strip_and_forms_list_show_totals_and_bands(qtbot, window, catalogue):
    case_id = case_with_forms(window, catalogue)
    page = window.open_case(case_id)
    assert page.header.scores.isVisible()
    assert page.header.scores.texts() == ["AUDIT 18 — Higher risk (zone III) (draft)", "PHQ-9 9 — Mild"]
    rows = [page.forms.item(i).text() for i in range(page.forms.count())]
    assert any(r.startswith("Patient Health Questionnaire (PHQ-9) — final · 9 — Mild") for r in rows), rows
    assert any("— draft · 18 — Higher risk (zone III)" in r for r in rows), rows


def test_an_unfinished_instrument_shows_no_total(qtbot, window, catalogue):
    store = window.store
    person = case_changes.register_person(store, PersonDetails("Placeholda", "Fakely", None, None))
    case_id = case_changes.open_case(store, person.id).id
    phq9 = catalogue.get("phq9")
    case_changes.start_response(store, case_id, "phq9", phq9.version, phq9.content_hash, {"q1": 3, "q2": 3})
    page = window.open_case(case_id)
    assert page.header.scores.texts() == [] and not page.header.scores.isVisible()
    assert not page.risk.isVisible()
    assert "— draft (" in page.forms.item(0).text() and "·" not in page.forms.item(0).text()


def test_case_view_dates_follow_the_date_format_setting(qtbot, window, catalogue):
    case_id = case_with_forms(window, catalogue)
    set_setting(window.store, "date_format", "%Y-%m-%d")
    page = window.open_case(case_id)
    assert "born 1980-02-29" in page.identifiers.text() and "opened 2026-01-05" in page.identifiers.text()
    assert dt.date.today().isoformat() in page.timeline.step_labels["screening"].text()
    assert dt.date.today().isoformat() in page.risk.texts()[0]


def test_a_discharged_case_has_discharge_done_the_rest_not_recorded_and_nothing_overdue(qtbot, window, catalogue):
    store = window.store
    person = case_changes.register_person(store, PersonDetails("Placeholda", "Fakely", None, None))
    case_id = case_changes.open_case(store, person.id).id
    set_lead(store, case_id, "Substance misuse service", dt.date(2020, 1, 1))  # long past, but the case is closed
    discharge = catalogue.get("discharge")
    r = case_changes.start_response(store, case_id, "discharge", discharge.version, discharge.content_hash, {})
    case_changes.finalise_response(store, r.id)
    advance_stage(store, case_id, "discharge")
    page = window.open_case(case_id)
    states = {stage: label.property("state") for stage, label in page.timeline.step_labels.items()}
    assert states.pop("discharged") == "done"
    assert set(states.values()) == {"not_done"}, states  # only the discharge form is final
    assert "done" in page.timeline.step_labels["discharged"].accessibleName()
    assert "overdue" not in page.identifiers.text()


def test_a_new_case_has_its_referral_next_and_the_rest_later(qtbot, window, catalogue):
    store = window.store
    person = case_changes.register_person(store, PersonDetails("Placeholda", "Fakely", None, None))
    case_id = case_changes.open_case(store, person.id).id
    page = window.open_case(case_id)
    states = [label.property("state") for label in page.timeline.step_labels.values()]
    assert states == ["due"] + ["later"] * 7
    assert not page.risk.isVisible() and not page.header.scores.isVisible()
