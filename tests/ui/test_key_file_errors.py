"""A new passphrase set with the recovery key, on a disk that refuses the key file's write:
the unlock page says nothing changed (no crash box), and the store is not left held."""

from __future__ import annotations

import errno

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from store_helpers import PASSPHRASE

from ddassess.keys import key_file
from ddassess.store import Credentials, open_store
from ddassess.store.store import Store
from ddassess.ui.mainwindow import MainWindow


def test_a_failed_passphrase_reset_changes_nothing_and_holds_nothing(qtbot, created, catalogue, store_folder, request):
    recovery = created.recovery_key
    created.store.close()
    keyring.set_keyring(fail.Keyring())
    real_atomic_write, real_reset = key_file.atomic_write, Store.reset_passphrase
    full = []

    def atomic_write(*args, **kwargs):
        if full:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_atomic_write(*args, **kwargs)

    def reset_passphrase(self, *args, **kwargs):
        full.append(True)  # the disk fills up once the store is open, before the new passphrase is written
        return real_reset(self, *args, **kwargs)

    monkeypatch = pytest.MonkeyPatch()  # its own: undoing it leaves the test's environment alone
    request.addfinalizer(monkeypatch.undo)
    monkeypatch.setattr(key_file, "atomic_write", atomic_write)
    monkeypatch.setattr(Store, "reset_passphrase", reset_passphrase)
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    page = w.unlock_page
    qtbot.mouseClick(page.switch_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(page.recovery, recovery)
    qtbot.keyClicks(page.new_pass, "a brand new passphrase")
    qtbot.keyClicks(page.new_again, "a brand new passphrase")
    qtbot.mouseClick(page.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "nothing was changed" in page.message.text(), timeout=10_000)
    assert w.store is None
    monkeypatch.undo()
    w.close()
    # Not held by the window, and the old passphrase still opens.
    open_store(store_folder, Credentials(passphrase=PASSPHRASE, use_keyring=False)).close()
