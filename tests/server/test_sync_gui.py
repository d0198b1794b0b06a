"""The desktop client syncing with a real team server over a real PostgreSQL: the real
window (pytest-qt, real key and mouse events) on Alex's store, Bea's laptop syncing
headless as the CLI does. Sync now (F5) brings Bea's case into the list and its page; the
status bar says up to date, waiting, offline (the server stopped) and conflicts (a click
opens the inbox); a lock during a long catch-up cancels it cleanly (the store passes its
check, and the next unlock catches up the rest); typing is never held up by a sync."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pytest
from exchange_helpers import case_id, new_case, response_id, start, visible
from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import QApplication
from server_helpers import ServerProcess, Team, enrol_for_server, sync_client
from store_helpers import PASSPHRASE
from team_helpers import Laptop
from ui_helpers import unlock_with_passphrase

from ddassess.domain.nhs import fictional_nhs_numbers
from ddassess.services import care_team, case_changes
from ddassess.services.session import Phase
from ddassess.services.settings import set_setting
from ddassess.store import Credentials, open_store
from ddassess.store.check import check_store
from ddassess.sync import engine
from ddassess.ui.conflicts import ConflictsDialog
from ddassess.ui.mainwindow import MainWindow

pytestmark = pytest.mark.postgres

REASON = "Fictional safeguarding concern, authorised by a fictional lead"


@dataclass
class Desk:
    window: MainWindow
    server: ServerProcess
    alex: Laptop
    bea: Laptop
    team: Team


def status(w: MainWindow) -> str:
    return w.sync.label.text() if w.sync.label.isVisible() else ""


def listed(w: MainWindow) -> list[str]:
    assert w.case_list is not None
    m = w.case_list.model
    return [str(m.data(m.index(r, c, QModelIndex()))) for r in range(m.rowCount()) for c in range(m.columnCount())]


def bea_shares(desk: Desk, catalogue, nhs: str, given: str, family: str) -> tuple[int, str]:
    cid, cuuid = new_case(desk.bea.store, nhs=nhs, given=given, family=family)
    care_team.share_case(desk.bea.store, catalogue, cid, desk.alex.me, basis="safeguarding", reason=REASON)
    return cid, cuuid


def bea_syncs(desk: Desk, catalogue) -> engine.SyncReport:
    conn = sync_client(desk.bea, desk.server)
    try:
        return engine.sync(desk.bea.store, conn, catalogue=catalogue)
    finally:
        conn.close()


def press(qtbot, w: MainWindow, key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    target = QApplication.focusWidget() or w
    qtbot.keyClick(target, key, modifiers)


@pytest.fixture
def desk(qtbot, team, catalogue, serve):
    server = serve()
    alex, bea = team.members["alex"], team.members["bea"]
    for lap in (alex, bea):
        enrol_for_server(team, lap)
    set_setting(alex.store, "sync_server", server.url)
    alex.store.close()
    w = MainWindow(alex.folder, catalogue)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    w.activateWindow()
    unlock_with_passphrase(qtbot, w)
    qtbot.waitUntil(lambda: status(w).startswith("Up to date (synced "), timeout=30_000)  # synced on unlock
    yield Desk(w, server, alex, bea, team)
    w.sync.stop_now()
    if w.store is not None:
        w.store.close()


def test_sync_now_brings_a_colleagues_case_into_the_list_and_its_page(qtbot, desk, catalogue):
    w = desk.window
    cid, cuuid = bea_shares(desk, catalogue, "9990000018", "Zebedee", "Quillfictional")
    r = start(desk.bea.store, catalogue, cid, "risk", {"self_present": True, "self_history": "Fictional history"})
    bea_syncs(desk, catalogue)
    assert not any("Quillfictional" in t for t in listed(w))
    press(qtbot, w, Qt.Key.Key_F5)  # File → Sync now
    qtbot.waitUntil(lambda: any("Quillfictional" in t for t in listed(w)), timeout=30_000)
    qtbot.waitUntil(lambda: status(w).startswith("Up to date (synced ") and not w.sync.running, timeout=30_000)
    page = w.open_case(case_id(w.store, cuuid))
    assert "Quillfictional" in page.detail.person_name
    rid = response_id(w.store, r.uuid)  # Bea's draft came with it, and the page lists it
    assert rid in [page.forms.item(i).data(Qt.ItemDataRole.UserRole) for i in range(page.forms.count())]


def _beas_risk_form_synced_here(qtbot, desk, catalogue):
    """Bea shares a case and starts its risk form; Sync now (F5) brings it to this window."""
    cid, cuuid = bea_shares(desk, catalogue, "9990000018", "Zebedee", "Quillfictional")
    r = start(desk.bea.store, catalogue, cid, "risk", {"self_present": True, "self_history": "Fictional A"})
    bea_syncs(desk, catalogue)
    press(qtbot, desk.window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: any("Quillfictional" in t for t in listed(desk.window)), timeout=30_000)
    return cuuid, r


def test_the_status_bar_says_up_to_date_offline_waiting_and_conflicts(qtbot, desk, catalogue):
    w = desk.window
    cuuid, r = _beas_risk_form_synced_here(qtbot, desk, catalogue)
    qtbot.waitUntil(lambda: status(w).startswith("Up to date (synced ") and not w.sync.running, timeout=30_000)
    assert "conflict" not in status(w) and "waiting" not in status(w)
    desk.server.stop()  # the server goes away: Alex works on, offline
    w.sync.after_save_ms = 200  # the sync soon after a save comes sooner, and finds no server
    page = w.open_case(case_id(w.store, cuuid))
    page.open_response(response_id(w.store, r.uuid))
    editor = page.form_page.view.editors["self_history"].widget
    qtbot.waitUntil(editor.isVisible)
    editor.setFocus()
    editor.selectAll()
    qtbot.keyClicks(editor, "Fictional B from Alex")
    assert page.form_page.flush()
    qtbot.waitUntil(lambda: re.fullmatch(r"Offline since \d\d:\d\d · \d+ changes? waiting to send", status(w))
                    is not None, timeout=30_000)
    assert QApplication.activeModalWidget() is None  # offline in the background: quiet, no message
    # Bea changes the same answer another way, and her change reaches the server.
    desk.server.start()
    case_changes.save_draft(desk.bea.store, response_id(desk.bea.store, r.uuid),
                            {"self_present": True, "self_history": "Fictional C from Bea"})
    bea_syncs(desk, catalogue)
    press(qtbot, w, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: re.fullmatch(r"Up to date \(synced \d\d:\d\d\) · \d+ conflicts?", status(w))
                    is not None, timeout=30_000)
    assert "waiting" not in status(w) and "Offline" not in status(w)
    qtbot.mouseClick(w.sync.label, Qt.MouseButton.LeftButton)  # the conflict inbox opens
    qtbot.waitUntil(lambda: isinstance(w.conflicts_dialog, ConflictsDialog) and w.conflicts_dialog.isVisible(),
                    timeout=10_000)
    w.conflicts_dialog.close()


def many_cases(desk: Desk, catalogue, count: int) -> list[str]:
    """Bea shares ``count`` cases with Alex and sends them: a long catch-up for Alex."""
    names = []
    for i, nhs in enumerate(fictional_nhs_numbers(count, start=999_100_000)):
        family = f"Catchupfictional{i:02d}"
        bea_shares(desk, catalogue, nhs, "Fictional", family)
        names.append(family)
    bea_syncs(desk, catalogue)
    return names


def test_a_lock_during_a_long_catch_up_cancels_it_cleanly_and_the_next_unlock_finishes_it(qtbot, desk, catalogue):
    w = desk.window
    names = many_cases(desk, catalogue, 12)
    w.sync.page_size = 1  # one item a page: a laptop back after a month catches up in many pages
    press(qtbot, w, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: w.sync.progress is not None and w.sync.progress.pages >= 3, timeout=30_000)
    assert status(w).startswith("Syncing… ") and "pages received" in status(w)
    began = time.monotonic()
    press(qtbot, w, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # Ctrl+L while the sync runs
    qtbot.waitUntil(lambda: w.session.phase is Phase.LOCKED, timeout=30_000)
    assert time.monotonic() - began < 10  # the connection was shut: no waiting on the server
    assert not w.sync.running and QApplication.activeModalWidget() is None  # stopped, not failed
    assert w.unlock_page.isEnabled() and w.stack.currentWidget() is w.unlock_page
    store = open_store(desk.alex.folder, Credentials(passphrase=PASSPHRASE))
    try:
        assert check_store(store).ok  # nothing half-applied
        got = [n for n in names if n in str(visible(store))]
        assert engine.cursor(store) > 0 and len(got) < len(names), got  # the lock cut the catch-up short
    finally:
        store.close()
    unlock_with_passphrase(qtbot, w)  # the next unlock syncs the rest
    qtbot.waitUntil(lambda: all(any(n in t for t in listed(w)) for n in names), timeout=60_000)
    qtbot.waitUntil(lambda: status(w).startswith("Up to date (synced "), timeout=30_000)
    assert w.store is not None and check_store(w.store).ok


def test_typing_in_a_form_is_not_held_up_by_a_background_sync(qtbot, desk, catalogue):
    w = desk.window
    cuuid, r = _beas_risk_form_synced_here(qtbot, desk, catalogue)
    qtbot.waitUntil(lambda: not w.sync.running, timeout=30_000)
    page = w.open_case(case_id(w.store, cuuid))
    page.open_response(response_id(w.store, r.uuid))
    editor = page.form_page.view.editors["self_history"].widget
    qtbot.waitUntil(editor.isVisible)
    editor.setFocus()
    many_cases(desk, catalogue, 16)
    w.sync.page_size = 1
    w.sync.after_save_ms = 500
    ticks: list[float] = []
    heartbeat = QTimer(w)
    heartbeat.timeout.connect(lambda: ticks.append(time.monotonic()))
    heartbeat.start(10)
    w.sync.sync_in_background()  # what the timer does every few minutes
    qtbot.waitUntil(lambda: w.sync.progress is not None and w.sync.progress.pages >= 1, timeout=30_000)
    during = len(ticks)
    qtbot.keyClick(editor, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, " typed while syncing")
    qtbot.wait(300)
    assert w.sync.running, "the sync ended before the test could type during it"
    assert "Fictional A typed while syncing" in editor.toPlainText()
    assert len(ticks) - during >= 5  # the GUI thread kept turning while the sync ran
    assert page.form_page.flush()  # and the autosave wrote it meanwhile
    qtbot.waitUntil(lambda: not w.sync.running, timeout=60_000)
    heartbeat.stop()
    # What was typed during the sync may have missed its push: the next sync comes soon and sends it.
    bea_rid = response_id(desk.bea.store, r.uuid)

    def bea_has_it() -> bool:
        bea_syncs(desk, catalogue)
        return "typed while syncing" in str(case_changes.get_response(desk.bea.store, bea_rid).answers)

    qtbot.waitUntil(bea_has_it, timeout=60_000)
    qtbot.waitUntil(lambda: status(w).startswith("Up to date (synced "), timeout=30_000)
