"""Settings are checked before any is saved, kept per practitioner, and take effect."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox
from store_helpers import PASSPHRASE

from ddassess.services.settings import get_setting
from ddassess.store import Credentials, open_store
from ddassess.ui.settings_dialog import SettingsDialog


def test_general_settings_are_saved_and_applied(qtbot, window):
    dialog = SettingsDialog(window.store, window)
    dialog.idle.setValue(12)
    dialog.date_format.setCurrentIndex(dialog.date_format.findData("%Y-%m-%d"))
    dialog.agency.setText("Fictional Substance Misuse Service")
    dialog.save()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    window.apply_settings()
    assert get_setting(window.store, "idle_lock_minutes") == 12
    assert window.idle.interval() == 12 * 60_000
    assert get_setting(window.store, "default_agency") == "Fictional Substance Misuse Service"
    assert window.case_list.model.date_format == "%Y-%m-%d"


def test_bad_passphrase_change_saves_nothing(qtbot, window):
    dialog = SettingsDialog(window.store, window)
    dialog.idle.setValue(30)
    qtbot.keyClicks(dialog.new_pass, "a good new passphrase")
    qtbot.keyClicks(dialog.new_again, "a good new passphrase")
    dialog.save()
    assert "type the current one" in dialog.message.text()
    qtbot.keyClicks(dialog.old_pass, "not the current one")
    dialog.save()
    assert "does not unlock" in dialog.message.text()
    assert get_setting(window.store, "idle_lock_minutes") == 5  # nothing saved


def test_passphrase_change_and_keyring_off(qtbot, window, store_folder):
    dialog = SettingsDialog(window.store, window)
    qtbot.keyClicks(dialog.old_pass, PASSPHRASE)
    qtbot.keyClicks(dialog.new_pass, "a good new passphrase")
    qtbot.keyClicks(dialog.new_again, "a good new passphrase")
    dialog.keyring.setChecked(False)
    dialog.save()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    window.store.close()
    window.store = None
    s = open_store(store_folder, Credentials(passphrase="a good new passphrase"))
    assert not s.key_file.has_keyring
    s.close()


def test_new_recovery_key(qtbot, window, store_folder, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: shown.append(a[2]))
    dialog = SettingsDialog(window.store, window)
    dialog.new_recovery_key()
    assert "current passphrase first" in dialog.message.text()
    qtbot.keyClicks(dialog.old_pass, PASSPHRASE)
    dialog.new_recovery_key()
    assert shown and dialog.recovery_key in shown[0]
    window.store.close()
    window.store = None
    open_store(store_folder, Credentials(recovery_key=dialog.recovery_key)).close()
