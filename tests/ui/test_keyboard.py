"""A form filled by keyboard alone, as a practitioner talking with the person does it:
real key events (pytest-qt's keyClick) on the real window and an encrypted store.

One test per keyboard finding of issue 13: the options of a multiple-choice question, Tab
through a repeating group, the nine risk domains' names, digit keys for scored items and
the visible focus, the Finalise shortcut and its reach, and the place after unlocking.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QMessageBox, QScrollArea, QWidget
from ui_helpers import open_form, unlock_with_passphrase, when_a_box_is_up

from ddassess.ui.fields import ChoiceEditor


def _active(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def _key(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> QWidget:
    """Press ``key`` where the focus is; the widget with the focus afterwards."""
    qtbot.keyClick(QApplication.focusWidget(), key, modifier)
    return QApplication.focusWidget()


def _focus(qtbot, widget: QWidget) -> None:
    widget.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(widget.hasFocus)


def _tab_into(qtbot, editor, limit: int = 4) -> QWidget:
    """Tab until the focus is inside ``editor`` (a glossary button may come first)."""
    for _ in range(limit):
        now = _key(qtbot, Qt.Key.Key_Tab)
        if now is editor.widget or editor.widget.isAncestorOf(now):
            return now
    raise AssertionError(f"Tab did not reach {editor.spec.id}; it is at {now.accessibleName()!r}")


def _scroll_area(widget: QWidget) -> QScrollArea:
    parent = widget.parentWidget()
    while not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    return parent


def _options(editor: ChoiceEditor) -> list[QWidget]:
    return [b for _v, b in editor.buttons]


def test_every_option_of_a_multiple_choice_question_is_ticked_by_keyboard(qtbot, window):
    _page, form = open_form(qtbot, window, "joint_assessment")
    _active(qtbot, window)
    view = form.view
    pattern = view.editors["interaction_pattern"]
    boxes = _options(pattern)
    _focus(qtbot, view.editors["functioning_level"].focus_widget())  # the question before it
    assert _tab_into(qtbot, pattern) is boxes[0]  # Tab enters the group at its first box
    assert _key(qtbot, Qt.Key.Key_Down) is boxes[1]  # arrows move, whichever way the boxes are laid out
    _key(qtbot, Qt.Key.Key_Space)  # Space ticks
    assert _key(qtbot, Qt.Key.Key_Right) is boxes[2]
    assert _key(qtbot, Qt.Key.Key_Down) is boxes[3]
    assert _key(qtbot, Qt.Key.Key_Down) is boxes[4]
    assert _key(qtbot, Qt.Key.Key_Down) is boxes[4]  # the last stays: the form does not scroll away
    _key(qtbot, Qt.Key.Key_Space)
    assert _key(qtbot, Qt.Key.Key_Up) is boxes[3]
    _key(qtbot, Qt.Key.Key_Space)
    assert pattern.value() == ["use_worsens_mh", "withdrawal_symptoms", "unclear"]
    _key(qtbot, Qt.Key.Key_Space)  # and Space unticks
    assert pattern.value() == ["use_worsens_mh", "unclear"]
    # Each option says its question and its own words.
    assert [b.accessibleName() for b in boxes][:2] == [
        "Which of these describe the person?: A primary mental illness leads to substance use",
        "Which of these describe the person?: Substance use worsens the mental illness"]
    # Tab leaves the question for the next one (one stop per question, as for radio buttons).
    after = _key(qtbot, Qt.Key.Key_Tab)
    assert not pattern.widget.isAncestorOf(after)
    assert after is view.editors["treating_use_first"].focus_widget()


def test_copies_given_to_on_the_care_plan_by_keyboard(qtbot, window):
    _page, form = open_form(qtbot, window, "care_plan")
    _active(qtbot, window)
    copies = form.view.editors["copy_given"]
    _focus(qtbot, copies.focus_widget())
    for _ in range(3):
        _key(qtbot, Qt.Key.Key_Space)
        _key(qtbot, Qt.Key.Key_Down)
    _key(qtbot, Qt.Key.Key_Space)
    assert copies.value() == ["person", "gp", "carer", "partner_service"]


def test_tab_follows_the_form_through_every_row_of_a_repeating_group(qtbot, window):
    _page, form = open_form(qtbot, window, "consent")
    _active(qtbot, window)
    view = form.view
    sharing = view.editors["sharing"]
    _focus(qtbot, view.editors["consent_given"].focus_widget())
    _key(qtbot, Qt.Key.Key_1)  # "Yes" (the first option): the group is asked
    assert view.editors["consent_given"].value() is True
    qtbot.waitUntil(sharing.add_button.isVisible)
    for n in (1, 2):
        _focus(qtbot, sharing.add_button)
        _key(qtbot, Qt.Key.Key_Space)  # a row added by keyboard: the focus goes to its first cell
        assert len(sharing.rows) == n and sharing.rows[-1].editors["agency"].focus_widget().hasFocus()
        qtbot.waitUntil(sharing.rows[-1].group.isVisible)  # shown as the event loop turns, before the next key
    first_row = sharing.rows[0]
    _focus(qtbot, first_row.editors["agency"].focus_widget())
    visited = [QApplication.focusWidget()]
    for _ in range(12):
        visited.append(_key(qtbot, Qt.Key.Key_Tab))
        if visited[-1] is sharing.add_button:
            break
    rows = sharing.rows
    expected = [rows[0].editors["agency"].focus_widget(), rows[0].editors["contact"].widget,
                rows[0].editors["information"].focus_widget(), rows[0].group.findChildren(type(sharing.add_button))[0],
                rows[1].editors["agency"].focus_widget(), rows[1].editors["contact"].widget,
                rows[1].editors["information"].focus_widget(), rows[1].group.findChildren(type(sharing.add_button))[0],
                sharing.add_button]
    assert [w.accessibleName() for w in visited] == [w.accessibleName() for w in expected]
    assert visited == expected
    # After the group, Tab goes on to the next question of the form, not out of the form.
    after = _key(qtbot, Qt.Key.Key_Tab)
    assert view.isAncestorOf(after)
    assert after is view.editors["exclusions"].focus_widget()
    # A cell of the second row says which row it is.
    assert rows[1].editors["contact"].widget.accessibleName() == \
        "What may be shared, and with whom, row 2: Team or contact"
    # The shared information is ticked with the arrows and Space in a row too.
    _focus(qtbot, rows[1].editors["information"].focus_widget())
    _key(qtbot, Qt.Key.Key_Space)
    _key(qtbot, Qt.Key.Key_Down)
    _key(qtbot, Qt.Key.Key_Space)
    assert rows[1].editors["information"].value() == [v for v, _b in rows[1].editors["information"].buttons][:2]


def test_each_risk_domain_says_which_risk_it_asks_about(qtbot, window):
    _page, form = open_form(qtbot, window, "risk")
    view = form.view
    present = [f for section in form.spec.sections for f in section.fields if f.id.endswith("_present")]
    assert len(present) == 9
    names = []
    for section in form.spec.sections:
        f = next((f for f in section.fields if f.id.endswith("_present")), None)
        if f is None:
            continue
        yes = view.editors[f.id].buttons[0][1]
        assert yes.accessibleName().startswith(f"{section.title}: Is this risk present")
        assert yes.accessibleName().endswith(": Yes")
        names.append(yes.accessibleName())
    assert len(set(names)) == 9


def test_a_digit_answers_a_scored_item_with_the_score_it_is_shown_beside(qtbot, window):
    _page, form = open_form(qtbot, window, "phq9")
    _active(qtbot, window)
    q1 = form.view.editors["q1"]
    _focus(qtbot, q1.focus_widget())
    now = _key(qtbot, Qt.Key.Key_2)
    assert q1.value() == 2  # PHQ-9 scores 2 for "More than half the days" (Kroenke et al. 2001)
    assert now is q1.buttons[2][1] and now.text() == "More than half the days (2)"
    assert [b.text() for _v, b in q1.buttons] == ["Not at all (0)", "Several days (1)", "More than half the days (2)",
                                                   "Nearly every day (3)"]
    _key(qtbot, Qt.Key.Key_0)
    assert q1.value() == 0
    _key(qtbot, Qt.Key.Key_7)  # no option is scored 7: nothing changes
    assert q1.value() == 0
    # The next item by Tab, and answered by a digit too.
    _key(qtbot, Qt.Key.Key_Tab)
    _key(qtbot, Qt.Key.Key_3)
    assert form.view.editors["q2"].value() == 3
    # An unscored question answers with the option's position (1 is the first).
    difficulty = form.view.editors["difficulty"]
    _focus(qtbot, difficulty.focus_widget())
    _key(qtbot, Qt.Key.Key_1)
    assert difficulty.value() == difficulty.buttons[0][0]
    assert difficulty.buttons[0][1].text().endswith(" (1)")


def test_the_option_with_the_focus_has_a_visible_ring(qtbot, window):
    _page, form = open_form(qtbot, window, "phq9")
    _active(qtbot, window)
    q1, q2 = form.view.editors["q1"], form.view.editors["q2"]
    ring = QColor("#1D4ED8")
    _focus(qtbot, q1.focus_widget())
    focused = q1.focus_widget().grab().toImage()
    unfocused = q2.focus_widget().grab().toImage()
    top = focused.height() // 2
    assert QColor(focused.pixel(0, top)) == ring  # the frame's left edge, in the ring's blue
    assert QColor(unfocused.pixel(0, top)) != ring
    assert q1.focus_widget().size() == q2.focus_widget().size()  # the frame takes no room of its own


def test_ctrl_return_finalises_and_tab_reaches_finalise_from_the_last_question(qtbot, window):
    page, form = open_form(qtbot, window, "gad7")
    _active(qtbot, window)
    view = form.view
    assert "Ctrl+Return" in form.finalise_button.toolTip()
    action = window.menu.finalise
    assert action.shortcut().toString() == "Ctrl+Return" and action in window.menuBar().actions()[0].menu().actions()
    for fid in [f"q{i}" for i in range(1, 8)]:
        _focus(qtbot, view.editors[fid].focus_widget())
        _key(qtbot, Qt.Key.Key_1)
    last = [f for f in form.spec.fields.values() if f.id not in view.evaluation.hidden and f.type != "computed"][-1]
    _focus(qtbot, view.editors[last.id].focus_widget())
    _key(qtbot, Qt.Key.Key_1)
    assert _key(qtbot, Qt.Key.Key_Tab) is form.finalise_button  # one Tab, not seven through the tabs and the list
    _focus(qtbot, view.editors["q3"].focus_widget())
    when_a_box_is_up(lambda box: box.button(QMessageBox.StandardButton.Yes).click(), QMessageBox)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.form_page.response.status == "final")


def test_ctrl_return_with_no_draft_open_says_so(qtbot, window):
    _active(qtbot, window)
    window.menu.finalise.trigger()
    assert window.statusBar().currentMessage() == "No draft form is open to finalise."


def test_after_unlocking_the_cursor_is_where_it_was_in_a_field_scrolled_into_view(qtbot, window):
    page, form = open_form(qtbot, window, "joint_assessment")
    _active(qtbot, window)
    box = form.view.editors["formulation"].widget  # far down the form
    _focus(qtbot, box)
    _scroll_area(box).ensureWidgetVisible(box)
    qtbot.keyClicks(box, "Wants to cut down")
    for _ in range(len(" cut down")):
        qtbot.keyClick(box, Qt.Key.Key_Left)
    assert box.textCursor().position() == len("Wants to")
    window.lock()
    unlock_with_passphrase(qtbot, window)
    page = window.current_case_page()
    qtbot.waitUntil(lambda: page.form_page is not None and page.form_page.view.focused_field() == "formulation")
    form = page.form_page
    box = form.view.editors["formulation"].widget
    qtbot.waitUntil(lambda: not box.visibleRegion().isEmpty())  # scrolled into view
    viewport = _scroll_area(box).viewport()
    top_left = box.mapTo(viewport, box.rect().topLeft())
    assert 0 <= top_left.y() < viewport.height()
    assert box.textCursor().position() == len("Wants to")
    qtbot.keyClicks(QApplication.focusWidget(), ", slowly,")
    assert box.toPlainText() == "Wants to, slowly, cut down"
