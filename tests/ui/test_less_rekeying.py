"""Less re-keying, fewer clicks, in the real window: answers pre-filled from the case's forms
(marked, editable, saved with the draft), the care plan's needs offered for one-click adding,
and final forms that look final, with a button bar that never moves under the pointer."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton
from ui_helpers import PHQ9_NINE_WITH_ITEM_9, person_case, when_a_box_is_up

from ddassess.formengine.row_ids import without_row_ids
from ddassess.services import case_changes
from ddassess.ui.formview import FormView

GAD7_TWELVE = {**{f"q{i}": 2 for i in range(1, 7)}, "q7": 0, "difficulty": "somewhat"}  # 6 × 2 = 12


def _final(store, catalogue, case_id, form_id, answers):
    spec = catalogue.get(form_id)
    r = case_changes.start_response(store, case_id, form_id, spec.version, spec.content_hash, answers)
    return case_changes.finalise_response(store, r.id)


def _start(qtbot, window, case_id, form_id):
    """Start a form in this case as a practitioner does: pick it, then "Start form"."""
    page = window.open_case(case_id)
    page.new_form.setCurrentIndex(page.new_form.findData(form_id))
    page.start_form()
    form = page.form_page
    qtbot.waitUntil(next(iter(form.view.editors.values())).widget.isVisible)
    return form


def _yes(box):
    box.button(QMessageBox.StandardButton.Yes).click()


def test_joint_assessment_is_prefilled_from_the_final_phq9_and_gad7(qtbot, window, catalogue):
    case_id = person_case(window)
    phq9 = _final(window.store, catalogue, case_id, "phq9", PHQ9_NINE_WITH_ITEM_9)
    _final(window.store, catalogue, case_id, "gad7", GAD7_TWELVE)
    form = _start(qtbot, window, case_id, "joint_assessment")
    view = form.view
    phq, gad = view.editors["phq9_total"], view.editors["gad7_total"]
    assert (phq.widget.text(), gad.widget.text()) == ("9", "12")  # real answers, not grey hints
    assert (phq.value(), gad.value()) == (9, 12)
    on = f"{phq9.updated_at.astimezone():%-d %b %Y}"
    note = view.prefill_notes["phq9_total"]
    assert note.isVisible() and note.text().startswith(f"Pre-filled from the PHQ-9 of {on}")
    assert view.prefill_notes["gad7_total"].text().startswith("Pre-filled from the GAD-7 of ")
    assert not view.prefill_notes["audit_total"].isVisible()  # no AUDIT in this case: nothing made up

    # Editable: the practitioner corrects it, and the note says what the PHQ-9 gives.
    phq.widget.setFocus()
    qtbot.keyClick(phq.widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(phq.widget, "11")
    assert phq.value() == 11
    assert note.text() == f"The PHQ-9 of {on} gives 9."
    assert form.flush()
    saved = case_changes.get_response(window.store, form.response.id).answers
    assert (saved["phq9_total"], saved["gad7_total"]) == (11, 12)  # both saved as answers with the draft

    # Emptied on purpose, it stays empty while the form is open.
    qtbot.keyClick(gad.widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(gad.widget, Qt.Key.Key_Delete)
    assert gad.value() is None and gad.widget.text() == ""


def test_a_final_form_is_never_prefilled(qtbot, window, catalogue):
    case_id = person_case(window)
    _final(window.store, catalogue, case_id, "phq9", PHQ9_NINE_WITH_ITEM_9)
    spec = catalogue.get("joint_review")
    r = case_changes.start_response(window.store, case_id, "joint_review", spec.version, spec.content_hash, {
        "review_date": dt.date.today().isoformat(), "trigger": "scheduled",
        "attendees": [{"name": "Dr Fictional", "service": "mental_health"},
                      {"name": "Ms Madeup", "service": "substance_misuse"}],
        "person_attended": True, "progress": "Steady.", "next_review": "2099-01-01"})
    case_changes.finalise_response(window.store, r.id)
    page = window.open_case(case_id, r.id)
    view = page.form_page.view
    assert view.editors["phq9_now"].value() is None  # what was saved, nothing suggested since
    assert "phq9_now" not in page.form_page.view.answers()


def test_care_plan_needs_are_offered_and_added_with_one_click(qtbot, window, catalogue):
    case_id = person_case(window)
    spec = catalogue.get("joint_assessment")
    case_changes.start_response(window.store, case_id, "joint_assessment", spec.version, spec.content_hash,
                                {"housing": "at_risk", "occupation": "unemployed"})
    form = _start(qtbot, window, case_id, "care_plan")
    needs = form.view.editors["needs"]
    assert needs.rows == []  # nothing to fill in or delete
    offered = [b for b in needs.suggestion_box.findChildren(QPushButton) if b.isVisible()]
    assert [b.text() for b in offered] == ["Add: Housing — Housing: at risk",
                                           "Add: Work and education — Work, education or training"]
    qtbot.waitUntil(lambda: offered[0].height() > 0)  # laid out, as a person would see it
    qtbot.mouseClick(offered[0], Qt.MouseButton.LeftButton)
    assert without_row_ids([r.value() for r in needs.rows]) == [{"area": "housing", "need": "Housing: at risk",
                                                                 "status": "not_started"}]
    assert needs.rows[0].value()["_row"]  # a new row: an id of its own
    row = needs.rows[0]
    assert row.group.title() == "Need 1 — Housing"
    assert row.editors["goal"].focus_widget().hasFocus()  # straight to what is left to write
    assert not offered[0].isVisible() and offered[1].isVisible()
    qtbot.keyClicks(row.editors["goal"].focus_widget(), "Keep my flat")
    assert form.flush()
    saved = without_row_ids(case_changes.get_response(window.store, form.response.id).answers["needs"])
    assert saved == [{"area": "housing", "need": "Housing: at risk", "goal": "Keep my flat",
                      "status": "not_started"}]
    remove = next(b for b in row.group.findChildren(QPushButton) if b.text() == "Remove this row")
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    assert needs.rows == [] and offered[0].isVisible()  # removed: offered again


def _joint_review(window, catalogue):
    case_id = person_case(window)
    spec = catalogue.get("joint_review")
    return case_id, case_changes.start_response(window.store, case_id, "joint_review", spec.version,
                                                spec.content_hash, {
        "review_date": dt.date.today().isoformat(), "trigger": "scheduled",
        "attendees": [{"name": "Dr Fictional", "service": "mental_health"},
                      {"name": "Ms Madeup", "service": "substance_misuse"}],
        "person_attended": True, "progress": "Steady.", "phq9_now": 9, "next_review": "2099-01-01"}).id


def test_final_form_hides_its_editing_buttons_and_the_bar_does_not_move(qtbot, window, catalogue):
    case_id, response_id = _joint_review(window, catalogue)
    page = window.open_case(case_id, response_id)
    form = page.form_page
    qtbot.waitUntil(form.finalise_button.isVisible)
    attendees = form.view.editors["attendees"]
    editing = [attendees.add_button, *[b for r in attendees.rows for b in r.group.findChildren(QPushButton)]]
    assert editing and all(b.isVisible() for b in editing)
    before = {b.text(): b.geometry() for b in (form.finalise_button, form.amend_button, form.cancel_amend_button)}
    finalise_at = form.finalise_button.geometry()
    when_a_box_is_up(_yes, (QMessageBox,))
    qtbot.mouseClick(form.finalise_button, Qt.MouseButton.LeftButton)
    assert form.response.status == "final"
    qtbot.wait(20)  # let the layout settle, as the screen would
    after = {b.text(): b.geometry() for b in (form.finalise_button, form.amend_button, form.cancel_amend_button)}
    assert after == before  # every button in its own place and size, shown or not
    assert form.amend_button.isVisible() and not form.finalise_button.isVisible()
    assert not form.amend_button.geometry().intersects(finalise_at)  # a second click on Finalise is not Amend
    assert not any(b.isVisible() for b in editing)  # no live-looking Add or Remove on a final form
    attendees_now = without_row_ids(form.view.editors["attendees"].value())
    assert attendees_now == [{"name": "Dr Fictional", "service": "mental_health"},
                             {"name": "Ms Madeup", "service": "substance_misuse"}]


def test_a_signature_pad_on_a_final_care_plan_has_no_clear_button(qtbot, window, catalogue):
    case_id = person_case(window)
    spec = catalogue.get("care_plan")
    r = case_changes.start_response(window.store, case_id, "care_plan", spec.version, spec.content_hash, {})
    page = window.open_case(case_id, r.id)
    pad = page.form_page.view.editors["person_signed"]
    qtbot.waitUntil(pad.clear_button.isVisible)
    page.form_page.view.set_read_only(True)
    assert not pad.clear_button.isVisible()
    page.form_page.view.set_read_only(False)
    assert pad.clear_button.isVisible()


def test_computed_answers_read_in_the_forms_words(qtbot, catalogue):
    view = FormView(catalogue.get("lead_agency"), catalogue, {"mh_severity": "high", "sm_severity": "low"})
    qtbot.addWidget(view)
    view.show()
    quadrant = view.editors["quadrant"].label
    assert quadrant.text() == "High mental illness / low substance misuse"  # not "high mh low sm"
    low = next(b for v, b in view.editors["mh_severity"].buttons if v == "low")
    qtbot.mouseClick(low, Qt.MouseButton.LeftButton)
    assert quadrant.text() == "Low mental illness / low substance misuse"
    rows = [{"substance": "alcohol", "amount": "4 cans", "days_last_28": 20, "route": "oral"},
            {"substance": "cannabis", "amount": "2 joints", "days_last_28": 10, "route": "smoked"}]
    view = FormView(catalogue.get("substance_profile"), catalogue, {"substances": rows})
    qtbot.addWidget(view)
    assert view.editors["poly_use"].label.text() == "Yes"  # not "True"
    assert [r.group.title() for r in view.editors["substances"].rows] == ["Substance 1 — Alcohol",
                                                                          "Substance 2 — Cannabis"]


def test_any_forms_prefill_is_applied_a_choice_from_a_score_too(qtbot, window, catalogue):
    """Not the joint assessment only: the lead agency decision suggests "high" mental illness
    from a PHQ-9 of 20 or more (its own prefill:), ticked, marked and changeable."""
    case_id = person_case(window)
    _final(window.store, catalogue, case_id, "phq9", {**{f"q{i}": 3 for i in range(1, 9)}, "q9": 0,
                                                       "difficulty": "very"})  # 24
    form = _start(qtbot, window, case_id, "lead_agency")
    severity = form.view.editors["mh_severity"]
    high, low = (b for _v, b in severity.buttons)
    assert severity.value() == "high" and high.isChecked()
    assert form.view.editors["sm_severity"].value() is None  # no AUDIT: nothing suggested
    assert form.view.prefill_notes["mh_severity"].text().startswith("Pre-filled from the PHQ-9 of ")
    qtbot.mouseClick(low, Qt.MouseButton.LeftButton)
    assert severity.value() == "low"
    assert form.view.prefill_notes["mh_severity"].text().endswith(" gives High.")
