"""First run as a practitioner meets it: no error before anything is typed, Enter creates
the store, "too short" is said once, saving the recovery key says where it went, the
status bar says in words how the store was opened, and the empty case list says how to
start a referral. Real widgets, real keys, a real (non-native) file dialog."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit
from store_helpers import PASSPHRASE
from ui_helpers import when_a_box_is_up

from ddassess.ui.mainwindow import MainWindow
from ddassess.ui.referral import NewReferralDialog


def _first_run(qtbot, catalogue, store_folder) -> MainWindow:
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    return w


def _messages(page) -> list[str]:
    """Every problem or verdict the profile step shows in words."""
    return [t for t in (page.strength.text(), page.meter.words.text(), page.create_error.text()) if t]


def test_nothing_is_called_wrong_before_anything_is_typed(qtbot, catalogue, store_folder):
    w = _first_run(qtbot, catalogue, store_folder)
    page = w.setup_page
    assert _messages(page) == []
    qtbot.keyClicks(page.name, "Testy McTestface")
    assert _messages(page) == []  # the name is fine; the passphrase boxes were not typed in yet
    qtbot.keyClicks(page.passphrase, "abc")
    assert [m for m in _messages(page) if "too short" in m.lower()] and "name" not in page.strength.text()
    w.close()


def test_a_box_typed_in_and_emptied_says_what_it_needs(qtbot, catalogue, store_folder):
    w = _first_run(qtbot, catalogue, store_folder)
    page = w.setup_page
    qtbot.keyClicks(page.name, "T")
    qtbot.keyClick(page.name, Qt.Key.Key_Backspace)
    assert page.strength.text() == "Enter your name: it is recorded with everything you save."
    w.close()


def test_too_short_is_said_once(qtbot, catalogue, store_folder):
    w = _first_run(qtbot, catalogue, store_folder)
    page = w.setup_page
    qtbot.keyClicks(page.name, "Testy McTestface")
    qtbot.keyClicks(page.passphrase, "short")
    said = [m for m in _messages(page) if "too short" in m.lower()]
    assert len(said) == 1, said


def test_enter_with_nothing_typed_says_what_is_missing_and_goes_there(qtbot, catalogue, store_folder):
    w = _first_run(qtbot, catalogue, store_folder)
    page = w.setup_page
    page.passphrase.setFocus()
    qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)
    assert page.strength.text() == "Enter your name: it is recorded with everything you save."
    assert w.focusWidget() is page.name and page.steps.currentIndex() == 0
    w.close()


def test_enter_creates_the_store(qtbot, catalogue, store_folder):
    w = _first_run(qtbot, catalogue, store_folder)
    page = w.setup_page
    qtbot.keyClicks(page.name, "Testy McTestface")
    qtbot.keyClick(page.name, Qt.Key.Key_Tab)
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    qtbot.keyClicks(page.confirm, PASSPHRASE)
    qtbot.keyClick(page.confirm, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.steps.currentIndex() == 1, timeout=15_000)
    assert page.created is not None
    w.close()


def _type_into_file_dialog(qtbot, path: Path, seen: list[str]):  # type: ignore[no-untyped-def]
    """Answer the real (Qt's own) save dialog as a person would: go to the folder, type the
    file's name, press Enter. ``seen`` gets the folder the dialog opened in."""
    def answer(dialog: QFileDialog) -> None:
        seen.append(dialog.directory().absolutePath())
        if dialog.directory().absolutePath() != str(path.parent):
            dialog.setDirectory(str(path.parent))  # (browsing there, as a person would)
        name = dialog.findChild(QLineEdit, "fileNameEdit")
        name.selectAll()
        qtbot.keyClicks(name, path.name)
        qtbot.keyClick(name, Qt.Key.Key_Return)
    return answer


def _created(qtbot, catalogue, store_folder) -> tuple[MainWindow, object]:
    w = _first_run(qtbot, catalogue, store_folder)
    page = w.setup_page
    qtbot.keyClicks(page.name, "Testy McTestface")
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    qtbot.keyClicks(page.confirm, PASSPHRASE)
    qtbot.keyClick(page.confirm, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.steps.currentIndex() == 1, timeout=15_000)
    return w, page


@pytest.fixture
def qt_file_dialogs():
    """Qt's own file dialog (not the desktop's), so the test can type into it."""
    before = QApplication.testAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs)
    QApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, True)
    yield
    QApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, before)


def test_saving_the_recovery_key_says_where_it_went(qtbot, catalogue, store_folder, tmp_path, qt_file_dialogs):
    w, page = _created(qtbot, catalogue, store_folder)
    target = tmp_path / "usb" / "my-recovery-key.txt"
    target.parent.mkdir()
    seen: list[str] = []
    when_a_box_is_up(_type_into_file_dialog(qtbot, target, seen), QFileDialog)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert seen, "the save dialog was shown"
    assert page.key_label.text() in target.read_text()
    assert page.panel.error.text().startswith(f"Saved to {target}.")
    assert page.panel.error.property("ok") is True  # said as done (green), not as a problem
    w.close()


def test_the_status_bar_says_how_the_store_was_opened_in_words(qtbot, catalogue, store_folder):
    w, page = _created(qtbot, catalogue, store_folder)
    page.stored.setChecked(True)
    qtbot.keyClicks(page.test_passphrase, PASSPHRASE)
    qtbot.keyClick(page.test_passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.store is not None, timeout=10_000)
    message = w.statusBar().currentMessage()
    assert message.endswith("· new store, set up just now") and "unlocked by" not in message
    w.close()


def test_the_empty_case_list_says_how_to_start_a_referral(qtbot, catalogue, store_folder):
    w, page = _created(qtbot, catalogue, store_folder)
    page.stored.setChecked(True)
    qtbot.keyClicks(page.test_passphrase, PASSPHRASE)
    qtbot.keyClick(page.test_passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.store is not None, timeout=10_000)
    cases = w.case_list
    qtbot.waitUntil(cases.empty.isVisible)
    assert cases.empty_text.text() == "No cases yet. To start one, make a referral: File → New referral… (Ctrl+N)."
    offered: list[str] = []
    when_a_box_is_up(lambda box: (offered.append(box.windowTitle()), box.reject()), NewReferralDialog)
    qtbot.mouseClick(cases.empty_button, Qt.MouseButton.LeftButton)
    assert offered == ["New referral"]
    # A search that finds nothing says so, and still how to refer someone new.
    qtbot.keyClicks(cases.search, "Nobody Fictional")
    qtbot.waitUntil(lambda: cases.empty_text.text().startswith("No case matches this search"))
    assert cases.empty.isVisible()
    w.close()
