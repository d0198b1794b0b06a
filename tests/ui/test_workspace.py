"""A practitioner's visit in the real window: referral, PHQ-9 by keyboard, skip logic,
autosave, locking with a dialog open, a drawn signature."""

from __future__ import annotations

import datetime as dt
import time
import weakref

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QRadioButton
from ui_helpers import deleted_later, open_form, person_case, texts_on_screen, unlock_with_passphrase

from ddassess.domain.models import PersonDetails
from ddassess.formengine import FIELD_TYPES
from ddassess.services import case_changes
from ddassess.ui.casepage import CasePage
from ddassess.ui.fields import FIELD_WIDGETS
from ddassess.ui.referral import NewReferralDialog


def test_every_field_type_has_a_widget():
    assert set(FIELD_WIDGETS) == set(FIELD_TYPES)


def test_new_referral_checks_nhs_number_and_keeps_entries(qtbot, window):
    dialog = NewReferralDialog(window.store, window)
    dialog.given.setText("Siân")  # QTest cannot type non-ASCII keys
    qtbot.keyClicks(dialog.family, "O'Connor")
    qtbot.keyClicks(dialog.dob, "31/02/1990")
    qtbot.keyClicks(dialog.nhs, "943 476 5918")
    assert "check digit" in dialog.problems[dialog.nhs].text()
    assert "Not a date" in dialog.problems[dialog.dob].text()
    dialog.create_case()
    assert dialog.case_id is None and dialog.given.text() == "Siân"  # nothing lost, nothing created
    dialog.dob.clear()
    qtbot.keyClicks(dialog.dob, "28/02/1990")
    dialog.nhs.clear()
    qtbot.keyClicks(dialog.nhs, "943 476 5919")
    dialog.create_case()
    assert dialog.case_id is not None
    assert case_changes.find_person_by_nhs(window.store, "9434765919").given_name == "Siân"


def test_phq9_by_keyboard_shows_band_and_flag(qtbot, window):
    _page, form = open_form(qtbot, window, "phq9")
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
    _page, form = open_form(qtbot, window, "fast")
    view = form.view
    q2_holder = view.rows["q2"][1]
    assert not q2_holder.isVisible()
    # Clicked as a person would: the editor's own signal drives the re-evaluation.
    qtbot.mouseClick(view.editors["q1"].buttons[1][1], Qt.MouseButton.LeftButton)
    assert q2_holder.isVisible()
    qtbot.mouseClick(view.editors["q1"].buttons[3][1], Qt.MouseButton.LeftButton)  # weekly: positive, stop
    assert not q2_holder.isVisible() and view.evaluation.computed["result"] == "positive"


def test_draft_is_saved_within_a_second(qtbot, window):
    _page, form = open_form(qtbot, window, "gad7")
    qtbot.mouseClick(form.view.editors["q2"].buttons[3][1], Qt.MouseButton.LeftButton)
    clicked = time.monotonic()
    qtbot.waitUntil(lambda: case_changes.get_response(window.store, form.response.id).answers.get("q2") == 3,
                    timeout=5000)
    # The write is on the disk, and only then does the status say so.
    qtbot.waitUntil(lambda: "Draft saved" in form.status.text())
    assert time.monotonic() - clicked < 2.5  # well within a second here; slack for a loaded test machine


def test_someone_who_keeps_typing_is_saved_while_typing(qtbot, window):
    """A key every 300 ms never leaves 600 ms of quiet: saves must still happen."""
    _page, form = open_form(qtbot, window, "referral")
    box = form.view.editors["referrer_name"].focus_widget()
    box.setFocus()
    seen = set()
    started = time.monotonic()
    while time.monotonic() - started < 3.0:
        qtbot.keyClicks(box, "a")
        qtbot.wait(300)
        seen.add(case_changes.get_response(window.store, form.response.id).answers.get("referrer_name"))
    seen.discard(None)
    assert len(seen) >= 2, f"only {seen} were on the disk while typing"
    typed = box.text()
    assert max(len(x) for x in seen) >= len(typed) - 5  # at most about a second behind


