"""Settings are checked before any is saved, kept per practitioner, and take effect."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from store_helpers import PASSPHRASE, setting_as_saved, write_setting_unchecked
from ui_helpers import when_a_box_is_up

from ddassess.services.settings import get_setting
from ddassess.store import Credentials, open_store
from ddassess.ui.settings_dialog import SettingsDialog


def test_general_settings_are_saved_and_applied(qtbot, window):
    dialog = SettingsDialog(window.store, window)
    dialog.idle.setValue(12)
    dialog.date_format.setCurrentIndex(dialog.date_format.findData("%Y-%m-%d"))
    assert dialog.role.text() == "Substance misuse social worker"  # the profile made at first run
    dialog.role.setText("Senior practitioner")
    dialog.agency.setText("Fictional Substance Misuse Service")
    dialog.save()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    window.apply_settings()
    assert get_setting(window.store, "idle_lock_minutes") == 12
    assert window.idle.interval() == 12 * 60_000
    assert window.case_list.model.date_format == "%Y-%m-%d"
    me = window.store.owner()  # printed with their signature on care plans, put in their certificates
    assert (me.role, me.agency) == ("Senior practitioner", "Fictional Substance Misuse Service")
    assert _last_event(window.store) == ("update", {"role": ["Substance misuse social worker", "Senior practitioner"],
                                                    "agency": ["Fictional SMS", "Fictional Substance Misuse Service"]})


def _last_event(store):  # type: ignore[no-untyped-def]
    import json

    conn = store.raw_connection()
    try:
        action, changes = conn.execute("SELECT action, changes_json FROM audit_events ORDER BY seq DESC").fetchone()
    finally:
        conn.close()
    return action, json.loads(changes)


def test_bad_profile_text_saves_nothing(qtbot, window):
    from ddassess.errors import InvalidInputError
    from ddassess.services.settings import update_profile

    dialog = SettingsDialog(window.store, window)
    dialog.idle.setValue(30)
    dialog.role.setText("Social\x1b[2Jworker")  # pasted with a terminal's control characters
    dialog.save()
    assert "Your role contains invisible control characters" in dialog.message.text()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert get_setting(window.store, "idle_lock_minutes") == 5  # nothing saved, not even the rest
    assert window.store.owner().role == "Substance misuse social worker"
    assert dialog.agency.maxLength() == 200
    with pytest.raises(InvalidInputError, match="at most 200 fit"):
        update_profile(window.store, role="Worker", agency="F" * 10_000)
    assert window.store.owner().agency == "Fictional SMS"


def test_the_old_default_agency_setting_fills_an_empty_service(qtbot, window):
    from ddassess.services.settings import update_profile

    update_profile(window.store, role="Worker", agency="")
    write_setting_unchecked(window.store, "default_agency", "Old Fictional Service")  # as an earlier version left it
    dialog = SettingsDialog(window.store, window)
    assert dialog.agency.text() == "Old Fictional Service"
    dialog.save()
    assert window.store.owner().agency == "Old Fictional Service"


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
    window.lock()  # the window lets go of the store: the test opens it itself
    s = open_store(store_folder, Credentials(passphrase="a good new passphrase"))
    assert not s.key_file.has_keyring
    s.close()


def test_new_recovery_key_replaces_the_old_only_once_kept(qtbot, window, created, tmp_path):
    from ddassess.errors import WrongRecoveryKeyError
    from ddassess.ui.settings_dialog import RecoveryKeyDialog

    key_file = window.store.key_file
    dialog = SettingsDialog(window.store, window)
    dialog.show()
    dialog.new_recovery_key()
    assert "current passphrase first" in dialog.message.text()
    qtbot.keyClicks(dialog.old_pass, PASSPHRASE)
    seen = {}

    def keep_it(box):
        seen["key"] = box.panel.key_label.text()
        key_file.unlock_with_recovery_key(created.recovery_key)  # the old key works while it is shown
        seen["use_enabled_before"] = box.use_button.isEnabled()
        seen["saved"] = box.panel.save_to(tmp_path / "key.txt")
        box.panel.stored.setChecked(True)
        box.use_button.click()

    when_a_box_is_up(keep_it, RecoveryKeyDialog)
    qtbot.mouseClick(dialog.recovery_button, Qt.MouseButton.LeftButton)
    assert seen["use_enabled_before"] is False and seen["saved"]
    assert seen["key"] in (tmp_path / "key.txt").read_text() and dialog.recovery_key == seen["key"]
    assert "old one no longer works" in dialog.message.text()
    with pytest.raises(WrongRecoveryKeyError):
        key_file.unlock_with_recovery_key(created.recovery_key)
    window.lock()  # the window lets go of the store: the test opens it itself
    open_store(window.unlock_page.folder, Credentials(recovery_key=seen["key"])).close()


def test_a_new_recovery_key_not_confirmed_changes_nothing(qtbot, window, created):
    from ddassess.ui.settings_dialog import RecoveryKeyDialog

    dialog = SettingsDialog(window.store, window)
    dialog.show()
    qtbot.keyClicks(dialog.old_pass, PASSPHRASE)
    when_a_box_is_up(lambda box: window.lock(), RecoveryKeyDialog)  # the idle lock comes while the key is shown
    qtbot.mouseClick(dialog.recovery_button, Qt.MouseButton.LeftButton)
    assert window.store is None
    assert "old recovery key still works" in dialog.message.text()
    open_store(window.unlock_page.folder, Credentials(recovery_key=created.recovery_key)).close()


def test_a_cleared_service_does_not_come_back_from_the_old_setting(qtbot, window):
    from ddassess.services.settings import update_profile

    update_profile(window.store, role="Worker", agency="")
    write_setting_unchecked(window.store, "default_agency", "Old Fictional Service")
    SettingsDialog(window.store, window).save()  # offered once, and taken
    assert window.store.owner().agency == "Old Fictional Service"
    assert setting_as_saved(window.store, "default_agency") is None  # gone with that save
    dialog = SettingsDialog(window.store, window)
    dialog.agency.clear()  # the practitioner clears it
    dialog.save()
    again = SettingsDialog(window.store, window)
    assert again.agency.text() == ""
    again.save()  # changing something else later does not bring it back
    assert window.store.owner().agency == ""


def test_damaged_setting_values_do_not_stop_the_window_or_this_dialog(qtbot, window):
    write_setting_unchecked(window.store, "font_size", "huge")
    write_setting_unchecked(window.store, "idle_lock_minutes", -3)
    write_setting_unchecked(window.store, "date_format", 14)
    conn = window.store.raw_connection()
    conn.execute("UPDATE practitioner_settings SET value_json = '{damaged' WHERE key = 'date_format'")
    conn.close()
    assert get_setting(window.store, "date_format") == "%d %b %Y"  # not JSON: the default
    window.apply_settings()
    assert window.idle.interval() == 5 * 60_000 and window.case_list.model.date_format == "%d %b %Y"
    dialog = SettingsDialog(window.store, window)  # the screen that can repair them opens
    assert dialog.font_size.value() == 0 and dialog.idle.value() == 5
    dialog.save()
    assert get_setting(window.store, "font_size") == 0 and get_setting(window.store, "idle_lock_minutes") == 5


def test_a_passphrase_change_on_a_full_disk_says_nothing_changed(qtbot, window, store_folder):
    """The key file's write fails (an OSError at the write, as on a full disk): the dialog
    says nothing changed, instead of a crash box, and the old passphrase still opens."""
    import errno

    from ddassess.keys import key_file

    def disk_full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    dialog = SettingsDialog(window.store, window)
    qtbot.keyClicks(dialog.old_pass, PASSPHRASE)
    qtbot.keyClicks(dialog.new_pass, "a good new passphrase")
    qtbot.keyClicks(dialog.new_again, "a good new passphrase")
    with pytest.MonkeyPatch.context() as patch:  # its own: leaves the test's environment alone
        patch.setattr(key_file, "atomic_write", disk_full)
        dialog.save()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert "nothing was changed" in dialog.message.text()
    assert "No space left on device" in dialog.message.text()
    window.lock()  # the window lets go of the store: the test opens it itself
    open_store(store_folder, Credentials(passphrase=PASSPHRASE, use_keyring=False)).close()


def test_an_unconfirmed_recovery_key_is_told_at_unlock(qtbot, created, catalogue, store_folder):
    """A rotation killed after its new recovery key was written but before it was shown:
    the window says a new one is needed as soon as the store opens, without blocking it."""
    from PySide6.QtWidgets import QMessageBox

    from ddassess.ui.mainwindow import MainWindow

    created.store.start_new_recovery_key(PASSPHRASE)  # then the process stopped
    created.store.close()
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.store is not None, timeout=10_000)
    try:
        box = w.recovery_notice
        assert isinstance(box, QMessageBox) and box.isVisible()
        assert "Make a new recovery key" in box.text()
        box.accept()
    finally:
        w.lock()


def test_a_dialog_with_one_bad_value_changes_nothing(qtbot, window):
    """Every value is checked before any is saved: one the setting does not take (here a
    date format, as a damaged choice list could offer) is named, and the other settings,
    the profile, the passphrase and the keyring all stay as they were."""
    from ddassess.services.settings import SETTINGS
    from ddassess.services.vault import check_passphrase, keyring_in_use

    before = {key: setting_as_saved(window.store, key) for key in SETTINGS}
    assert keyring_in_use(window.store)
    dialog = SettingsDialog(window.store, window)
    dialog.idle.setValue(30)
    dialog.font_size.setValue(14)
    dialog.role.setText("Senior practitioner")
    dialog.keyring.setChecked(False)
    qtbot.keyClicks(dialog.old_pass, PASSPHRASE)
    qtbot.keyClicks(dialog.new_pass, "a good new passphrase")
    qtbot.keyClicks(dialog.new_again, "a good new passphrase")
    dialog.date_format.addItem("Day, month, year", "dd/mm/yyyy")
    dialog.date_format.setCurrentIndex(dialog.date_format.count() - 1)
    dialog.save()
    assert dialog.message.text().startswith("Dates must be a date format")
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert {key: setting_as_saved(window.store, key) for key in SETTINGS} == before
    assert window.store.owner().role == "Substance misuse social worker"
    assert keyring_in_use(window.store)
    assert check_passphrase(window.store, PASSPHRASE) and not check_passphrase(window.store, "a good new passphrase")
