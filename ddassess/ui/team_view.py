"""The Team view: the team lead's figures, now and for a period against the one before.

Every figure is a row of a table; activating it (Enter, or a double click) opens the case
list filtered to exactly the cases behind it (``figure_opened``). The complex high-risk
cases are listed by case reference with who coordinates them; activating one opens the
case. The figures are read off the GUI thread (``ui.ops``): a store of 100,000 cases
answers in a fraction of a second, and the window stays live meanwhile.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ddassess.domain.periods import parse_period, quarter_of
from ddassess.errors import InvalidInputError
from ddassess.ui.changes import Change, Changed, hub
from ddassess.ui.ops import Op

if TYPE_CHECKING:
    from ddassess.domain.periods import Period
    from ddassess.formengine import Catalogue
    from ddassess.services.case_list_rows import CaseQuery
    from ddassess.services.team_kpis import ComplexCase, Table, TeamNow, TeamPeriod
    from ddassess.services.vault import Store


def _fmt(d: dt.date | None) -> str:
    return d.strftime("%d %b %Y") if d else "—"


class FigureTable(QTableWidget):
    """One table of figures; each row keeps the query that lists its cases."""

    def __init__(self, table: Table, headers: list[str], with_previous: bool) -> None:
        super().__init__(len(table.figures), len(headers))
        self.table = table
        self.setHorizontalHeaderLabels(headers)
        self.setAccessibleName(table.title)
        self.setAccessibleDescription((table.note + " " if table.note else "")
                                      + "Press Enter on a row to list its cases.")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for row, f in enumerate(table.figures):
            cells = [f.label, str(f.count)] + ([str(f.previous or 0)] if with_previous else [])
            for col, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(f"{f.label}: {value}. Press Enter or double-click to list the cases.")
                self.setItem(row, col, item)
        self.setCurrentCell(0, 0)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.resizeRowsToContents()
        height = self.horizontalHeader().sizeHint().height() + sum(self.rowHeight(r) for r in range(self.rowCount()))
        self.setFixedHeight(height + 2 * self.frameWidth())


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
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        layout = QVBoxLayout(self)
        layout.addLayout(picker)
        layout.addWidget(self.status)
        layout.addWidget(scroll)
        self.tables: list[FigureTable] = []
        self.complex_table: QTableWidget | None = None
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
        from ddassess.services.team_kpis import team_now, team_period

        store, catalogue, period, today = self.store, self.catalogue, self.period, self.today
        self._loading = True
        self.status.setText(f"Reading the figures for {period.label}…")
        Op(self, lambda: (team_now(store, today, catalogue), team_period(store, period, catalogue, today=today))
           ).success(self._show).failure(self._failed).run()

    def _changed(self, change: Changed, _initiator: object) -> None:
        if change.touches(Change.CASES) and not self._loading:
            self.load()

    def _failed(self, exc: Exception) -> None:
        from ddassess.ui.errors import show_error

        self._loading = False
        self.status.setText("The figures could not be read.")
        show_error(self, exc)

    def _show(self, figures: tuple[TeamNow, TeamPeriod]) -> None:
        now, period = figures
        self._loading = False
        while self.body_layout.count():
            item = self.body_layout.takeAt(0)
            old = item.widget() if item is not None else None
            if old is not None:
                old.deleteLater()
        self.tables = []
        self._heading(f"Now ({_fmt(now.today)})")
        self._complex(now.complex_cases)
        for table in now.tables:
            self._add(table, ["", "Cases"], with_previous=False)
        self._heading(f"{period.period.words} ({period.period.label}) against {period.previous.words} "
                      f"({period.previous.label})")
        for m in period.medians:
            self._note(f"{m.label}: {_days(m.days)} ({period.previous.label}: {_days(m.previous)})")
        for table in period.tables:
            self._add(table, ["", period.period.label, period.previous.label], with_previous=True)
        self.body_layout.addStretch()
        self.status.setText(f"Figures for {period.period.label} against {period.previous.label}, and the open "
                            "caseload now. Press Enter on a row (or double-click it) to list its cases.")

    def _heading(self, text: str) -> None:
        label = QLabel(f"<h2>{text}</h2>")
        label.setAccessibleName(text)
        self.body_layout.addWidget(label)

    def _note(self, text: str) -> None:
        label = QLabel(text)
        label.setAccessibleName(text)
        self.body_layout.addWidget(label)

    def _add(self, table: Table, headers: list[str], with_previous: bool) -> None:
        title = QLabel(f"<b>{table.title}</b>" + (f" — {table.note}" if table.note else ""))
        title.setWordWrap(True)
        widget = FigureTable(table, headers, with_previous)
        title.setBuddy(widget)
        widget.activated.connect(lambda index, w=widget: self._open(w, index.row()))
        self.body_layout.addWidget(title)
        self.body_layout.addWidget(widget)
        self.tables.append(widget)

    def _complex(self, cases: tuple[ComplexCase, ...]) -> None:
        heads = ["Case", "Risk", "Care coordinator", "Partner worker", "Last joint review", "Next review"]
        t = QTableWidget(len(cases), len(heads))
        t.setAccessibleName("Complex high-risk cases")
        t.setAccessibleDescription("Urgent or high risk, or high mental illness and high substance misuse. "
                                   "Press Enter on a row to open the case.")
        t.setHorizontalHeaderLabels(heads)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.verticalHeader().hide()
        for row, c in enumerate(cases):
            risk = c.risk_level or "not raised"
            if c.quadrant_high_high:
                risk += " · high/high"
            for col, value in enumerate((c.ref, risk, c.coordinator or "—", c.partner or "—",
                                         _fmt(c.last_joint_review), _fmt(c.next_review_due))):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, c.case_id)
                t.setItem(row, col, item)
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        t.setMinimumHeight(min(320, t.horizontalHeader().sizeHint().height() + 30 * max(1, len(cases)) + 4))
        t.activated.connect(lambda index: self.case_opened.emit(cases[index.row()].case_id))
        self._heading("Complex high-risk cases")
        if not cases:
            self._note("No open case is urgent or high risk, or high mental illness and high substance misuse.")
        self.body_layout.addWidget(t)
        self.complex_table = t

    def _open(self, widget: FigureTable, row: int) -> None:
        f = widget.table.figures[row]
        self.figure_opened.emit(f.query, f"{widget.table.title}: {f.label}")

    def figure_query(self, key: str, group: str) -> CaseQuery:
        table = next(t for t in self.tables if t.table.key == key)
        return next(f.query for f in table.table.figures if f.group == group)


def _days(value: float | None) -> str:
    return "no case yet" if value is None else f"{value:g} days"
