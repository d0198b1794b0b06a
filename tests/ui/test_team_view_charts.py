"""The Team view's charts, conflicts, open actions and lists, driven by the keyboard and the
mouse in the real window on real encrypted stores (fictional people only): every chart is
reached by Tab and says every value to a screen reader; Enter (or a double click) on a bar or
point lists exactly its cases; the unresolved conflicts figure and the open actions open
their cases; no column header of the lists is cut off, at the system's text size or at 200 %."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from exchange_helpers import add_colleague, case_id, make_store, new_case, send
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QHeaderView, QStyle, QStyleOptionHeader, QTableWidget, QWidget
from sqlalchemy import select
from team_story import Team

from ddassess.domain.periods import quarter_of
from ddassess.services import case_changes
from ddassess.store.records import CaseRecord
from ddassess.ui.charts import BarChartWidget, LineChartWidget
from ddassess.ui.team_charts import NOW_CHARTS, PERIOD_CHARTS
from ddassess.ui.team_view import TeamViewPage
from ddassess.ui.widgets import apply_text_size


def _story(window, catalogue) -> dict[str, list[int]]:
    """Three GP referrals this quarter (one in high/high), two self-referrals the quarter
    before, and one complex case review with two actions open and one done."""
    today = dt.date.today()
    here = quarter_of(today)
    before = here.previous()
    t = Team(window.store, catalogue)
    refs: dict[str, list[int]] = {"gp": [], "self": []}
    for k in range(3):
        day = max(here.start, today - dt.timedelta(days=k))
        c = t.case(day)
        t.final(c, "referral", day, {"referrer_agency": "primary_care"})
        refs["gp"].append(c)
    for k in range(2):
        day = before.start + dt.timedelta(days=10 + k)
        c = t.case(day)
        t.final(c, "referral", day, {"self_referral": True})
        refs["self"].append(c)
    t.final(refs["gp"][0], "lead_agency", today,
            {"mh_severity": "high", "sm_severity": "high", "lead": "mental_health"})
    t.final(refs["self"][1], "complex_case_review", today, {
        "meeting_date": today.isoformat(), "chair": "Robin Chair (fictional)", "mh_present": True,
        "sm_present": True, "discussion": "Discussed.", "next_meeting": (today + dt.timedelta(days=14)).isoformat(),
        "actions": [
            {"action": "Ask the GP to review the antidepressant dose", "owner": "Casey Coordinator",
             "due": (today - dt.timedelta(days=3)).isoformat()},
            {"action": "Book a joint home visit", "owner": "Pat Partner",
             "due": (today + dt.timedelta(days=7)).isoformat()},
            {"action": "Send the crisis plan to the person", "owner": "Casey Coordinator",
             "due": today.isoformat(), "done": True}]})
    return refs


def _team_view(qtbot, window) -> TeamViewPage:
    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    page = window.workspace.team_view()
    assert page is not None and window.workspace.currentWidget() is page
    qtbot.waitUntil(lambda: page.shown is not None, timeout=10_000)
    return page


def _focus_chain(qtbot, start: QWidget) -> list[QWidget]:
    """The widgets Tab visits from ``start`` until it comes back (or 100 presses)."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(start.hasFocus)
    seen: list[QWidget] = []
    for _ in range(100):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        w = QApplication.focusWidget()
        if w is start or w in seen:
            break
        seen.append(w)
    return seen


def _opened_cases(qtbot, window, count: int) -> set[int]:
    cl = window.case_list
    qtbot.waitUntil(lambda: window.workspace.currentWidget() is cl and cl.model.total == count, timeout=5000)
    return {r.case_id for r in cl.model.rows}


def _settled(qtbot, widget: QWidget) -> None:
    """Until ``widget`` keeps its place and size (the charts' grid lays itself out again)."""
    last = None
    for _ in range(100):
        qtbot.wait(30)
        now = (widget.mapTo(widget.window(), widget.rect().topLeft()), widget.size())
        if now == last:
            return
        last = now


def _back(qtbot, window, page) -> None:
    window.workspace.setCurrentWidget(page)
    qtbot.waitUntil(lambda: window.workspace.currentWidget() is page)