def test_lock_while_a_save_is_pending_still_saves_it(qtbot, window, store_folder):
    _page, form = open_form(qtbot, window, "referral")
    response_id = form.response.id
    box = form.view.editors["referrer_name"].focus_widget()
    qtbot.keyClicks(box, "Dr Fictional")
    assert form.view.save_pending  # not written yet when the lock comes
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.store is None
    from ddassess.store import Credentials, open_store

    s = open_store(store_folder, Credentials())
    try:
        assert case_changes.get_response(s, response_id).answers["referrer_name"] == "Dr Fictional"
    finally:
        s.close()


def test_a_failed_save_is_shown_and_the_answers_stay(qtbot, window):
    from ddassess.store.records import ResponseRecord

    _page, form = open_form(qtbot, window, "referral")
    with window.store.write() as s:  # the form vanishes under the page: the next save must fail
        s.delete(s.get(ResponseRecord, form.response.id))
    messages = []
    _answer_next_box(messages, QMessageBox.StandardButton.Ok)
    qtbot.keyClicks(form.view.editors["referrer_name"].focus_widget(), "Dr Fictional")
    qtbot.waitUntil(lambda: bool(messages), timeout=5000)
    assert "no longer in the store" in messages[0]
    assert "NOT SAVED" in form.status.text()
    assert form.view.editors["referrer_name"].value() == "Dr Fictional"
    # Quitting asks first, since the answers on screen would be lost; Cancel keeps them.
    _answer_next_box(messages, QMessageBox.StandardButton.Cancel)
    assert not window.close() and window.store is not None
    assert "lose them" in messages[-1] and form.view.editors["referrer_name"].value() == "Dr Fictional"
    # A second Quit asks again (the answers are still only on screen); Discard quits.
    _answer_next_box(messages, QMessageBox.StandardButton.Discard)
    assert window.close() and window.store is None
    assert len(messages) == 3 and "lose them" in messages[2]


_WAITING: list[list[bool]] = []  # one [waiting] per _answer_next_box still looking for its box


@pytest.fixture(autouse=True)
def _no_box_answerer_outlives_its_test():
    """A box answerer still polling when its test ends would press a button of a later test's
    box (test_settings' recovery-key question, for one): stop it, and fail the test that
    expected a box it never showed."""
    _WAITING.clear()
    yield
    left = [w for w in _WAITING if w[0]]
    for w in left:
        w[0] = False
    assert not left, f"{len(left)} expected message box(es) never appeared"


def _answer_next_box(seen, button, then=None):
    """Press a button of the next message box (a real, exec'd one) once it is up."""
    waiting = [True]
    _WAITING.append(waiting)

    def press():
        if not waiting[0]:
            return
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            waiting[0] = False
            seen.append(box.text())
            if then is not None:
                then()
            else:
                box.button(button).click()
        else:
            QTimer.singleShot(20, press)

    QTimer.singleShot(0, press)


def test_idle_lock_with_a_dialog_open_then_back_to_the_same_field(qtbot, window, monkeypatch):
    page, form = open_form(qtbot, window, "gad7")
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
    assert case_changes.get_response(s, response_id).answers == {"q3": 1}
    s.close()
    unlock_with_passphrase(qtbot, window)
    page = window.current_case_page()
    assert isinstance(page, CasePage) and page.form_page.response.id == response_id
    assert page.form_page.view.focused_field() == "q4"


def test_ctrl_l_leaves_no_person_on_screen_and_no_store_in_memory(qtbot, window):
    person = case_changes.register_person(window.store, PersonDetails("Sentinella", "Zzyxxq", nhs_number="9990000026"))
    case_id = case_changes.open_case(window.store, person.id).id
    window.case_list.apply()
    page = window.open_case(case_id)
    page.new_form.setCurrentIndex(page.new_form.findData("referral"))
    page.start_form()
    qtbot.keyClicks(page.form_page.view.editors["referrer_name"].focus_widget(), "Zzyxxq senior")
    assert any("Zzyxxq" in t for t in texts_on_screen())  # the test can see the name when it is there
    store = weakref.ref(window.store)
    del page
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.store is None and window.case_list is None and window.writer is None
    deleted_later(qtbot)
    assert not [t for t in texts_on_screen() if "Zzyxxq" in t or "Sentinella" in t]
    assert store() is None, "something still holds the store after the lock"


