"""First run to an unlocked window; unlocking with every kind of answer."""

from __future__ import annotations

import keyring
from keyring.backends import fail
from PySide6.QtCore import Qt
from store_helpers import PASSPHRASE

from ddassess.keys import parse_recovery_key
from ddassess.store import Credentials, open_store
from ddassess.ui.caselist import CaseListWidget
from ddassess.ui.mainwindow import MainWindow

from .conftest import deleted_later, texts_on_screen, unlock_with_passphrase


def test_first_run_to_unlocked_main_window(qtbot, catalogue, store_folder, monkeypatch):
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    page = w.setup_page
    assert w.stack.currentWidget() is page
    qtbot.keyClicks(page.name, "Testy McTestface")
    qtbot.keyClicks(page.passphrase, "short")
    assert "too short" in page.strength.text() and not page.create_button.isEnabled()
    page.passphrase.clear()
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    qtbot.keyClicks(page.confirm, PASSPHRASE + "x")
    assert "differ" in page.strength.text() and not page.create_button.isEnabled()
    page.confirm.clear()
    qtbot.keyClicks(page.confirm, PASSPHRASE)
    assert page.create_button.isEnabled()
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.steps.currentIndex() == 1, timeout=15_000)
    recovery = page.key_label.text()
    assert len(parse_recovery_key(recovery)) == 16
    assert not page.continue_button.isEnabled()  # not before the key is stored
    page.stored.setChecked(True)
    qtbot.keyClicks(page.test_passphrase, "not what I chose")
    qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
    assert "not the passphrase you chose" in page.test_error.text()
    page.test_passphrase.clear()
    qtbot.keyClicks(page.test_passphrase, PASSPHRASE)
    qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.store is not None)
    assert isinstance(w.workspace.widget(0), CaseListWidget)
    assert w.new_action.isEnabled() and w.lock_action.isEnabled()
    # The key was shown once: its page is gone, and no widget anywhere still holds its text.
    assert w.setup_page is None and page.created is None
    deleted_later(qtbot)
    assert not any(recovery in t for t in texts_on_screen())
    w.close()
    # The recovery key shown is the store's.
    open_store(store_folder, Credentials(recovery_key=recovery, use_keyring=False)).close()


def test_keyring_unlocks_without_asking(window):
    assert window.store.unlocked_by == "keyring"


def test_wrong_passphrase_then_right(qtbot, created, catalogue, store_folder):
    created.store.close()
    keyring.set_keyring(fail.Keyring())
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    page = w.unlock_page
    qtbot.keyClicks(page.passphrase, "wrong passphrase here")
    qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "does not unlock" in page.message.text(), timeout=10_000)
    assert w.store is None
    page.passphrase.clear()
    unlock_with_passphrase(qtbot, w)
    assert w.store.unlocked_by == "passphrase"
    w.close()


def test_store_errors_are_shown_in_words(qtbot, created, catalogue, store_folder):
    created.store.close()
    keyring.set_keyring(fail.Keyring())
    holder = open_store(store_folder, Credentials(passphrase=PASSPHRASE))  # someone else has it open
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    page = w.unlock_page
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "already open" in page.message.text(), timeout=10_000)
    holder.close()
    (store_folder / "ddassess.keys.json").write_text("{}")
    page.unlock()
    qtbot.waitUntil(lambda: "not a ddassess key file" in page.message.text(), timeout=10_000)
    w.close()


def test_recovery_key_sets_a_new_passphrase(qtbot, created, catalogue, store_folder):
    recovery = created.recovery_key
    created.store.close()
    keyring.set_keyring(fail.Keyring())
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    page = w.unlock_page
    qtbot.mouseClick(page.switch_button, Qt.MouseButton.LeftButton)
    typo = ("B" if recovery[0] != "B" else "C") + recovery[1:]  # always one character different
    qtbot.keyClicks(page.recovery, typo)
    qtbot.keyClicks(page.new_pass, "a brand new passphrase")
    qtbot.keyClicks(page.new_again, "a brand new passphrase")
    qtbot.mouseClick(page.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "mistyped" in page.message.text() or "belongs" in page.message.text(), timeout=10_000)
    page.recovery.clear()
    qtbot.keyClicks(page.recovery, recovery)
    qtbot.mouseClick(page.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.store is not None, timeout=10_000)
    w.close()
    open_store(store_folder, Credentials(passphrase="a brand new passphrase")).close()
