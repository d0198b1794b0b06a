"""The Team view: the team lead's figures, now and for a period against the one before.

Two tabs. **Figures**: every figure is a row of a tree of tables; activating it (Enter, or a
double click) opens the case list filtered to exactly the cases behind it (``figure_opened``).
The complex high-risk cases are listed by case reference with who coordinates them, and the
open actions of the complex case review meetings with their owner and due date; activating
one opens the case. **Charts** (``ui/team_charts.py``): the same figures as bars, and lines
for the trend over the periods before; Enter on a bar or point lists its cases too. The
figures are read off the GUI thread (``ui.ops``): a store of 100,000 cases answers in a
fraction of a second, and the window stays live meanwhile.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ddassess.domain.periods import parse_period, quarter_of
from ddassess.errors import InvalidInputError
from ddassess.ui.changes import Change, Changed, hub
from ddassess.ui.ops import Op
from ddassess.ui.team_charts import TREND_COUNT, TeamCharts

if TYPE_CHECKING:
    from ddassess.domain.agenda import OpenAction
    from ddassess.domain.periods import Period
    from ddassess.formengine import Catalogue
    from ddassess.services.team_kpis import ComplexCase, Table, TeamNow, TeamPeriod, TrendPoint
    from ddassess.services.vault import Store

    # What one reading gives: the figures now, the period's, the trend and the open actions.
    Shown = tuple[TeamNow, TeamPeriod, tuple[TrendPoint, ...], tuple[OpenAction, ...]]


def _fmt(d: dt.date | None) -> str:
    return d.strftime("%d %b %Y") if d else "—"


def case_table(name: str, description: str, headers: list[str]) -> QTableWidget:
    """A read-only list of cases, a row each: every column as wide as its header and its
    widest cell (the list scrolls sideways rather than cut a header off, at any text size);
    a cell's full text is its tooltip."""
    table = QTableWidget(0, len(headers))
    table.setAccessibleName(name)
    table.setAccessibleDescription(description)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setTabKeyNavigation(False)  # Tab leaves the list; the arrows move in it
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(False)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    return table


def fill_row(table: QTableWidget, row: int, values: tuple[str, ...]) -> None:
    for col, value in enumerate(values):
        item = QTableWidgetItem(value)
        item.setToolTip(value)
        table.setItem(row, col, item)


class FigureTree(QTreeWidget):
    """Tables of figures as one tree: each table a branch (its title, what it counts in the
    tooltip), each figure a row that keeps the query listing its cases."""

    figure_activated = Signal(object, str)  # the figure's CaseQuery, and what it counts

    def __init__(self, name: str, headers: list[str]) -> None:
        super().__init__()
        self.setAccessibleName(name)
        self.setAccessibleDescription("Press Enter on a figure (or double-click it) to list its cases.")
        self.setHeaderLabels(headers)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(headers)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.tables: list[Table] = []
        self.itemActivated.connect(self._activated)

    def show_tables(self, tables: tuple[Table, ...], with_previous: bool) -> None:
        self.clear()
        self.tables = list(tables)
        for t_index, table in enumerate(tables):
            branch = QTreeWidgetItem([table.title])
            font = branch.font(0)
            font.setBold(True)
            branch.setFont(0, font)
            branch.setToolTip(0, table.note or table.title)
            branch.setFirstColumnSpanned(False)
            for f_index, f in enumerate(table.figures):
                cells = [f.label, str(f.count)] + ([str(f.previous or 0)] if with_previous else [])
                leaf = QTreeWidgetItem(cells)
                leaf.setData(0, Qt.ItemDataRole.UserRole, (t_index, f_index))
                for col in range(1, len(cells)):
                    leaf.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                leaf.setToolTip(0, f"{table.title}: {f.label}. Press Enter or double-click to list the cases.")
                branch.addChild(leaf)
            self.addTopLevelItem(branch)
            branch.setExpanded(True)

    def figure_item(self, key: str, group: str) -> QTreeWidgetItem:
        t_index = next(i for i, t in enumerate(self.tables) if t.key == key)
        branch = self.topLevelItem(t_index)
        assert branch is not None
        f_index = next(i for i, f in enumerate(self.tables[t_index].figures) if f.group == group)
        leaf = branch.child(f_index)
        assert leaf is not None
        return leaf

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        where = item.data(0, Qt.ItemDataRole.UserRole)
        if where is None:
            item.setExpanded(not item.isExpanded())  # a table's title: open or close it
            return
        table = self.tables[where[0]]
        f = table.figures[where[1]]
        self.figure_activated.emit(f.query, f"{table.title}: {f.label}")