def test_every_chart_is_reached_by_tab_and_enter_lists_its_cases(qtbot, window, catalogue):
    refs = _story(window, catalogue)
    page = _team_view(qtbot, window)
    qtbot.keyClick(page, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)  # the Charts tab, by its mnemonic
    qtbot.waitUntil(lambda: page.tabs.currentIndex() == 1)
    chain = _focus_chain(qtbot, page.period_edit)
    charts = page.charts.charts
    keys = ["trend.referrals", "trend.waits"] + [k for k, _ in NOW_CHARTS] + [k for k, _ in PERIOD_CHARTS]
    assert [w for w in chain if isinstance(w, BarChartWidget | LineChartWidget)] == [charts[k] for k in keys]
    for key in keys:  # every value in words for a screen reader
        chart = charts[key]
        assert chart.accessibleDescription() == chart.chart.text_alternative() and chart.accessibleName()
    source = charts["p.source"]
    here, before = quarter_of(dt.date.today()), quarter_of(dt.date.today()).previous()
    assert source.chart.categories == ("Self-referral", "GP / primary care")
    assert f"Self-referral: {here.label} 0; {before.label} 2." in source.accessibleDescription()
    assert f"GP / primary care: {here.label} 3; {before.label} 0." in source.accessibleDescription()
    # Tab to the chart, Home (self-referral), Down (the quarter before), Enter: its two cases
    source.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(source.hasFocus)
    qtbot.keyClick(source, Qt.Key.Key_Home)
    qtbot.keyClick(source, Qt.Key.Key_Down)
    assert source.readout().startswith(f"Self-referral: {here.label} 0; {before.label} 2 (Enter lists the cases of "
                                       f"{before.label})")
    assert source.accessibleName().endswith(source.readout())
    qtbot.keyClick(source, Qt.Key.Key_Return)
    assert _opened_cases(qtbot, window, 2) == set(refs["self"])
    assert f"({before.label})" in window.case_list.figure_text.text()
    _back(qtbot, window, page)
    # Right (the GP), Up (this quarter), Enter: the three GP referrals of this quarter
    qtbot.keyClick(source, Qt.Key.Key_Right)
    qtbot.keyClick(source, Qt.Key.Key_Up)
    qtbot.keyClick(source, Qt.Key.Key_Return)
    assert _opened_cases(qtbot, window, 3) == set(refs["gp"])
    _back(qtbot, window, page)
    # The trend: End (this quarter), Enter: its referrals; the point before: the self-referrals
    trend = charts["trend.referrals"]
    assert trend.chart.x_labels[-2:] == (before.label, here.label)
    assert trend.chart.series[0].values[-2:] == (2.0, 3.0)
    trend.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(trend, Qt.Key.Key_End)
    qtbot.keyClick(trend, Qt.Key.Key_Left)
    qtbot.keyClick(trend, Qt.Key.Key_Enter)
    assert _opened_cases(qtbot, window, 2) == set(refs["self"])
    _back(qtbot, window, page)
    # A stage bar of now: the open cases at the referral step
    with window.store.read() as s:
        at_referral = set(s.scalars(select(CaseRecord.id).where(CaseRecord.stage == "referral",
                                                                CaseRecord.status == "open")))
    assert at_referral and at_referral < set(refs["gp"]) | set(refs["self"])
    stage = charts["now.stage"]
    stage.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(stage, Qt.Key.Key_Home)
    assert stage.readout().startswith(f"Referral: Now {len(at_referral)} (Enter lists the cases)")
    qtbot.keyClick(stage, Qt.Key.Key_Return)
    assert _opened_cases(qtbot, window, len(at_referral)) == at_referral


def test_a_double_click_on_a_bar_lists_that_bars_cases(qtbot, window, catalogue):
    refs = _story(window, catalogue)
    page = _team_view(qtbot, window)
    page.tabs.setCurrentIndex(1)
    source = page.charts.charts["p.source"]
    page.charts.parentWidget().parentWidget().ensureWidgetVisible(source)  # the scroll area's viewport
    qtbot.waitUntil(source.isVisible)
    _settled(qtbot, source)
    bar = source.bar_rect(1, 0)  # the quarter before's self-referrals
    qtbot.mouseDClick(source, Qt.MouseButton.LeftButton, pos=bar.center().toPoint())
    assert _opened_cases(qtbot, window, 2) == set(refs["self"])
    _back(qtbot, window, page)
    bar = source.bar_rect(0, 1)  # this quarter's GP referrals
    qtbot.mouseDClick(source, Qt.MouseButton.LeftButton, pos=bar.center().toPoint())
    assert _opened_cases(qtbot, window, 3) == set(refs["gp"])


def test_open_actions_are_listed_and_enter_opens_the_case(qtbot, window, catalogue):
    refs = _story(window, catalogue)
    page = _team_view(qtbot, window)
    qtbot.keyClick(page, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: page.lists.currentWidget() is page.actions_table)
    t = page.actions_table
    assert page.lists.tabText(1) == "&Open actions (2)"
    rows = [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]
    today = dt.date.today()
    ref = _ref(window, refs["self"][1])
    assert rows == [
        [f"{today - dt.timedelta(days=3):%d %b %Y} (overdue)", ref, "Ask the GP to review the antidepressant dose",
         "Casey Coordinator", f"{today:%d %b %Y}"],
        [f"{today + dt.timedelta(days=7):%d %b %Y}", ref, "Book a joint home visit", "Pat Partner",
         f"{today:%d %b %Y}"]]
    assert all(t.item(r, 2).toolTip() == rows[r][2] for r in range(2))  # the whole action, however narrow
    t.setFocus()
    t.setCurrentCell(1, 0)
    qtbot.keyClick(t, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: getattr(window.workspace.currentWidget(), "case_id", None) == refs["self"][1],
                    timeout=5000)


