"""Flows across a lock in the real window: the questions a lock closes, amendments kept as
drafts, and what finalising a form does to the case (lead agency, next review)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox
from store_helpers import PRACTITIONER
from ui_helpers import unlock_with_passphrase, when_a_box_is_up

from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.services.settings import get_setting, set_setting
from ddassess.ui.caselist import COLUMNS
from ddassess.ui.mainwindow import MainWindow

LEAD_COLUMN = [title for _k, title in COLUMNS].index("Lead agency")


def press(button, seen=None):
    def act(box):
        if seen is not None:
            seen.append(box.text() if isinstance(box, QMessageBox) else box.labelText())
        box.button(button).click()
    return act


def type_and_accept(text):
    def act(box):
        box.setTextValue(text)
        box.accept()
    return act


def _case(store, family="McTestface", nhs="9990000018"):
    person = case_changes.register_person(store, PersonDetails("Testy", family, dt.date(1980, 2, 29), nhs))
    return case_changes.open_case(store, person.id).id


def _draft(store, catalogue, case_id, form_id, answers):
    spec = catalogue.get(form_id)
    return case_changes.start_response(store, case_id, form_id, spec.version, spec.content_hash, answers).id


def _lock(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.store is None


def test_lock_while_return_to_your_form_is_asked(qtbot, created, catalogue, store_folder):
    """The question is closed by the lock, not answered: no crash, and it is asked again."""
    case_id = _case(created.store)
    response_id = _draft(created.store, catalogue, case_id, "gad7", {"q1": 1})
    set_setting(created.store, "open_draft", {"case_id": case_id, "response_id": response_id, "field": "q2"})
    created.store.close()
    seen = []

    def lock_now(box):
        seen.append(box.text())
        w.lock()

    when_a_box_is_up(lock_now, (QMessageBox,))
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    assert "Return to it now?" in seen[0]
    qtbot.waitUntil(lambda: w.store is None and w.stack.currentWidget() is w.unlock_page)
    when_a_box_is_up(press(QMessageBox.StandardButton.Yes, seen), (QMessageBox,))
    unlock_with_passphrase(qtbot, w)
    qtbot.waitUntil(lambda: w.current_case_page() is not None)
    page = w.current_case_page()
    assert len(seen) == 2 and page.form_page.response.id == response_id
    assert page.form_page.view.focused_field() == "q2"  # the same field as well as the same form


def test_lock_while_finalise_is_asked_finalises_nothing(qtbot, window, catalogue):
    case_id = _case(window.store)
    response_id = _draft(window.store, catalogue, case_id, "gad7", {f"q{i}": 0 for i in range(1, 8)})
    page = window.open_case(case_id, response_id)
    when_a_box_is_up(lambda _box: window.lock(), (QMessageBox,))
    qtbot.mouseClick(page.form_page.finalise_button, Qt.MouseButton.LeftButton)
    assert window.store is None
    unlock_with_passphrase(qtbot, window)
    assert case_changes.get_response(window.store, response_id).status == "draft"


def test_finalised_lead_agency_decision_sets_the_case_lead_and_coordinator(qtbot, window, catalogue):
    case_id = _case(window.store)
    response_id = _draft(window.store, catalogue, case_id, "lead_agency", {
        "mh_severity": "high", "sm_severity": "low", "lead": "mental_health",
        "care_coordinator": PRACTITIONER["name"], "link_worker": "Dr Fictional Link",
        "rationale": "Agreed at the joint meeting.", "decided_on": dt.date.today().isoformat()})
    page = window.open_case(case_id, response_id)
    when_a_box_is_up(press(QMessageBox.StandardButton.Yes), (QMessageBox,))
    qtbot.mouseClick(page.form_page.finalise_button, Qt.MouseButton.LeftButton)
    assert page.form_page.response.status == "final"
    rationale = page.form_page.view.editors["rationale"].focus_widget()
    assert rationale.isEnabled() and rationale.isReadOnly()  # readable and focusable, not greyed out
    qtbot.keyClicks(rationale, "changed")
    assert page.form_page.view.editors["rationale"].value() == "Agreed at the joint meeting."
    window.case_list.apply()
    rows = {window.case_list.model.data(window.case_list.model.index(r, 0)): r
            for r in range(window.case_list.model.rowCount())}
    ref = page.detail.ref
    assert window.case_list.model.data(window.case_list.model.index(rows[ref], LEAD_COLUMN)) == "Mental health service"
    window.case_list.mine.setChecked(True)  # the named coordinator is this practitioner
    assert window.case_list.model.rowCount() == 1


def test_finalised_joint_review_with_a_past_date_makes_the_review_overdue(qtbot, window, catalogue):
    case_id = _case(window.store)
    response_id = _draft(window.store, catalogue, case_id, "joint_review", {
        "review_date": dt.date.today().isoformat(), "trigger": "scheduled",
        "attendees": [{"name": "Dr Fictional", "service": "mental_health"},
                      {"name": "Ms Madeup", "service": "substance_misuse"}],
        "person_attended": True, "progress": "Steady.", "next_review": "2020-01-01"})
    page = window.open_case(case_id, response_id)
    window.case_list.overdue.setChecked(True)
    assert window.case_list.model.rowCount() == 0
    when_a_box_is_up(press(QMessageBox.StandardButton.Yes), (QMessageBox,))
    qtbot.mouseClick(page.form_page.finalise_button, Qt.MouseButton.LeftButton)
    assert page.form_page.response.status == "final", page.form_page.status.text()
    window.case_list.apply()
    assert window.case_list.model.rowCount() == 1


def test_an_amendment_survives_a_lock_and_is_saved_with_its_reason(qtbot, window, catalogue):
    case_id = _case(window.store)
    response_id = _draft(window.store, catalogue, case_id, "gad7", {f"q{i}": 0 for i in range(1, 8)})
    case_changes.finalise_response(window.store, response_id)
    page = window.open_case(case_id, response_id)
    form = page.form_page
    qtbot.waitUntil(form.amend_button.isVisible)
    assert not form.finalise_button.isVisible()
    qtbot.mouseClick(form.amend_button, Qt.MouseButton.LeftButton)
    amendment = page.form_page
    assert amendment is not form and amendment.amending
    assert amendment.finalise_button.text() == "Save amendment…"
    qtbot.waitUntil(amendment.view.editors["q3"].buttons[2][1].isVisible)
    qtbot.mouseClick(amendment.view.editors["q3"].buttons[2][1], Qt.MouseButton.LeftButton)
    assert amendment.view.editors["q3"].value() == 2
    amendment_id = amendment.response.id
    _lock(qtbot, window)  # mid-amendment
    unlock_with_passphrase(qtbot, window)
    page = window.current_case_page()
    amendment = page.form_page
    assert amendment.response.id == amendment_id and amendment.view.editors["q3"].value() == 2
    assert any("draft" in page.forms.item(i).text() for i in range(page.forms.count()))
    when_a_box_is_up(type_and_accept("The client corrected item 3."), (QInputDialog,))
    qtbot.mouseClick(amendment.finalise_button, Qt.MouseButton.LeftButton)
    assert case_changes.get_response(window.store, amendment_id).status == "final"
    assert case_changes.get_response(window.store, amendment_id).amendment_reason == "The client corrected item 3."
    assert case_changes.get_response(window.store, response_id).status == "superseded"


def test_cancelling_an_amendment_keeps_the_final_form(qtbot, window, catalogue):
    case_id = _case(window.store)
    response_id = _draft(window.store, catalogue, case_id, "gad7", {f"q{i}": 0 for i in range(1, 8)})
    case_changes.finalise_response(window.store, response_id)
    page = window.open_case(case_id, response_id)
    qtbot.mouseClick(page.form_page.amend_button, Qt.MouseButton.LeftButton)
    amendment_id = page.form_page.response.id
    qtbot.waitUntil(page.form_page.view.editors["q1"].buttons[3][1].isVisible)
    qtbot.mouseClick(page.form_page.view.editors["q1"].buttons[3][1], Qt.MouseButton.LeftButton)
    assert page.form_page.view.editors["q1"].value() == 3
    when_a_box_is_up(press(QMessageBox.StandardButton.Yes), (QMessageBox,))
    qtbot.mouseClick(page.form_page.cancel_amend_button, Qt.MouseButton.LeftButton)
    assert page.form_page.response.id == response_id and page.form_page.response.status == "final"
    assert page.form_page.view.editors["q1"].value() == 0
    from ddassess.errors import RecordNotFound

    try:
        case_changes.get_response(window.store, amendment_id)
        raise AssertionError("the cancelled amendment is still there")
    except RecordNotFound:
        pass


def test_every_open_case_tab_comes_back_after_a_lock(qtbot, window, catalogue):
    first = _case(window.store)
    second = _case(window.store, "Madeup", "9990000026")
    r1 = _draft(window.store, catalogue, first, "gad7", {})
    r2 = _draft(window.store, catalogue, second, "phq9", {})
    window.open_case(first, r1)
    page2 = window.open_case(second, r2)
    page2.form_page.view.focus_field("q4")
    window.workspace.setCurrentIndex(1)  # the first case is the current one
    window.current_case_page().form_page.view.focus_field("q3")
    _lock(qtbot, window)
    unlock_with_passphrase(qtbot, window)
    pages = window.case_pages()
    assert [p.case_id for p in pages] == [first, second]
    assert [p.form_page.response.id for p in pages] == [r1, r2]
    assert window.current_case_page() is pages[0]
    assert pages[0].form_page.view.focused_field() == "q3"
    assert get_setting(window.store, "open_draft")["response_id"] in (r1, r2)


def test_idle_lock_while_the_amendment_reason_is_asked(qtbot, window, catalogue):
    """A real exec'd QInputDialog closed by the idle lock is not a reason: nothing is
    finalised, and the amendment is still there, as a draft, after unlocking."""
    case_id = _case(window.store)
    response_id = _draft(window.store, catalogue, case_id, "gad7", {f"q{i}": 0 for i in range(1, 8)})
    case_changes.finalise_response(window.store, response_id)
    page = window.open_case(case_id, response_id)
    qtbot.mouseClick(page.form_page.amend_button, Qt.MouseButton.LeftButton)
    amendment = page.form_page
    qtbot.waitUntil(amendment.view.editors["q2"].buttons[1][1].isVisible)
    qtbot.mouseClick(amendment.view.editors["q2"].buttons[1][1], Qt.MouseButton.LeftButton)
    amendment_id = amendment.response.id
    asked = []

    def idle(box):
        asked.append(box.labelText())
        window.idle.setInterval(200)
        window.idle.start()

    when_a_box_is_up(idle, (QInputDialog,))
    qtbot.mouseClick(amendment.finalise_button, Qt.MouseButton.LeftButton)
    assert asked and "Why is this form being changed?" in asked[0]
    assert window.store is None
    unlock_with_passphrase(qtbot, window)
    assert case_changes.get_response(window.store, amendment_id).status == "draft"
    assert case_changes.get_response(window.store, amendment_id).answers["q2"] == 1
    assert case_changes.get_response(window.store, response_id).status == "final"


def test_a_response_whose_definition_changed_is_not_shown_under_other_wording(qtbot, window, catalogue):
    """A response is shown only with the exact definition (by hash) it was made with."""
    store = window.store
    case_id = _case(store)
    spec = catalogue.get("phq9")
    # "0" * 64: the hash of no definition
    rid = case_changes.start_response(store, case_id, "phq9", spec.version, "0" * 64, {"q1": 1}).id
    page = window.open_case(case_id)
    seen: list[str] = []
    when_a_box_is_up(press(QMessageBox.StandardButton.Ok, seen), kinds=(QMessageBox,))
    page.open_response(rid)
    assert page.form_page is None and page.placeholder.isVisibleTo(page)
    assert seen and "has been changed since this response was made" in seen[0]
    good = _draft(store, catalogue, case_id, "phq9", {"q1": 1})
    page.open_response(good)  # the same form with its own definition opens as usual
    assert page.form_page is not None and page.form_page.spec.content_hash == spec.content_hash
