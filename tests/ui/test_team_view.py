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
    old = t.case(D(2025, 3, 1))  # in 2025, discharged
    t.final(old, "discharge", D(2025, 4, 1), {"planned": "planned", "reason": "goals_met"})
    return refs


def _team_view(qtbot, window) -> TeamViewPage:
    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    page = window.workspace.team_view()
    assert page is not None and window.workspace.currentWidget() is page
    qtbot.waitUntil(lambda: page.shown is not None, timeout=10_000)
    return page


def test_view_menu_opens_the_team_view_and_a_figure_opens_its_cases(qtbot, window, catalogue):
    refs = _story(window, catalogue)
    assert window.menu.team_view.isEnabled()
    page = _team_view(qtbot, window)
    tree = page.period_tree
    item = tree.figure_item("p.source", "primary_care")
    assert (item.text(1), item.text(2)) == ("3", "0")
    assert page.complex_table.rowCount() == 1
    # Enter on the figure: the case list shows exactly those three cases
    tree.setFocus()
    tree.setCurrentItem(item)
    qtbot.keyClick(tree, Qt.Key.Key_Return)
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
    shown = page.shown
    page.period_edit.selectAll()
    qtbot.keyClicks(page.period_edit, "2026-Q5")
    qtbot.keyClick(page.period_edit, Qt.Key.Key_Return)
    assert "no quarter Q5" in page.status.text() and page.shown is shown
    page.period_edit.selectAll()
    qtbot.keyClicks(page.period_edit, "2025")
    qtbot.keyClick(page.period_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.shown is not shown and "2025 against 2024" in page.status.text(), timeout=10_000)
    header = page.period_tree.headerItem()
    assert (header.text(1), header.text(2)) == ("2025", "2024")
    assert page.period_tree.figure_item("p.referrals", "all").text(1) == "1"  # the case of 1 March 2025


def test_every_control_has_an_accessible_name(qtbot, window, catalogue):
    page = _team_view(qtbot, window)
    for w in [page.period_edit, page.show_button, page.earlier, page.refresh_button, page.complex_table,
              page.now_tree, page.period_tree]:
        assert w.accessibleName(), w
