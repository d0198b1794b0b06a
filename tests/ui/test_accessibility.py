"""Every control a keyboard can reach has a name for assistive technology, and
passphrase boxes never expose their text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)
from ui_helpers import case_with_forms, open_form

from ddassess.ui.mainwindow import MainWindow

CONTROLS = (QLineEdit, QPlainTextEdit, QComboBox, QAbstractButton, QAbstractItemView)


def _unnamed(root: QWidget) -> list[str]:
    buddies = {lbl.buddy() for lbl in root.findChildren(QLabel) if lbl.buddy() is not None}
    missing = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, CONTROLS) or w.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue
        if type(w).__name__ in ("QScrollBar", "QToolButton") or w.parent().inherits("QTabBar"):
            continue
        if w.parent().inherits("QComboBoxPrivateContainer"):  # a combo box's own popup list
            continue
        if w.parent().inherits("QAbstractSpinBox"):  # a spin box's own text box: the spin box is named
            continue
        text = w.text() if isinstance(w, QAbstractButton) else ""
        if not (w.accessibleName() or text or w in buddies):
            missing.append(f"{type(w).__name__} {w.objectName()!r} under {type(w.parent()).__name__}")
    return missing


def test_first_run_page(qtbot, catalogue, store_folder):
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    assert _unnamed(w.setup_page) == []
    for field in (w.setup_page.passphrase, w.setup_page.confirm):
        assert field.echoMode() == QLineEdit.EchoMode.Password
        qtbot.keyClicks(field, "secret words")
        assert "secret" not in field.accessibleName() + field.accessibleDescription()


def test_unlock_page_and_workspace(qtbot, window):
    assert _unnamed(window.unlock_page) == []
    assert _unnamed(window.case_list) == []
    page, form = open_form(qtbot, window, "substance_profile")
    assert _unnamed(page) == []
    _page, form = open_form(qtbot, window, "phq9")
    assert _unnamed(form) == []


def _focusable(root: QWidget) -> list[QWidget]:
    """Controls a person can reach: shown, enabled, taking focus from the keyboard (a spin box
    counts as one control, though its text box holds the focus)."""
    found = [w.parent() if w.parent().inherits("QAbstractSpinBox") else w for w in root.findChildren(QWidget)
             if isinstance(w, CONTROLS) and w.isVisible() and w.isEnabled()
             and w.focusPolicy() & Qt.FocusPolicy.TabFocus and not w.parent().inherits("QComboBoxPrivateContainer")]
    return list(dict.fromkeys(found))


def _tab_round(qtbot, dialog: QWidget) -> set[QWidget]:
    """Press Tab from the first control until focus comes back round; what was visited."""
    from PySide6.QtWidgets import QApplication

    dialog.show()
    dialog.activateWindow()
    qtbot.waitExposed(dialog)
    first = _focusable(dialog)[0]
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    seen: set[QWidget] = {first}
    for _ in range(60):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        now = QApplication.focusWidget()
        if now.parent().inherits("QAbstractSpinBox"):  # its text box has the focus for it
            now = now.parent()
        if now is first:
            break
        seen.add(now)
    else:
        raise AssertionError(f"Tab never came back to the first control: a keyboard trap at {now!r} "
                             f"{now.accessibleName()!r}")
    return seen


def _check_dialog(qtbot, dialog: QWidget) -> None:
    qtbot.addWidget(dialog)
    assert _unnamed(dialog) == []
    reachable = set(_focusable(dialog))
    seen = _tab_round(qtbot, dialog)
    missed = [f"{type(w).__name__} {w.accessibleName() or getattr(w, 'text', lambda: '')()!r}"
              for w in reachable - seen]
    assert missed == []


def test_settings_dialog(qtbot, window):
    from ddassess.ui.settings_dialog import SettingsDialog

    _check_dialog(qtbot, SettingsDialog(window.store, window))


def test_new_referral_dialog(qtbot, window):
    from ddassess.ui.referral import NewReferralDialog

    dialog = NewReferralDialog(window.store, window)
    _check_dialog(qtbot, dialog)
    for label in dialog.problems.values():
        assert label.accessibleName().startswith("Problem with ")


def test_verify_dialog(qtbot, window):
    from ddassess.ui.careplan_actions import VerifyDialog

    _check_dialog(qtbot, VerifyDialog(window.store, window))


def test_case_page_header_names_every_step_flag_and_score(qtbot, window, catalogue):
    page = window.open_case(case_with_forms(window, catalogue))
    header = page.header
    names = [label.accessibleName() for label in header.timeline.step_labels.values()]
    assert len(names) == 8 and all(n.startswith("Step ") and ":" in n for n in names)
    assert all(name for name in header.risk.texts()) and header.risk.accessibleName() == "Active risk flags"
    assert all(label.accessibleName() for label in header.scores.score_labels)
    assert _unnamed(page) == []
