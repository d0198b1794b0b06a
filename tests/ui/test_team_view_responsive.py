"""The Team view reads its figures off the GUI thread (``ui/ops.py``): while they are being
read, the window goes on taking keys. The reading here is held until the GUI thread has
handled a key press, so a Team view that read on the GUI thread would never see the key and
the reading would give up waiting (the test fails, it does not hang)."""

from __future__ import annotations

import datetime as dt
import threading

from PySide6.QtCore import Qt
from team_story import Team

from ddassess.services import team_kpis
from ddassess.ui import team_view


def test_the_window_takes_keys_while_the_figures_are_read(qtbot, window, catalogue, monkeypatch):
    today = dt.date.today()
    t = Team(window.store, catalogue)
    case = t.case(today)
    t.final(case, "referral", today, {"referrer_agency": "primary_care"})
    gui = threading.current_thread()
    typed = threading.Event()
    seen: dict[str, object] = {}
    real = team_kpis.team_period

    def reading(*args, **kwargs):  # the real figures, once the GUI thread has handled a key
        seen["thread"] = threading.current_thread()
        seen["waited"] = typed.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(team_kpis, "team_period", reading)
    monkeypatch.setattr(team_view, "team_period", reading, raising=False)
    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    page = window.workspace.team_view()
    assert page is not None
    qtbot.waitUntil(lambda: "thread" in seen, timeout=10_000)
    assert page.shown is None  # still reading
    page.period_edit.setFocus()
    page.period_edit.selectAll()
    qtbot.keyClicks(page.period_edit, "2026")  # taken while the figures are being read
    assert page.period_edit.text() == "2026" and page.shown is None
    typed.set()
    qtbot.waitUntil(lambda: page.shown is not None, timeout=10_000)
    assert seen["thread"] is not gui and seen["waited"] is True
    assert page.period_tree.figure_item("p.source", "primary_care").text(1) == "1"
