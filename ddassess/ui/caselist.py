"""The case list: a paged table model over the store, with search-as-you-type and filters.

The model holds a count and the pages fetched so far (``fetchMore`` adds a page as the
view scrolls); searching or filtering resets it to one page. Sorting is done by the
store. Nothing here ever asks for every case.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ddassess.domain.models import PATHWAY_STAGES
from ddassess.domain.nhs import format_nhs_number
from ddassess.services.caselist import CaseQuery, CaseRow, count_cases, lead_agencies, list_cases
from ddassess.services.vault import Store

PAGE = 200
COUNT_CAP = 1000  # past this the list says "more than 1,000" rather than count them all
COLUMNS = [("ref", "Case"), ("name", "Name"), ("dob", "Date of birth"), (None, "NHS number"), ("stage", "Stage"),
           (None, "Lead agency"), (None, "Risk"), ("review", "Next review")]
STAGE_LABELS = {s: s.replace("_", " ").capitalize() for s in PATHWAY_STAGES}


class CaseTableModel(QAbstractTableModel):
    def __init__(self, store: Store, date_format: str = "%d %b %Y") -> None:
        super().__init__()
        self.store, self.date_format = store, date_format
        self.query = CaseQuery()
        self.rows: list[CaseRow] = []
        self.total: int | None = 0  # None: more than COUNT_CAP
        self._more = False
        self.refresh()

    def refresh(self, query: CaseQuery | None = None) -> None:
        self.beginResetModel()
        if query is not None:
            self.query = query
        n = count_cases(self.store, self.query, cap=COUNT_CAP + 1)
        self.total = n if n <= COUNT_CAP else None
        self.rows = list_cases(self.store, self.query, 0, PAGE)
        self._more = len(self.rows) == PAGE
        self.endResetModel()

    def clear(self) -> None:
        """Drop every decrypted row (on lock)."""
        self.beginResetModel()
        self.rows, self.total, self._more = [], 0, False
        self.endResetModel()

    def count_text(self) -> str:
        if self.total is None:
            return f"More than {COUNT_CAP:,} cases: type more to narrow the list"
        return f"{self.total:,} case{'s' if self.total != 1 else ''}"

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: N802
        return not parent.isValid() and self._more

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: N802
        more = list_cases(self.store, self.query, len(self.rows), PAGE)
        self._more = len(more) == PAGE
        if more:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(more) - 1)
            self.rows.extend(more)
            self.endInsertRows()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.UserRole):
            return None
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return r.case_id
        values = [r.ref, r.name, r.date_of_birth.strftime(self.date_format) if r.date_of_birth else "",
                  format_nhs_number(r.nhs_number) if r.nhs_number else "", STAGE_LABELS.get(r.stage, r.stage),
                  r.lead_agency, r.risk_level.upper() if r.risk_level else "",
                  r.next_review_due.strftime(self.date_format) if r.next_review_due else ""]
        return values[index.column()]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        key = COLUMNS[column][0]
        if key is None:
            return
        from dataclasses import replace

        self.refresh(replace(self.query, sort=key, descending=order == Qt.SortOrder.DescendingOrder))


class CaseListWidget(QWidget):
    case_opened = Signal(int)  # case id

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = CaseTableModel(store)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name, NHS number, date of birth (YYYY-MM-DD) or case")
        self.search.setAccessibleName("Search cases")
        self.search.setClearButtonEnabled(True)
        self.stage = QComboBox()
        self.stage.setAccessibleName("Pathway stage filter")
        self.stage.addItem("All stages", "")
        for key, label in STAGE_LABELS.items():
            self.stage.addItem(label, key)
        self.lead = QComboBox()
        self.lead.setAccessibleName("Lead agency filter")
        self.lead.addItem("Any lead agency", "")
        for agency in lead_agencies(store):
            self.lead.addItem(agency, agency)
        owner = store.owner()
        self.owner_id = owner.id if owner else None
        self.mine = QCheckBox("My cases")
        self.risk = QCheckBox("High risk only")
        self.overdue = QCheckBox("Review overdue")
        self.closed = QCheckBox("Include closed")
        self.count = QLabel()
        self.count.setAccessibleName("Number of cases shown")
        bar = QHBoxLayout()
        bar.addWidget(self.search, 3)
        for w in (self.stage, self.lead, self.mine, self.risk, self.overdue, self.closed):
            bar.addWidget(w)
        self.table = QTableView()
        self.table.setAccessibleName("Cases")
        self.table.setModel(self.model)
        # Newest cases first until the user sorts by a column (not the first column's order).
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        # Sized once from the first page: sizing to contents on every search would ask the
        # model for every cell of every row each time (tens of thousands of calls).
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.resizeColumnsToContents()
        self.table.verticalHeader().hide()
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        layout.addWidget(self.count)
        self.debounce = QTimer(self, singleShot=True, interval=150)
        self.debounce.timeout.connect(self.apply)
        self.search.textChanged.connect(lambda _t: self.debounce.start())
        for box in (self.mine, self.risk, self.overdue, self.closed):
            box.toggled.connect(self.apply)
        self.stage.currentIndexChanged.connect(self.apply)
        self.lead.currentIndexChanged.connect(self.apply)
        self.table.activated.connect(lambda idx: self.case_opened.emit(self.model.data(idx, Qt.ItemDataRole.UserRole)))
        self._show_count()

    def selected_case_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.rows[r].case_id for r in rows]

    def apply(self) -> None:
        from dataclasses import replace

        q = replace(self.model.query, text=self.search.text(), stage=self.stage.currentData() or "",
                    lead_agency=self.lead.currentData() or "", risk_only=self.risk.isChecked(),
                    review_overdue=self.overdue.isChecked(), open_only=not self.closed.isChecked(),
                    coordinator_id=self.owner_id if self.mine.isChecked() else None)
        self.model.refresh(q)
        self._show_count()

    def _show_count(self) -> None:
        self.count.setText(self.model.count_text())
