"""The case history dialog and the "last changed" lines, driven as a practitioner would:
real clicks and keys on the real window over a real encrypted store (issue 14, "See who
did what")."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton
from store_helpers import PRACTITIONER
from ui_helpers import case_with_forms, open_form

from ddassess.services import case_changes
from ddassess.services.last_changed import answer_changes
from ddassess.ui.case_history import CaseHistoryDialog

ME = PRACTITIONER["name"]
PHQ9 = "Patient Health Questionnaire (PHQ-9)"
AUDIT = "Alcohol Use Disorders Identification Test (AUDIT, UK units version)"


def _history(qtbot, page) -> CaseHistoryDialog:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: page.history_dialog is not None and page.history_dialog.isVisible())
    dialog = page.history_dialog
    assert isinstance(dialog, CaseHistoryDialog)
    qtbot.waitUntil(dialog.isActiveWindow)  # where the keys go
    return dialog


def test_the_history_opens_from_the_case_page_and_reads_in_words(qtbot, window, catalogue):
    case_id = case_with_forms(window, catalogue)
    page = window.open_case(case_id)
    qtbot.mouseClick(page.history_button, Qt.MouseButton.LeftButton)
    dialog = _history(qtbot, page)
    assert dialog.windowTitle() == f"History of case {page.detail.ref}"
    shown = [dialog.entries.item(i).text() for i in range(dialog.entries.count())]
    assert shown == dialog.lines() and len(shown) == dialog.history.total
    said = [line.split(" — ", 1)[1] for line in shown]
    assert f"{ME} started {AUDIT}" in said
    assert f"{ME} finalised {PHQ9}" in said
    assert f"{ME} answered 'Little interest or pleasure in doing things' in {PHQ9}: 'Several days'" in said
    assert said[-2:] == [f"{ME} opened the case {page.detail.ref}", f"{ME} registered the person 'Testy McTestface'"]
    # The filter, by keyboard: Alt+S is "Show:", then the arrows pick the PHQ-9.
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    assert dialog.filter.hasFocus()
    while dialog.filter.currentText() != PHQ9:
        qtbot.keyClick(dialog.filter, Qt.Key.Key_Down)
    assert dialog.history.total == len(dialog.lines()) > 0
    assert all(f"in {PHQ9}" in line or f"{PHQ9}" in line for line in dialog.lines())
    assert not any(AUDIT in line for line in dialog.lines())
    qtbot.keyClick(dialog.entries, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: page.history_dialog is None)


def test_ctrl_h_opens_the_history_of_the_case_in_the_current_tab(qtbot, window, catalogue):
    page, form = open_form(qtbot, window, "audit")
    first = form.view.editors["q1"].focus_widget()
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    dialog = _history(qtbot, page)
    assert dialog.lines()[0].endswith(f"{ME} started {AUDIT}")
    dialog.close()
    qtbot.waitUntil(lambda: page.history_dialog is None)
    window.workspace.setCurrentWidget(window.case_list)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.case_list, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert window.statusBar().currentMessage() == "Open a case to see its history."


def test_the_history_follows_changes_while_it_is_open(qtbot, window, catalogue):
    page, form = open_form(qtbot, window, "audit")
    qtbot.mouseClick(page.history_button, Qt.MouseButton.LeftButton)
    dialog = _history(qtbot, page)
    before = dialog.history.total
    page.new_form.setCurrentIndex(page.new_form.findData("gad7"))
    start = next(b for b in page.findChildren(QPushButton) if b.text() == "Start form")
    qtbot.mouseClick(start, Qt.MouseButton.LeftButton)  # announced to the case: the open history shows it
    qtbot.waitUntil(lambda: dialog.history.total > before)
    assert dialog.lines()[0].endswith(f"{ME} started Generalised Anxiety Disorder assessment (GAD-7)")
    assert [dialog.filter.itemText(i) for i in range(dialog.filter.count())] == [
        "Everything", "The case and the person", AUDIT, "Generalised Anxiety Disorder assessment (GAD-7)"]


def test_older_and_newer_page_through_a_long_history(qtbot, window, catalogue):
    case_id = case_with_forms(window, catalogue)
    page = window.open_case(case_id)
    dialog = CaseHistoryDialog(window.store, catalogue, case_id, page, page_size=5)
    qtbot.addWidget(dialog)
    dialog.show()
    everything = CaseHistoryDialog(window.store, catalogue, case_id, page).lines()
    assert dialog.position.text() == f"Entries 1–5 of {len(everything)}, newest first"
    assert not dialog.newer_button.isEnabled() and dialog.older_button.isEnabled()
    seen = list(dialog.lines())
    while dialog.older_button.isEnabled():
        qtbot.mouseClick(dialog.older_button, Qt.MouseButton.LeftButton)
        seen += dialog.lines()
    assert seen == everything
    qtbot.mouseClick(dialog.newer_button, Qt.MouseButton.LeftButton)
    assert dialog.lines() == everything[(len(everything) - 1) // 5 * 5 - 5:][:5]


def test_each_answer_and_each_form_says_who_last_changed_it(qtbot, window, catalogue):
    case_id = case_with_forms(window, catalogue)
    page = window.open_case(case_id)
    lines = [page.forms.item(i).text() for i in range(page.forms.count())]
    assert all(line.endswith(f" by {ME})") for line in lines), lines
    audit_row = next(i for i in range(page.forms.count()) if AUDIT in page.forms.item(i).text())
    item = page.forms.item(audit_row)
    assert item.toolTip().startswith(f"Last changed by {ME}, ")
    page.forms.setCurrentRow(audit_row)
    qtbot.mouseClick(page.forms.viewport(), Qt.MouseButton.LeftButton,
                     pos=page.forms.visualItemRect(item).center())
    qtbot.waitUntil(lambda: page.form_page is not None and page.form_page.isVisible())
    form = page.form_page
    view = form.view
    known = answer_changes(window.store, form.response.id)
    assert set(view.changed_notes) == set(known) and "q1" in known
    note = view.changed_notes["q1"]
    assert note.isVisible() and note.text() == known["q1"].words("%d %b %Y")
    assert note.text().startswith(f"Last changed by {ME}, ")
    editor = view.editors["q1"]
    assert editor.widget.accessibleDescription().startswith(note.text() + ". ")  # the question's description
    assert note.text() in editor.focus_widget().accessibleDescription()  # and each option's, after its key
    # Changing an answer here says so at once under that question, and in the list of forms.
    editor.focus_widget().setFocus()
    qtbot.keyClick(editor.focus_widget(), Qt.Key.Key_4)
    assert form.flush()
    qtbot.waitUntil(lambda: form.response.answers.get("q1") == 4)  # the save is on the disk, and shown
    assert answer_changes(window.store, form.response.id)["q1"].at > known["q1"].at
    saved = form.response.updated_at.astimezone()
    assert view.changed_notes["q1"].text() == f"Last changed by {ME}, {saved:%d %b %Y %H:%M}"
    assert answer_changes(window.store, form.response.id)["q1"].at.astimezone().strftime("%H:%M") == \
        f"{saved:%H:%M}"
    assert view.changed_notes["q2"].text() == known["q2"].words("%d %b %Y")  # not changed: as it was
    qtbot.waitUntil(lambda: page.forms.item(audit_row).text().endswith(f"{saved:%H:%M} by {ME})"))


def test_a_question_never_answered_has_no_last_changed_line(qtbot, window, catalogue):
    page, form = open_form(qtbot, window, "phq9")
    assert form.view.changed_notes == {}
    r = case_changes.get_response(window.store, form.response.id)
    assert r.answers == {}
