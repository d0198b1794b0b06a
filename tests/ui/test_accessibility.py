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

from ddassess.ui.mainwindow import MainWindow

from .test_workspace import _open_form

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
    page, form = _open_form(qtbot, window, "substance_profile")
    assert _unnamed(page) == []
    _page, form = _open_form(qtbot, window, "phq9")
    assert _unnamed(form) == []
