"""A walk of every form of the catalogue as a keyboard and screen-reader user meets it:
every control that can take the focus has a name of its own (a screen reader announces
nothing else), and Tab visits every question in the form's order, through the rows of
repeating groups, then Finalise."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget
from ui_helpers import FORMS, person_case

from ddassess.formengine import load_catalogue
from ddassess.services.careplan_prefill import start_care_plan
from ddassess.ui.rows import RowsEditor

FORM_IDS = sorted(load_catalogue(FORMS).forms)


def _name(w: QWidget) -> str:
    """What a screen reader says for a control: its accessible name, or a button's text."""
    return w.accessibleName() or (w.text() if isinstance(w, QAbstractButton) else "")


def _open(qtbot, window, catalogue, form_id):
    case_id = person_case(window)
    page = window.open_case(case_id)
    if form_id == "care_plan":  # a plan starts from what the assessment found
        page.open_response(start_care_plan(window.store, catalogue, case_id))
    else:
        page.new_form.setCurrentIndex(page.new_form.findData(form_id))
        page.start_form()
    form = page.form_page
    qtbot.waitUntil(form.view.isVisible)  # laid out and shown, as a person would see it
    for editor in form.view.editors.values():  # two rows in each repeating group
        if isinstance(editor, RowsEditor):
            while len(editor.rows) < 2:
                editor.add_button.click()
    qtbot.waitUntil(lambda: all(r.group.isVisible() or not ed.widget.isVisible()
                                for ed in form.view.editors.values() if isinstance(ed, RowsEditor) for r in ed.rows))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return form


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_control_of_every_form_has_a_name_of_its_own(qtbot, window, catalogue, form_id):
    form = _open(qtbot, window, catalogue, form_id)
    controls = [w for w in form.view.findChildren(QWidget) if w.focusPolicy() != Qt.FocusPolicy.NoFocus
                and not w.parent().inherits("QComboBoxPrivateContainer")]
    assert controls
    names = [_name(w) for w in controls]
    assert [f"{type(w).__name__} under {_name(w.parentWidget())!r}" for w, n in zip(controls, names, strict=True)
            if not n] == []
    repeated = sorted({n for n in names if names.count(n) > 1})
    assert repeated == []


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_tab_visits_every_question_in_the_form_order(qtbot, window, catalogue, form_id):
    form = _open(qtbot, window, catalogue, form_id)
    view = form.view
    shown = [fid for fid, (_layout, holder) in view.rows.items() if holder.isVisible()]
    focusable = [fid for fid in shown if view.editors[fid].focus_widget().focusPolicy() & Qt.FocusPolicy.TabFocus]
    first = view.editors[focusable[0]].focus_widget()
    first.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(first.hasFocus)
    visited = [focusable[0]]
    for _ in range(600):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        now = QApplication.focusWidget()
        if now is form.finalise_button:
            break
        assert view.isAncestorOf(now), f"Tab left the form after {visited[-1]!r}, for {_name(now)!r}"
        field = view.focused_field()
        if field is not None and field != visited[-1]:
            visited.append(field)
    else:
        raise AssertionError(f"Tab never reached Finalise; it went round {visited[-5:]}")
    assert visited == focusable
