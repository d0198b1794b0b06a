"""The Team view: View → Team view by the keyboard, the figures on screen, and a figure
opened by Enter lists exactly its cases in the case list (fictional people only)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from team_story import Team

from ddassess.services.case_list import count_cases
from ddassess.ui.team_view import TeamViewPage

D = dt.date


def _story(window, catalogue) -> dict[str, str]:
    today = dt.date.today()
    t = Team(window.store, catalogue)
    refs = {}
    for k in range(3):  # three referred this quarter, by their GP; one of them is high/high
        c = t.case(today - dt.timedelta(days=k))
        t.final(c, "referral", today - dt.timedelta(days=k), {"referrer_agency": "primary_care"})
        refs[f"gp{k}"] = c
    t.final(refs["gp0"], "lead_agency", today, {"mh_severity": "high", "sm_severity": "high", "lead": "mental_health"})
    old = t.case(today - dt.timedelta(days=400))  # long ago, discharged
    t.final(old, "discharge", today - dt.timedelta(days=380), {"planned": "planned", "reason": "goals_met"})
    return refs


def _team_view(qtbot, window) -> TeamViewPage:
    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    page = window.workspace.team_view()
    assert page is not None and window.workspace.currentWidget() is page
    qtbot.waitUntil(lambda: bool(page.tables), timeout=10_000)
    return page


def test_view_menu_opens_the_team_view_and_a_figure_opens_its_cases(qtbot, window, catalogue):
    refs = _story(window, catalogue)
    assert window.menu.team_view.isEnabled()
    page = _team_view(qtbot, window)
    by_key = {t.table.key: t for t in page.tables}
    source = by_key["p.source"]
    row = next(i for i, f in enumerate(source.table.figures) if f.group == "primary_care")
    assert source.item(row, 1).text() == "3" and source.item(row, 2).text() == "0"
    assert page.complex_table is not None and page.complex_table.rowCount() == 1
    # Enter on the row: the case list shows exactly those three cases
    source.setFocus()
    source.setCurrentCell(row, 0)
    qtbot.keyClick(source, Qt.Key.Key_Return)
    cl = window.case_list
    assert window.workspace.currentWidget() is cl
    qtbot.waitUntil(lambda: cl.model.total == 3, timeout=5000)
    assert {r.case_id for r in cl.model.rows} == {refs["gp0"], refs["gp1"], refs["gp2"]}
    assert cl.figure_bar.isVisible() and "Referrals by source" in cl.figure_text.text()
    assert count_cases(window.store, cl.model.query) == 3
    qtbot.mouseClick(cl.figure_clear, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cl.model.total == 3 and not cl.figure_bar.isVisible(), timeout=5000)
    assert cl.model.query.figure == ()


def test_a_bad_period_is_explained_and_the_figures_stay(qtbot, window, catalogue):
    _story(window, catalogue)
    page = _team_view(qtbot, window)
    shown = page.tables
    page.period_edit.selectAll()
    qtbot.keyClicks(page.period_edit, "2026-Q5")
    qtbot.keyClick(page.period_edit, Qt.Key.Key_Return)
    assert "no quarter Q5" in page.status.text() and page.tables is shown
    page.period_edit.selectAll()
    qtbot.keyClicks(page.period_edit, "2025")
    qtbot.keyClick(page.period_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.tables is not shown and "2025 against 2024" in page.status.text(), timeout=10_000)
    referrals = next(t for t in page.tables if t.table.key == "p.referrals")
    assert referrals.horizontalHeaderItem(1).text() == "2025" and referrals.horizontalHeaderItem(2).text() == "2024"


def test_every_control_has_an_accessible_name(qtbot, window, catalogue):
    page = _team_view(qtbot, window)
    for w in [page.period_edit, page.show_button, page.earlier, page.refresh_button, *page.tables]:
        assert w.accessibleName(), w
    assert all(t.accessibleDescription() for t in page.tables)
