"""The case list: a paged table model over the store, with search-as-you-type and filters.

The model holds a count and the pages fetched so far (``fetchMore`` adds a page as the
view scrolls); searching or filtering resets it to one page. Sorting is done by the
store. Nothing here ever asks for every case.

Typing searches off the GUI thread at once (no fixed delay): while one search runs, later
keystrokes only note the newest text, and a result for text that is no longer in the box
is dropped and the newest text searched. So typing never waits for the store, and the list
shows the newest text's matches as soon as the store has them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ddassess.domain import limits
from ddassess.domain.models import PATHWAY_STAGES
from ddassess.domain.nhs import format_nhs_number
from ddassess.services.case_list_rows import CaseQuery, CaseRow, FirstPage
from ddassess.ui.changes import Change, Changed, hub
from ddassess.ui.ops import Op

if TYPE_CHECKING:
    from ddassess.services.vault import Store

PAGE = 200
DATE_FORMAT = "%d %b %Y"  # until the practitioner's setting is applied
COUNT_CAP = 1000  # past this the list says "more than 1,000" rather than count them all
COLUMNS = [("ref", "Case"), ("name", "Name"), ("dob", "Date of birth"), (None, "NHS number"), ("stage", "Stage"),
           (None, "Lead agency"), (None, "Risk"), ("review", "Next review")]
NAME_COLUMN, RISK_COLUMN, REVIEW_COLUMN = 1, 6, 7
# The invalid index: the table's root, the "parent" every row of a flat table has (read, never changed).
_NO_PARENT = QModelIndex()
STAGE_LABELS = {s: s.replace("_", " ").capitalize() for s in PATHWAY_STAGES}
# Colour says "look here"; the words (shown and read out) say what it means.
RISK_COLOURS = {"high": (QColor("#FFE0B2"), QColor("#5D2E00")), "urgent": (QColor("#B00020"), QColor("#FFFFFF"))}
RISK_WORDS = {"high": "High risk", "urgent": "Urgent risk"}
# An overdue review: a sign and the word in the cell as well as the colour (not colour alone).
OVERDUE_COLOURS = (QColor("#FDECEE"), QColor("#8B0016"))
OVERDUE_SIGN = "⚠ Overdue"
# Widths wide enough for typical values, measured with the font (not from every cell).
SAMPLES = ["DD-2026-000000", "Charlotte Fictional-Example", "30 Sep 2026", "999 000 0000", "Joint assessment",
           "Substance misuse service", "URGENT", f"{OVERDUE_SIGN} 30 Sep 2026"]


SEARCH_HINT_START = "Search by name, NHS number"


class CaseTableModel(QAbstractTableModel):
    """The rows of one query, a page at a time. At start-up it may show the first page
    (read before the store is open: ``case_list_rows.first_page_at_start``) with no store yet;
    ``attach`` gives it the store, and only then can it fetch more or run a query."""

    cleared = Signal()  # every decrypted row dropped (the store is being locked)
    sort_wanted = Signal(str, bool)  # a column header asked for this order (key, descending): the list runs it

    def __init__(self, store: Store | None, date_format: str = DATE_FORMAT, *, first: FirstPage | None = None) -> None:
        super().__init__()
        self.store, self.date_format = store, date_format
        self.query = CaseQuery()
        self.rows: list[CaseRow] = []
        self.cells: list[tuple[str, ...] | None] = []  # each row's text, made when first shown
        self.total: int | None = 0  # None: more than COUNT_CAP
        self._more = False
        if first is not None:
            self.show_page(first)
        elif store is not None:
            self.refresh()

    def attach(self, store: Store) -> None:
        self.store = store

    def refresh(self, query: CaseQuery | None = None) -> None:
        """Count and fetch the first page now, on this thread."""
        from ddassess.services.case_list import first_page

        assert self.store is not None
        self.show_page(first_page(self.store, query or self.query, PAGE, COUNT_CAP))

    def show_page(self, page: FirstPage) -> None:
        self.beginResetModel()
        self.query, self.total = page.query, page.total
        self.rows = list(page.rows)
        self.cells = [None] * len(self.rows)
        self._more = len(self.rows) == PAGE
        self.endResetModel()

    def set_date_format(self, date_format: str) -> None:
        if date_format != self.date_format:
            self.beginResetModel()
            self.date_format = date_format
            self.cells = [None] * len(self.rows)
            self.endResetModel()

    def clear(self) -> None:
        """Drop every decrypted row (on lock)."""
        self.beginResetModel()
        self.rows, self.cells, self.total, self._more = [], [], 0, False
        self.endResetModel()
        self.cleared.emit()

    def count_text(self) -> str:
        if self.total is None:
            return f"More than {COUNT_CAP:,} cases: type more to narrow the list"
        return f"{self.total:,} case{'s' if self.total != 1 else ''}"

    def _cells(self, r: CaseRow) -> tuple[str, ...]:
        fmt = self.date_format
        return (r.ref, r.name, r.date_of_birth.strftime(fmt) if r.date_of_birth else "",
                format_nhs_number(r.nhs_number) if r.nhs_number else "", STAGE_LABELS.get(r.stage, r.stage),
                r.lead_agency, r.risk_level.upper() if r.risk_level else "",
                (f"{OVERDUE_SIGN} " if self.overdue(r) else "") + r.next_review_due.strftime(fmt)
                if r.next_review_due else "")

    def overdue(self, r: CaseRow) -> bool:
        """The review date has passed (the day the query was made: the same "today" as the
        "Review overdue" filter)."""
        return r.next_review_due is not None and r.next_review_due < self.query.today

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_PARENT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_PARENT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = _NO_PARENT) -> bool:  # noqa: N802
        return not parent.isValid() and self._more and self.store is not None

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = _NO_PARENT) -> None:  # noqa: N802
        from ddassess.services.case_list import list_cases

        if self.store is None:
            return  # still opening: the view asks again when scrolled
        more = list_cases(self.store, self.query, len(self.rows), PAGE)
        self._more = len(more) == PAGE
        if more:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(more) - 1)
            self.rows.extend(more)
            self.cells.extend([None] * len(more))
            self.endInsertRows()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            row = index.row()
            cells = self.cells[row]
            if cells is None:  # formatted once, and only for rows the view shows
                cells = self.cells[row] = self._cells(self.rows[row])
            return cells[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return self.rows[index.row()].case_id
        if index.column() == REVIEW_COLUMN:
            return self._review_data(self.rows[index.row()], role)
        if index.column() != RISK_COLUMN:
            return None
        level = self.rows[index.row()].risk_level
        if role in (Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return RISK_WORDS.get(level, level.capitalize() + " risk" if level else "No risk flagged")
        if role == Qt.ItemDataRole.BackgroundRole and level in RISK_COLOURS:
            return RISK_COLOURS[level][0]
        if role == Qt.ItemDataRole.ForegroundRole and level in RISK_COLOURS:
            return RISK_COLOURS[level][1]
        return None

    def _review_data(self, r: CaseRow, role: int) -> Any:
        if not self.overdue(r) or r.next_review_due is None:
            return None
        if role in (Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return f"Review overdue since {r.next_review_due.strftime(self.date_format)}"
        if role == Qt.ItemDataRole.BackgroundRole:
            return OVERDUE_COLOURS[0]
        if role == Qt.ItemDataRole.ForegroundRole:
            return OVERDUE_COLOURS[1]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is done by the store, off the GUI thread like a search (by name on 100,000
        cases it takes a quarter of a second): the list asks for it (``sort_wanted``)."""
        if not 0 <= column < len(COLUMNS):
            return
        key = COLUMNS[column][0]
        if key is not None:
            self.sort_wanted.emit(key, order == Qt.SortOrder.DescendingOrder)