def _ref(window, cid: int) -> str:
    with window.store.read() as s:
        return str(s.scalar(select(CaseRecord.ref).where(CaseRecord.id == cid)))


def test_unresolved_conflicts_show_in_now_and_open_their_cases(qtbot, window, catalogue, tmp_path):
    """A case shared with a colleague's laptop, its person's phone changed on both: one case with
    an unresolved conflict, listed by Enter on the figure."""
    a = window.store
    b = make_store(tmp_path / "b", "Bea Example")
    try:
        add_colleague(a, b)
        add_colleague(b, a)
        shared, shared_uuid = new_case(a, given="Testy", family="Sharedcase")
        new_case(a, nhs="9990000034", given="Other", family="Person")
        send(a, b, catalogue)
        for store, cid, phone in ((a, shared, "01632 960001"), (b, case_id(b, shared_uuid), "01632 960002")):
            with store.read() as s:
                pid = s.scalar(select(CaseRecord.person_id).where(CaseRecord.id == cid))
            case_changes.update_person(store, pid, replace(case_changes.person_details(store, pid), phone=phone))
        send(b, a, catalogue)
    finally:
        b.close()
    page = _team_view(qtbot, window)
    tree = page.now_tree
    item = tree.figure_item("now.conflicts", "unresolved")
    assert item.text(1) == "1"
    unsigned = tree.figure_item("now.unsigned", "unsigned")
    assert unsigned.text(1) == "0"
    tree.setFocus()
    tree.setCurrentItem(item)
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert _opened_cases(qtbot, window, 1) == {shared}
    assert "Unresolved conflicts" in window.case_list.figure_text.text()


def _header_problems(table: QTableWidget, where: str) -> list[str]:
    """Sections narrower than their header's text needs (the style's own measure)."""
    header = table.horizontalHeader()
    out = []
    for col in range(table.columnCount()):
        option = QStyleOptionHeader()
        header.initStyleOption(option)
        option.section = col
        option.text = table.horizontalHeaderItem(col).text()
        need = header.style().sizeFromContents(QStyle.ContentsType.CT_HeaderSection, option,
                                                   option.rect.size(), header).width()
        need = max(need, header.fontMetrics().horizontalAdvance(option.text))
        if header.sectionSize(col) < need:
            out.append(f"{where}: {option.text!r} is {header.sectionSize(col)} wide, needs {need}")
        if header.sectionResizeMode(col) == QHeaderView.ResizeMode.Interactive:
            out.append(f"{where}: {option.text!r} keeps a fixed width")
    return out


def _columns_settled(qtbot, table: QTableWidget) -> None:
    """Until the columns keep their widths (they follow the font when the view lays out)."""
    header = table.horizontalHeader()
    last = None
    for _ in range(100):
        qtbot.wait(30)
        now = [header.sectionSize(c) for c in range(table.columnCount())]
        if now == last:
            return
        last = now


@pytest.fixture
def system_size():
    apply_text_size(0)
    yield QApplication.font().pointSizeF()
    apply_text_size(0)


@pytest.mark.parametrize("factor", [1, 2])
def test_no_list_header_is_cut_off(qtbot, window, catalogue, system_size, factor):
    _story(window, catalogue)
    page = _team_view(qtbot, window)
    if factor != 1:
        apply_text_size(round(system_size * factor))
        qtbot.waitUntil(lambda: page.complex_table.horizontalHeader().font().pointSizeF()
                        == round(system_size * factor))
    for index, table in ((0, page.complex_table), (1, page.actions_table)):
        page.lists.setCurrentIndex(index)
        qtbot.waitUntil(table.isVisible)
        _settled(qtbot, table)
        _columns_settled(qtbot, table)
        assert _header_problems(table, table.accessibleName()) == []
    # The charts: two a row while two fit at the size their labels need, one at 200 %
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.charts.isVisible() and page.charts.columns == (2 if factor == 1 else 1))
    trend = page.charts.charts["trend.referrals"]
    qtbot.waitUntil(lambda: trend.width() >= trend.sizeHint().width())  # every period's name has room


def test_the_figures_tab_is_reached_by_tab_and_a_complex_case_opens_by_enter(qtbot, window, catalogue):
    refs = _story(window, catalogue)
    page = _team_view(qtbot, window)
    assert page.tabs.currentIndex() == 0
    chain = _focus_chain(qtbot, page.period_edit)
    for w in (page.complex_table, page.now_tree, page.period_tree):
        assert w in chain, w.accessibleName()
    assert not any(isinstance(w, BarChartWidget | LineChartWidget) for w in chain)  # the other tab's
    assert page.complex_table.rowCount() == 1 and page.complex_table.item(0, 0).text() == _ref(window, refs["gp"][0])
    page.complex_table.setFocus(Qt.FocusReason.TabFocusReason)
    page.complex_table.setCurrentCell(0, 0)
    qtbot.keyClick(page.complex_table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: getattr(window.workspace.currentWidget(), "case_id", None) == refs["gp"][0],
                    timeout=5000)
