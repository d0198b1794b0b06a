"""File → Send changes… and File → Receive changes…, through the real menus with real clicks,
on a store that joined a team through real request and membership files: the bundle written
is received on a colleague's laptop, their changes come back, what the bundle brought is
shown, and the status bar says what waits to be sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from exchange_helpers import new_case, response_id
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from team_helpers import Laptop, join, laptop, team_lead
from ui_helpers import unlocked_window

from ddassess.services import care_team, case_changes, team
from ddassess.services import exchange as ex
from ddassess.ui.exchange_dialog import ReceiveChangesDialog, SendChangesDialog
from ddassess.ui.mainwindow import MainWindow


@pytest.fixture
def shared(qtbot, created, catalogue, store_folder, tmp_path):
    """This laptop (the window's), the team lead's and Kim's; a case shared with Kim."""
    others = tmp_path / "others"
    others.mkdir()
    lead = team_lead(others)
    kim = laptop(others, "Kim Fictional")
    me = Laptop(created.store, store_folder)
    join(lead, me)
    join(lead, kim)
    team.import_roster(me.store, team.roster_file(lead.store))
    cid, _ = new_case(me.store, given="Una", family="Fictional")
    spec = catalogue.get("risk")
    r = case_changes.start_response(me.store, cid, "risk", spec.version, spec.content_hash, {"q1": 1})
    care_team.share_case(me.store, catalogue, cid, kim.me, basis="risk", reason="Fictional risk to others")
    created.store.close()
    lead.store.close()
    w = unlocked_window(qtbot, store_folder, catalogue)
    yield w, kim, r.uuid
    if w.store is not None:
        w.store.close()
    kim.store.close()


def _menu_click(qtbot, w: MainWindow, action) -> None:
    """Open the File menu with a click on the menu bar, then click ``action`` in it."""
    bar = w.menuBar()
    file_action = bar.actions()[0]
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.actionGeometry(file_action).center())
    menu = file_action.menu()
    qtbot.waitUntil(menu.isVisible, timeout=5_000)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())


def _when_up(kind, then) -> None:
    """Once a dialog of ``kind`` is the modal one, do ``then(dialog)`` (a person at the dialog)."""
    def poll() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, kind) and box.isVisible():
            then(box)
        else:
            QTimer.singleShot(20, poll)
    QTimer.singleShot(0, poll)


def test_send_and_receive_through_the_menus(qtbot, shared, tmp_path, catalogue):
    w, kim, response_uuid = shared
    qtbot.waitUntil(lambda: w.waiting_label.isVisible(), timeout=10_000)
    assert w.waiting_label.text().endswith("waiting to send")
    out = tmp_path / "to-kim.ddbundle"
    seen: dict[str, str] = {}

    def send(d: SendChangesDialog) -> None:
        d.to.setCurrentIndex(d.to.findText("Kim Fictional"))
        seen["waiting"] = d.waiting.text()
        QTest.keyClicks(d.path, str(out))
        QTest.mouseClick(d.send, Qt.MouseButton.LeftButton)

    _when_up(SendChangesDialog, send)
    _menu_click(qtbot, w, w.menu.send_changes)
    qtbot.waitUntil(out.exists, timeout=10_000)
    assert seen["waiting"].startswith("Kim Fictional:") and "1 case(s)" in seen["waiting"]
    qtbot.waitUntil(lambda: not w.waiting_label.isVisible(), timeout=10_000)  # nothing waits once sent
    got = ex.import_changes(kim.store, out, catalogue=catalogue)
    assert got.envelopes == 1
    case_changes.save_draft(kim.store, response_id(kim.store, response_uuid), {"q2": 2})
    back = tmp_path / "to-me.ddbundle"
    ex.export_changes(kim.store, to=w.store.owner_uuid, out=back)

    def receive(d: ReceiveChangesDialog) -> None:
        QTest.keyClicks(d.path, str(back))
        QTest.mouseClick(d.receive, Qt.MouseButton.LeftButton)

        def done() -> None:
            if d.report is None:
                QTimer.singleShot(20, done)
                return
            seen["summary"] = d.summary.text()
            d.reject()
        QTimer.singleShot(20, done)

    _when_up(ReceiveChangesDialog, receive)
    _menu_click(qtbot, w, w.menu.receive_changes)
    qtbot.waitUntil(lambda: "summary" in seen, timeout=10_000)
    assert "From Kim Fictional" in seen["summary"] and "by Kim Fictional" in seen["summary"]
    assert "Risk" in seen["summary"] or "risk" in seen["summary"]
    assert response_id(w.store, response_uuid)
    with w.store.read() as s:
        from sqlalchemy import select

        from ddassess.store.records import ResponseRecord
        answers = s.scalar(select(ResponseRecord.answers_json).where(ResponseRecord.uuid == response_uuid))
    assert '"q2": 2' in answers or '"q2":2' in answers
    assert Path(out).exists()