def _filtered(q: CaseQuery) -> bool:
    """True when the query narrows the list (search text or a filter), not only sorts it."""
    return bool(q.text.strip() or q.stage or q.lead_agency or q.risk_only or q.review_overdue
                or q.coordinator_id is not None or q.figure)


class CaseListWidget(QWidget):
    case_opened = Signal(int)  # case id
    searched = Signal()  # the list now shows the matches of the text in the search box
    new_referral = Signal()  # the empty list's "New referral…" button

    def __init__(self, store: Store | None, parent: QWidget | None = None, *, first: FirstPage | None = None,
                 date_format: str = DATE_FORMAT) -> None:
        """With ``store`` None the list shows ``first`` while the store is being opened:
        what is typed or chosen meanwhile is kept, and shown once ``attach`` brings the store."""
        super().__init__(parent)
        self.model = CaseTableModel(store, date_format, first=first)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name, NHS number, date of birth (DD/MM/YYYY) or case")
        self.search.setAccessibleName("Search cases")
        self.search.setToolTip("Search cases (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMaxLength(limits.MAX_SEARCH)  # what the search service takes
        self.stage = QComboBox()
        self.stage.setAccessibleName("Pathway stage filter")
        self.stage.addItem("All stages", "")
        for key, label in STAGE_LABELS.items():
            self.stage.addItem(label, key)
        self.lead = QComboBox()
        self.lead.setAccessibleName("Lead agency filter")
        self.lead.addItem("Any lead agency", "")
        self.owner_id: int | None = None
        self.mine = QCheckBox("My cases")
        self.risk = QCheckBox("High risk only")
        self.overdue = QCheckBox("Review overdue")
        self.closed = QCheckBox("Include closed")
        self.count = QLabel()
        self.count.setAccessibleName("Number of cases shown")
        # A Team view figure's cases (show_figure): what they are, and the way back to every case.
        self.figure_text = QLabel()
        self.figure_text.setAccessibleName("Team figure shown")
        self.figure_clear = QPushButton("Show &all cases")
        self.figure_clear.setAccessibleName("Stop showing the team figure's cases")
        self.figure_clear.clicked.connect(self.clear_figure)
        self.figure_bar = QWidget()
        figure_row = QHBoxLayout(self.figure_bar)
        figure_row.setContentsMargins(0, 0, 0, 0)
        figure_row.addWidget(self.figure_text, 1)
        figure_row.addWidget(self.figure_clear)
        self.figure_bar.hide()
        bar = QHBoxLayout()  # the search and the two lists; the ticks below, so large text still fits
        bar.addWidget(self.search, 3)
        bar.addWidget(self.stage)
        bar.addWidget(self.lead)
        ticks = QHBoxLayout()
        for w in (self.mine, self.risk, self.overdue, self.closed):
            ticks.addWidget(w)
        ticks.addStretch()
        self.table = QTableView()
        self.table.setAccessibleName("Cases")
        self.table.setModel(self.model)
        # Newest cases first until the user sorts by a column (not the first column's order).
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self._size_columns()
        self.table.verticalHeader().hide()
        # No case to show: say so, and how to start one (the window's New referral action).
        shortcut = QKeySequence(QKeySequence.StandardKey.New).toString(QKeySequence.SequenceFormat.NativeText)
        self.empty = QWidget()
        empty_row = QHBoxLayout(self.empty)
        self.empty_text = QLabel()
        self.empty_text.setWordWrap(True)
        self.empty_text.setAccessibleName("No cases")
        self.empty_button = QPushButton("&New referral…")
        self.empty_button.setAccessibleName("New referral")
        self.empty_button.setToolTip(f"Start a referral ({shortcut})")
        self.empty_button.clicked.connect(self.new_referral)
        empty_row.addWidget(self.empty_text, 1)
        empty_row.addWidget(self.empty_button)
        self.empty_shortcut = shortcut
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(ticks)
        layout.addWidget(self.figure_bar)
        layout.addWidget(self.empty)
        layout.addWidget(self.table)
        layout.addWidget(self.count)
        self._searching = False  # a search is running off the GUI thread
        self._locked = False  # the rows were dropped on lock: show nothing more
        self._asked = first is None  # a search or filter is waiting for the store
        # The user reached the end of the rows while the store was opening: the next page is
        # fetched once it is open. Remembered when it happens, because the bar's position
        # and range may change before then (the rows are laid out again, a bar appears).
        self._reached_end = False
        self.table.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.model.cleared.connect(self._forget)
        self.sort_key, self.descending = "opened", True  # as the store gives it until a header is clicked
        self.model.sort_wanted.connect(self._sort)
        self.search.textChanged.connect(self._typed)
        for box in (self.mine, self.risk, self.overdue, self.closed):
            box.toggled.connect(self.apply)
        self.stage.currentIndexChanged.connect(self.apply)
        self.lead.currentIndexChanged.connect(self.apply)
        self.table.activated.connect(lambda idx: self.case_opened.emit(self.model.data(idx, Qt.ItemDataRole.UserRole)))
        hub().changed.connect(self._changed)  # a case added or changed anywhere: the list shows it
        self.find_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, self.focus_search,
                              context=Qt.ShortcutContext.WindowShortcut)  # only while the list is shown
        self._show_count()
        if store is not None:
            self.attach(store)
        elif first is None:  # the first page could not be read early: it is read once the store is open
            self._wait_for_store()

    def attach(self, store: Store) -> None:
        """The store is open: fetch more as the view scrolls, and show what was asked for
        while it opened (typed, filtered or sorted)."""
        from ddassess.services.case_list import lead_agencies

        self.model.attach(store)
        # Listing the agencies reads every case (50 ms on 100,000): done off the GUI thread,
        # so the list is on screen first and the choices arrive a moment later.
        Op(self, lambda: lead_agencies(store)).success(self._add_agencies).run()
        owner = store.owner()
        self.owner_id = owner.id if owner else None
        if self._asked and not self._locked:
            self._asked = False
            self.apply()
        elif self.model.canFetchMore() and self._reached_end:  # scrolled down while the store opened
            self.model.fetchMore()
        self._reached_end = False

    def _scrolled(self, value: int) -> None:
        if self.model.store is None and value > 0 and value >= self.table.verticalScrollBar().maximum():
            self._reached_end = True

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.FontChange:  # the text size changed in Settings
            self._size_columns()
        super().changeEvent(event)

    def _size_columns(self) -> None:
        """Widths from the font and typical values: sizing to contents would ask the model for
        every cell of the page (14,000 calls, 190 ms of a cold start). The Name column takes
        the spare width, so "Next review" stays as wide as a date. The search box is kept
        wide enough for the start of its hint ("Search by name, NHS number")."""
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        self.search.setMinimumWidth(self.search.fontMetrics().horizontalAdvance(SEARCH_HINT_START)
                                    + 6 * self.search.fontMetrics().averageCharWidth())
        pad = 3 * metrics.averageCharWidth()
        self.column_widths = [max(metrics.horizontalAdvance(title) + 3 * pad,
                                  metrics.horizontalAdvance(SAMPLES[column]) + pad)
                              for column, (_key, title) in enumerate(COLUMNS)]
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate(self.column_widths):
            header.resizeSection(column, width)
        header.setStretchLastSection(False)
        self._fit_name_column()

    def _fit_name_column(self) -> None:
        """The Name column takes the spare width, but never less than a typical name: with
        large text on a narrow window it keeps that width and the table scrolls sideways."""
        header = self.table.horizontalHeader()
        fits = sum(self.column_widths) <= self.table.viewport().width()
        mode = QHeaderView.ResizeMode.Stretch if fits else QHeaderView.ResizeMode.Interactive
        if header.sectionResizeMode(NAME_COLUMN) != mode:
            header.setSectionResizeMode(NAME_COLUMN, mode)
            if not fits:
                header.resizeSection(NAME_COLUMN, self.column_widths[NAME_COLUMN])

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_name_column()

    def _add_agencies(self, agencies: list[str]) -> None:
        for agency in agencies:
            if self.lead.findData(agency) < 0:
                self.lead.addItem(agency, agency)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def selected_case_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.rows[r].case_id for r in rows]

    def current_query(self) -> CaseQuery:
        return replace(self.model.query, text=self.search.text(), sort=self.sort_key, descending=self.descending,
                       stage=self.stage.currentData() or "",
                       lead_agency=self.lead.currentData() or "", risk_only=self.risk.isChecked(),
                       review_overdue=self.overdue.isChecked(), open_only=not self.closed.isChecked(),
                       coordinator_id=self.owner_id if self.mine.isChecked() else None)

    def show_figure(self, query: CaseQuery, what: str) -> None:
        """List the cases behind a Team view figure: the other filters and the search are
        cleared (the figure alone says which cases), closed ones included when it counts them."""
        controls = (self.search, self.stage, self.lead, self.mine, self.risk, self.overdue, self.closed)
        for w in controls:
            w.blockSignals(True)
        try:
            self.search.clear()
            self.stage.setCurrentIndex(0)
            self.lead.setCurrentIndex(0)
            for box in (self.mine, self.risk, self.overdue):
                box.setChecked(False)
            self.closed.setChecked(not query.open_only)
        finally:
            for w in controls:
                w.blockSignals(False)
        self.model.query = replace(self.model.query, figure=query.figure, today=query.today)
        self.figure_text.setText(f"Showing the cases of the Team view's figure “{what}”.")
        self.figure_bar.show()
        self.apply()

    def clear_figure(self) -> None:
        """Back to the open cases, as the list starts."""
        self.model.query = replace(self.model.query, figure=())
        self.closed.blockSignals(True)
        self.closed.setChecked(False)
        self.closed.blockSignals(False)
        self.figure_bar.hide()
        self.apply()

    def apply(self) -> None:
        """Show the current search and filters now (a filter changed, or a case was added)."""
        if self.model.store is None:
            self._wait_for_store()
            return
        self.model.refresh(self.current_query())
        self._show_count()
        self.searched.emit()

    def _changed(self, change: Changed, _initiator: object) -> None:
        if change.touches(Change.CASES) and not self._locked:
            self.apply()

    def _sort(self, key: str, descending: bool) -> None:
        self.sort_key, self.descending = key, descending
        self._typed()  # run as a search is: off the GUI thread, the newest wish winning

    def _wait_for_store(self) -> None:
        """Asked for while the store opens: done as soon as it is open (``attach``)."""
        self._asked = True
        self.count.setText("Opening the store… the list follows your search and filters in a moment")

    def _typed(self) -> None:
        if self.model.store is None:
            self._wait_for_store()
        elif not self._searching:  # otherwise the running search's answer starts the next one
            self._search(self.current_query())

    def _search(self, q: CaseQuery) -> None:
        from ddassess.services.case_list import first_page

        self._searching = True
        store = self.model.store
        assert store is not None  # (searches wait for the store: _typed)
        Op(self, lambda: first_page(store, q, PAGE, COUNT_CAP)).success(self._found).failure(self._failed).run()

    def _found(self, page: FirstPage) -> None:
        self._searching = False
        if self._locked:
            return
        wanted = self.current_query()  # the text, filters and sort on screen now
        if page.query != wanted:  # stale: typed on, or sorted or filtered, meanwhile
            if self.model.query != wanted:
                self._search(wanted)
            return
        self.model.show_page(page)
        self._show_count()
        self.searched.emit()

    def _failed(self, exc: BaseException) -> None:
        from ddassess.ui.errors import show_error

        self._searching = False
        if not self._locked:
            show_error(self, exc)

    def _forget(self) -> None:
        """On lock: an answer still coming from the store is not shown."""
        self._locked = True
        self._show_count()

    def _show_count(self) -> None:
        self.count.setText(self.model.count_text())
        self._show_empty()

    def _show_empty(self) -> None:
        """No row to show (and the rows are the store's, not a lock's empty list): say how to start."""
        if self._locked or self.model.total != 0 or self.model.rows:
            self.empty.hide()
            return
        how = f"File → New referral… ({self.empty_shortcut})"
        if _filtered(self.model.query):
            text = (f"No case matches this search and these filters. Change them, or start a referral for "
                    f"someone new: {how}.")
        else:
            text = f"No cases yet. To start one, make a referral: {how}."
        self.empty_text.setText(text)
        self.empty.show()