def test_signature_drawn_survives_resize_and_is_stored(qtbot, window):
    _page, form = open_form(qtbot, window, "care_plan")
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
    qtbot.waitUntil(lambda: "person_signed" in case_changes.get_response(window.store, form.response.id).answers,
                    timeout=5000)
    stored = case_changes.get_response(window.store, form.response.id).answers["person_signed"]
    assert stored["strokes"] == strokes


def test_empty_signature_is_refused(qtbot, window):
    _page, form = open_form(qtbot, window, "care_plan")
    pad = form.view.editors["person_signed"].pad
    qtbot.mouseClick(pad, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))  # a dot is not a signature
    assert form.view.editors["person_signed"].value() is None


def test_finalise_with_missing_answers_explains_and_marks_fields(qtbot, window, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: shown.append(a[2]))
    _page, form = open_form(qtbot, window, "gad7")
    form.finalise()
    assert shown and "7 answer(s) need attention" in shown[0]
    assert "is required" in form.view.problem_labels["q1"].text()
    assert case_changes.get_response(window.store, form.response.id).status == "draft"


def test_finalise_locks_the_form_and_moves_the_case(qtbot, window, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page, form = open_form(qtbot, window, "phq9")
    for i in range(1, 10):
        form.view.editors[f"q{i}"].buttons[3 if i == 9 else 0][1].click()
    form.view.editors["difficulty"].buttons[0][1].click()
    form.finalise()
    assert case_changes.get_response(window.store, form.response.id).status == "final"
    # Read-only, not disabled: still focusable and readable, but a click changes nothing.
    q1 = form.view.editors["q1"]
    button = q1.buttons[2][1]
    assert q1.widget.isEnabled() and button.isEnabled() and button.focusPolicy() != Qt.FocusPolicy.NoFocus
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.keyClick(button, Qt.Key.Key_Space)
    assert q1.value() == 0 and button.hasFocus()
    page.reload()
    assert page.detail.stage == "screening" and page.detail.risk_level == "urgent"
    assert page.risk.isVisible()
    QTimer.singleShot(0, lambda: None)


def test_sleep_and_session_lock_lock_the_store(qtbot, window, store_folder):
    page, form = open_form(qtbot, window, "gad7")
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
    from ddassess.services.case_pathway import set_lead

    case_id = person_case(window)
    set_lead(window.store, case_id, "Mental health service", dt.date(2020, 1, 1))
    page = window.open_case(case_id)
    text = page.identifiers.text()
    assert "lead: Mental health service" in text and "review overdue since 01 Jan 2020" in text


def test_the_session_lock_is_watched_on_the_real_session_path():
    """logind emits Lock on .../session/<id>, not on session/auto: the path is read from
    logind's GetSession reply (real QDBusMessages here; no bus is needed to parse one)."""
    from PySide6.QtDBus import QDBusMessage, QDBusObjectPath

    from ddassess.ui.suspend import object_path_from_reply

    call = QDBusMessage.createMethodCall("org.freedesktop.login1", "/org/freedesktop/login1",
                                         "org.freedesktop.login1.Manager", "GetSession")
    ok = call.createReply(QDBusObjectPath("/org/freedesktop/login1/session/_32"))
    assert object_path_from_reply(ok) == "/org/freedesktop/login1/session/_32"
    error = call.createErrorReply("org.freedesktop.login1.NoSuchSession", "No session 'c9' known")
    assert object_path_from_reply(error) is None
    assert object_path_from_reply(call.createReply("not a path")) is None
    assert object_path_from_reply(call.createReply(QDBusObjectPath("/org/freedesktop/login1/user/_1000"))) is None


def test_closing_the_tab_right_after_typing_keeps_the_words(qtbot, window):
    page, form = open_form(qtbot, window, "referral")
    response_id = form.response.id
    qtbot.keyClicks(form.view.editors["referrer_name"].focus_widget(), "Dr Quickclose")
    assert form.view.save_pending
    index = window.workspace.indexOf(page)
    close_button = window.workspace.tabBar().tabButton(index, window.workspace.tabBar().ButtonPosition.RightSide)
    qtbot.mouseClick(close_button, Qt.MouseButton.LeftButton)
    assert window.workspace.indexOf(page) == -1
    assert case_changes.get_response(window.store, response_id).answers["referrer_name"] == "Dr Quickclose"
