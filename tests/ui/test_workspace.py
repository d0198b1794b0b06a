"""A practitioner's visit in the real window: referral, PHQ-9 by keyboard, skip logic,
autosave, locking with a dialog open, a drawn signature."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QRadioButton

from ddassess.domain.models import PersonDetails
from ddassess.formengine import FIELD_TYPES
from ddassess.services import cases
from ddassess.ui.casepage import CasePage
from ddassess.ui.fields import FIELD_WIDGETS
from ddassess.ui.referral import NewReferralDialog

from .conftest import unlock_with_passphrase


def test_every_field_type_has_a_widget():
    assert set(FIELD_WIDGETS) == set(FIELD_TYPES)


def _person_case(window):
    person = cases.find_person_by_nhs(window.store, "9990000018") or cases.register_person(
        window.store, PersonDetails("Testy", "McTestface", dt.date(1980, 2, 29), "9990000018"))
    return cases.open_case(window.store, person.id).id


def _open_form(qtbot, window, form_id):
    case_id = _person_case(window)
    window.case_list.apply()
    page = window.open_case(case_id)
    page.new_form.setCurrentIndex(page.new_form.findData(form_id))
    page.start_form()
    form = page.form_page
    first = next(iter(form.view.editors.values())).widget
    qtbot.waitUntil(first.isVisible)  # laid out and shown, as a person would see it
    return page, form


def test_new_referral_checks_nhs_number_and_keeps_entries(qtbot, window):
    dialog = NewReferralDialog(window.store, window)
    dialog.given.setText("Siân")  # QTest cannot type non-ASCII keys
    qtbot.keyClicks(dialog.family, "O'Connor")
    qtbot.keyClicks(dialog.dob, "31/02/1990")
    qtbot.keyClicks(dialog.nhs, "943 476 5918")
    assert "check digit" in dialog.problems[dialog.nhs].text()
    assert "Not a date" in dialog.problems[dialog.dob].text()
    dialog.create()
    assert dialog.case_id is None and dialog.given.text() == "Siân"  # nothing lost, nothing created
    dialog.dob.clear()
    qtbot.keyClicks(dialog.dob, "28/02/1990")
    dialog.nhs.clear()
    qtbot.keyClicks(dialog.nhs, "943 476 5919")
    dialog.create()
    assert dialog.case_id is not None
    assert cases.find_person_by_nhs(window.store, "9434765919").given_name == "Siân"


def test_phq9_by_keyboard_shows_band_and_flag(qtbot, window):
    _page, form = _open_form(qtbot, window, "phq9")
    view = form.view
    answers = [1, 1, 2, 1, 0, 1, 1, 0, 1]  # total 8, item 9 answered "Several days"
    first = view.editors["q1"].focus_widget()
    first.setFocus()
    for i, score in enumerate(answers, 1):
        editor = view.editors[f"q{i}"]
        button = QApplication.focusWidget()
        assert isinstance(button, QRadioButton) and editor.widget.isAncestorOf(button), f"focus lost at q{i}"
        for _ in range(score):
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
        assert editor.value() == score
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert "PHQ-9 total: 8" in view.scores_label.text() and "Mild" in view.scores_label.text()
    assert "URGENT" in view.flags_banner.text() and "Risk to self" in view.flags_banner.text()


def test_skip_logic_hides_and_shows(qtbot, window):
    _page, form = _open_form(qtbot, window, "fast")
    view = form.view
    q2_holder = view.rows["q2"][1]
    assert not q2_holder.isVisible()
    view.editors["q1"].set_value(1)
    view._changed("q1")
    assert q2_holder.isVisible()
    view.editors["q1"].set_value(0)
    view._changed("q1")
    assert not q2_holder.isVisible() and view.evaluation.computed["result"] == "negative"


def test_draft_is_saved_within_a_second(qtbot, window):
    _page, form = _open_form(qtbot, window, "gad7")
    editor = form.view.editors["q2"]
    assert form.view.save_timer.interval() <= 1000  # a change is saved within a second
    editor.buttons[3][1].click()
    assert form.view.save_timer.isActive()
    # (the wait allows for a loaded test machine; the timer above is what the user gets)
    qtbot.waitUntil(lambda: cases.get_response(window.store, form.response.id).answers.get("q2") == 3, timeout=5000)
    assert "Draft saved" in form.status.text()


def test_idle_lock_with_a_dialog_open_then_back_to_the_same_field(qtbot, window, monkeypatch):
    page, form = _open_form(qtbot, window, "gad7")
    form.view.editors["q3"].buttons[1][1].click()
    form.view.editors["q4"].focus_widget().setFocus()
    assert form.view.focused_field() == "q4"
    response_id = form.response.id
    dialog = NewReferralDialog(window.store, window)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.open()
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is dialog)
    window.idle.setInterval(300)
    window.idle.start()
    qtbot.waitUntil(lambda: window.store is None, timeout=5000)
    assert not dialog.isVisible()
    assert window.stack.currentWidget() is window.unlock_page
    # The unsaved click was saved before the key was dropped, and the store is really closed.
    from ddassess.store import Credentials, open_store

    qtbot.wait(300)
    assert window.store is None  # the keyring does not lift a lock by itself
    s = open_store(window.unlock_page.folder, Credentials())
    assert cases.get_response(s, response_id).answers == {"q3": 1}
    s.close()
    unlock_with_passphrase(qtbot, window)
    page = window.current_case_page()
    assert isinstance(page, CasePage) and page.form_page.response.id == response_id
    assert page.form_page.view.focused_field() == "q4"


def test_ctrl_l_locks(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.store is None)
    assert window.case_list.model.rows == []


def test_signature_drawn_survives_resize_and_is_stored(qtbot, window):
    _page, form = _open_form(qtbot, window, "care_plan")
    pad = form.view.editors["person_signed"].pad
    form.view.rows["person_signed"][1].show()
    pad.resize(400, 120)
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(20, 60))
    for x in range(30, 300, 15):
        qtbot.mouseMove(pad, QPoint(x, 60 + (x % 40) - 20))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(300, 50))
    strokes = pad.strokes()
    assert len(strokes) == 1 and len(strokes[0]) > 10
    pad.resize(800, 240)
    assert pad.strokes() == strokes  # kept in the pad's own units
    qtbot.waitUntil(lambda: "person_signed" in cases.get_response(window.store, form.response.id).answers,
                    timeout=5000)
    stored = cases.get_response(window.store, form.response.id).answers["person_signed"]
    assert stored["strokes"] == strokes


def test_empty_signature_is_refused(qtbot, window):
    _page, form = _open_form(qtbot, window, "care_plan")
    pad = form.view.editors["person_signed"].pad
    qtbot.mouseClick(pad, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))  # a dot is not a signature
    assert form.view.editors["person_signed"].value() is None


def test_finalise_with_missing_answers_explains_and_marks_fields(qtbot, window, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: shown.append(a[2]))
    _page, form = _open_form(qtbot, window, "gad7")
    form.finalise()
    assert shown and "7 answer(s) need attention" in shown[0]
    assert "is required" in form.view.problem_labels["q1"].text()
    assert cases.get_response(window.store, form.response.id).status == "draft"


def test_finalise_locks_the_form_and_moves_the_case(qtbot, window, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page, form = _open_form(qtbot, window, "phq9")
    for i in range(1, 10):
        form.view.editors[f"q{i}"].buttons[3 if i == 9 else 0][1].click()
    form.view.editors["difficulty"].buttons[0][1].click()
    form.finalise()
    assert cases.get_response(window.store, form.response.id).status == "final"
    assert not form.view.editors["q1"].widget.isEnabled()
    page.reload()
    assert page.detail.stage == "screening" and page.detail.risk_level == "urgent"
    assert page.risk.isVisible()
    QTimer.singleShot(0, lambda: None)


def test_sleep_and_session_lock_lock_the_store(qtbot, window, store_folder):
    page, form = _open_form(qtbot, window, "gad7")
    form.view.editors["q1"].buttons[2][1].click()
    window.suspend.prepare_for_sleep(False)  # waking up does nothing
    assert window.store is not None
    window.suspend.prepare_for_sleep(True)  # logind: about to sleep
    assert window.store is None and window.stack.currentWidget() is window.unlock_page
    unlock_with_passphrase(qtbot, window)
    window.suspend.session_locked()  # the desktop session was locked
    assert window.store is None
    unlock_with_passphrase(qtbot, window)
    QApplication.instance().applicationStateChanged.emit(Qt.ApplicationState.ApplicationSuspended)
    assert window.store is None


def test_case_page_shows_lead_and_overdue_review(qtbot, window):
    from ddassess.services.casework import set_lead

    case_id = _person_case(window)
    set_lead(window.store, case_id, "Mental health service", dt.date(2020, 1, 1))
    page = window.open_case(case_id)
    text = page.identifiers.text()
    assert "lead: Mental health service" in text and "review overdue since 01 Jan 2020" in text