class TeamViewPage(QWidget):
    figure_opened = Signal(object, str)  # the CaseQuery of a figure, and what it counts (for the list's note)
    case_opened = Signal(int)

    def __init__(self, store: Store, catalogue: Catalogue, parent: QWidget | None = None,
                 today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.store, self.catalogue = store, catalogue
        self.today = today or dt.date.today()
        self.period: Period = quarter_of(self.today)
        self.period_edit = QLineEdit(self.period.label)
        self.period_edit.setAccessibleName("Period")
        self.period_edit.setToolTip("2026-Q3 (a quarter), 2026-07 (a month), 2026 (a year) or "
                                    "2026-07-01..2026-08-15; Enter shows it")
        self.show_button = QPushButton("&Show period")
        self.show_button.setAccessibleName("Show the period")
        self.earlier = QPushButton("&Earlier")
        self.earlier.setAccessibleName("The period before")
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setAccessibleName("Refresh the figures")
        self.status = QLabel("Reading the figures…")
        self.status.setAccessibleName("Team view status")
        self.status.setWordWrap(True)
        picker = QHBoxLayout()
        label = QLabel("&Period:")
        label.setBuddy(self.period_edit)
        for w in (label, self.period_edit, self.show_button, self.earlier, self.refresh_button):
            picker.addWidget(w)
        picker.addStretch()
        self.complex_table = case_table(
            "Complex high-risk cases",
            "Urgent or high risk, or high mental illness and high substance misuse. Press Enter on a row to open "
            "the case.", ["Case", "Risk", "Care coordinator", "Partner worker", "Last joint review", "Next review"])
        self.complex_table.activated.connect(self._open_complex)
        self.actions_table = case_table(
            "Open actions", "Actions of the complex case review meetings not yet done, soonest due first. Press "
            "Enter on a row to open the case.", ["Due", "Case", "Action", "Owner", "Agreed at meeting"])
        self.actions_table.activated.connect(self._open_action)
        self.lists = QTabWidget()
        self.lists.setAccessibleName("Case lists")
        self.lists.addTab(self.complex_table, "Comple&x high-risk cases")
        self.lists.addTab(self.actions_table, "&Open actions")
        self.now_tree = FigureTree("Figures now", ["Now", "Cases"])
        self.period_tree = FigureTree("Figures for the period", ["For the period", "", ""])
        for tree in (self.now_tree, self.period_tree):
            tree.figure_activated.connect(self.figure_opened)
        self.medians = QLabel()
        self.medians.setAccessibleName("Waiting times")
        self.medians.setWordWrap(True)
        left, right = QWidget(), QWidget()
        left_layout, right_layout = QVBoxLayout(left), QVBoxLayout(right)
        left_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.lists, 1)
        left_layout.addWidget(self.now_tree, 2)
        right_layout.addWidget(self.medians)
        right_layout.addWidget(self.period_tree, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setChildrenCollapsible(False)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        self.charts = TeamCharts()
        self.charts.figure_opened.connect(self.figure_opened)
        charts_scroll = QScrollArea()
        charts_scroll.setWidgetResizable(True)
        charts_scroll.setWidget(self.charts)
        charts_scroll.setAccessibleName("Charts")
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Team view")
        self.tabs.addTab(split, "F&igures")
        self.tabs.addTab(charts_scroll, "&Charts")
        layout = QVBoxLayout(self)
        layout.addLayout(picker)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        self.complex_cases: tuple[ComplexCase, ...] = ()
        self.open_actions: tuple[OpenAction, ...] = ()
        self.shown: Shown | None = None
        self.period_edit.returnPressed.connect(self.show_period)
        self.show_button.clicked.connect(self.show_period)
        self.earlier.clicked.connect(self.show_earlier)
        self.refresh_button.clicked.connect(self.load)
        hub().changed.connect(self._changed)
        self._loading = False
        self.load()

    # reading ----------------------------------------------------------------------------

    def show_period(self) -> None:
        try:
            self.period = parse_period(self.period_edit.text())
        except InvalidInputError as exc:
            self.status.setText(f"{exc} {exc.hint or ''}".strip())
            self.period_edit.setFocus()
            return
        self.load()

    def show_earlier(self) -> None:
        self.period = self.period.previous()
        self.period_edit.setText(self.period.label)
        self.load()

    def load(self) -> None:
        from ddassess.services.meeting_agenda import open_actions
        from ddassess.services.team_kpis import team_now, team_period, team_trend

        store, catalogue, period, today = self.store, self.catalogue, self.period, self.today
        self._loading = True
        self.status.setText(f"Reading the figures for {period.label}…")
        Op(self, lambda: (team_now(store, today, catalogue), team_period(store, period, catalogue, today=today),
                          team_trend(store, period, TREND_COUNT), open_actions(store))
           ).success(self._show).failure(self._failed).run()

    def _changed(self, change: Changed, _initiator: object) -> None:
        if change.touches(Change.CASES) and not self._loading:
            self.load()

    def _failed(self, exc: Exception) -> None:
        from ddassess.ui.errors import show_error

        self._loading = False
        self.status.setText("The figures could not be read.")
        show_error(self, exc)

    def _show(self, figures: Shown) -> None:
        now, period, trend, actions = figures
        self._loading = False
        self.shown = figures
        self.lists.setTabText(0, f"Comple&x high-risk cases ({len(now.complex_cases)})")
        self.lists.setTabText(1, f"&Open actions ({len(actions)})")
        self._complex(now.complex_cases)
        self._actions(actions, now.today)
        self.charts.show_figures(now, period, trend)
        self.now_tree.setHeaderLabels([f"Now ({_fmt(now.today)})", "Cases"])
        self.now_tree.show_tables(now.tables, with_previous=False)
        self.period_tree.setHeaderLabels([f"{period.period.words} against {period.previous.words}",
                                          period.period.label, period.previous.label])
        self.period_tree.show_tables(period.tables, with_previous=True)
        self.medians.setText("\n".join(f"{m.label}: {_days(m.days)} ({period.previous.label}: {_days(m.previous)})"
                                       for m in period.medians))
        self.status.setText(f"Figures for {period.period.label} against {period.previous.label}, and the open "
                            "caseload now. Press Enter on a figure (or double-click it) to list its cases.")

    def _complex(self, cases: tuple[ComplexCase, ...]) -> None:
        self.complex_cases = cases
        t = self.complex_table
        t.setRowCount(len(cases))
        for row, c in enumerate(cases):
            risk = c.risk_level or "not raised"
            if c.quadrant_high_high:
                risk += " · high/high"
            fill_row(t, row, (c.ref, risk, c.coordinator or "—", c.partner or "—", _fmt(c.last_joint_review),
                              _fmt(c.next_review_due)))

    def _open_complex(self, index: QModelIndex) -> None:
        self.case_opened.emit(self.complex_cases[index.row()].case_id)

    def _actions(self, actions: tuple[OpenAction, ...], today: dt.date) -> None:
        self.open_actions = actions
        t = self.actions_table
        t.setRowCount(len(actions))
        for row, a in enumerate(actions):
            due = _fmt(a.due) + (" (overdue)" if a.overdue(today) else "") if a.due else "no date"
            fill_row(t, row, (due, a.case_ref, a.action, a.owner or "—", _fmt(a.agreed_on)))

    def _open_action(self, index: QModelIndex) -> None:
        self.case_opened.emit(self.open_actions[index.row()].case_id)


def _days(value: float | None) -> str:
    return "no case yet" if value is None else f"{value:g} days"
