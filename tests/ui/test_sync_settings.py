"""The team server's address in File → Settings, typed and saved with real key and mouse
events: bad addresses are refused with a message saying what a good one looks like and
nothing is saved; a good one is kept, and a laptop without its server certificate is told
how to get one (the commands the README names). Without a server, Sync now says where to
set one and bundles keep working."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox
from team_helpers import Laptop, join, team_lead
from ui_helpers import unlocked_window, when_a_box_is_up

from ddassess.services.settings import MAX_SERVER_ADDRESS, get_setting, setting_problem
from ddassess.ui.settings_dialog import SettingsDialog

BAD = {
    "server.example:8443": "must start with https://, like https://server.example:8443.",
    "http://server.example:8443": "must start with https://",
    "https://": "names no server after https://",
    "https://server.example:99999": "port must be a number from 1 to 65535",
    "https://server.example:0": "port must be a number from 1 to 65535",
    "https://server.example:84x3": "port must be a number from 1 to 65535",
    "https://nurse:secret@server.example": "must hold no user name or password",
    "https://server.example/v1/envelopes": "must be the address alone",
    "https://server.example?x=1": "must be the address alone",
    "https://server .example": "must have no spaces",
}


def test_an_address_longer_than_the_field_takes_is_refused_by_the_service_too():
    long = "https://" + "s" * MAX_SERVER_ADDRESS + ".example"  # the field stops at the limit; a saved value is checked
    assert "Team server" in (setting_problem("sync_server", long) or "")
    assert setting_problem("sync_server", 8443) == "Team server must be text."
    assert setting_problem("sync_server", "") is None  # no server: bundles only
    assert setting_problem("sync_server", "https://server.example:8443/") is None


def _save(qtbot, dialog: SettingsDialog, address: str) -> None:
    dialog.server.setFocus()
    dialog.server.selectAll()
    qtbot.keyClick(dialog.server, Qt.Key.Key_Delete)
    qtbot.keyClicks(dialog.server, address)
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)


def test_sync_now_without_a_server_says_where_to_set_one(qtbot, window):
    seen: list[str] = []

    def read(box: QMessageBox) -> None:
        seen.append(box.text())
        box.close()

    when_a_box_is_up(read, QMessageBox)
    window.menu.sync_now.trigger()
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    assert "No team server is set" in seen[0] and "File → Settings" in seen[0] and "Send changes" in seen[0]
    assert not window.sync.button.isVisible()  # no server: no Sync now button in the status bar


@pytest.fixture
def member(qtbot, created, catalogue, store_folder, tmp_path):
    """The window on a store that joined a team with an older ddassess's request, so its
    membership brought no server certificate."""
    lead = team_lead(tmp_path / "lead")
    join(lead, Laptop(created.store, store_folder), older=True)
    created.store.close()
    lead.store.close()
    w = unlocked_window(qtbot, store_folder, catalogue)
    yield w
    w.sync.stop_now()
    if w.store is not None:
        w.store.close()


def test_bad_team_server_addresses_are_refused_and_a_good_one_is_kept(qtbot, member):
    window = member
    results: dict[str, tuple[str, bool]] = {}

    def fill(dialog: SettingsDialog) -> None:
        for address in BAD:
            _save(qtbot, dialog, address)
            results[address] = (dialog.message.text(), dialog.isVisible())
        _save(qtbot, dialog, "https://127.0.0.1:9")  # nothing listens there: saved all the same

    when_a_box_is_up(fill, SettingsDialog)
    window.menu.settings.trigger()
    qtbot.waitUntil(lambda: len(results) == len(BAD) and QApplication.activeModalWidget() is None, timeout=20_000)
    for address, (message, still_open) in results.items():
        assert still_open and BAD[address] in message, (address, message)
    assert get_setting(window.store, "sync_server") == "https://127.0.0.1:9"
    # The laptop has no server certificate yet: the status bar says so, and how to get one.
    qtbot.waitUntil(lambda: window.sync.label.text().startswith("Not syncing") and not window.sync.running,
                    timeout=20_000)
    tip = window.sync.label.toolTip()
    assert "no certificate for the team server" in tip
    for command in ("ddassess sync request", "ddassess sync issue", "ddassess sync certificate"):
        assert command in tip
    assert window.sync.button.isVisible() and window.sync.button.text() == "Sync now"
    assert QApplication.activeModalWidget() is None  # a background sync says nothing in a box

    seen: list[str] = []

    def read(box: QMessageBox) -> None:
        seen.append(box.text())
        box.close()

    when_a_box_is_up(read, QMessageBox)
    qtbot.mouseClick(window.sync.button, Qt.MouseButton.LeftButton)  # asked for: said in a message
    qtbot.waitUntil(lambda: bool(seen), timeout=20_000)
    assert "no certificate for the team server" in seen[0] and "ddassess sync request" in seen[0]


def test_clearing_the_address_goes_back_to_bundles_only(qtbot, window):
    def fill(dialog: SettingsDialog) -> None:
        _save(qtbot, dialog, "https://server.example:8443")

    when_a_box_is_up(fill, SettingsDialog)
    window.menu.settings.trigger()
    qtbot.waitUntil(lambda: get_setting(window.store, "sync_server") == "https://server.example:8443",
                    timeout=20_000)
    qtbot.waitUntil(lambda: window.sync.button.isVisible() and not window.sync.running, timeout=20_000)
    assert "not a member of a team yet" in window.sync.label.toolTip()  # what to do first, in its words

    def clear(dialog: SettingsDialog) -> None:
        _save(qtbot, dialog, "")

    when_a_box_is_up(clear, SettingsDialog)
    window.menu.settings.trigger()
    qtbot.waitUntil(lambda: get_setting(window.store, "sync_server") == "", timeout=20_000)
    qtbot.waitUntil(lambda: not window.sync.button.isVisible(), timeout=20_000)
    assert not window.sync.timer.isActive()  # no background sync without a server
