"""The case's history in words (``services.case_history``): newest first, a page at a time,
with a filter by form. Reached from the case page's "History…" button and from
File → "Case history…" (Ctrl+H); it follows changes to its case while open."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddassess.formengine import Catalogue
from ddassess.services.case_history import CASE_ONLY, PAGE, CaseHistory, case_history
from ddassess.services.vault import Store
from ddassess.ui.changes import Change, Changed, hub

EVERYTHING = "__everything__"


class CaseHistoryDialog(QDialog):
    """Who did what on this case, and when; "Older" and "Newer" page through a long history."""

    def __init__(self, store: Store, catalogue: Catalogue, case_id: int, parent: QWidget | None = None,
                 page_size: int = PAGE) -> None:
        super().__init__(parent)
        self.store, self.catalogue, self.case_id, self.page_size = store, catalogue, case_id, page_size
        self.offset = 0
        self.history: CaseHistory | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.filter = QComboBox()
        self.filter.setAccessibleName("Show the history of")
        filter_label = QLabel("&Show:")
        filter_label.setBuddy(self.filter)
        self.entries = QListWidget()
        self.entries.setAccessibleName("History of this case, newest first")
        self.entries.setWordWrap(True)
        self.entries.setAlternatingRowColors(True)
        self.position = QLabel()
        self.position.setAccessibleName("Which entries are shown")
        self.newer_button = QPushButton("&Newer")
        self.newer_button.setAccessibleName("Show newer entries")
        self.older_button = QPushButton("&Older")
        self.older_button.setAccessibleName("Show older entries")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        top = QHBoxLayout()
        top.addWidget(filter_label)
        top.addWidget(self.filter, 1)
        paging = QHBoxLayout()
        paging.addWidget(self.position, 1)
        paging.addWidget(self.newer_button)
        paging.addWidget(self.older_button)
        column = QVBoxLayout(self)
        column.addLayout(top)
        column.addWidget(self.entries, 1)
        column.addLayout(paging)
        column.addWidget(buttons)
        self.newer_button.clicked.connect(lambda: self.turn(-1))
        self.older_button.clicked.connect(lambda: self.turn(1))
        self.resize(1000, 600)
        self.load()
        self._fill_filter()
        self.filter.currentIndexChanged.connect(lambda _i: self._filtered())
        hub().changed.connect(self._changed)

    def _fill_filter(self) -> None:
        assert self.history is not None
        self.filter.blockSignals(True)
        keep = self.filter.currentData()
        self.filter.clear()
        self.filter.addItem("Everything", EVERYTHING)
        self.filter.addItem("The case and the person", CASE_ONLY)
        for form_id, title in self.history.forms:
            self.filter.addItem(title, form_id)
        self.filter.setCurrentIndex(max(0, self.filter.findData(keep)) if keep is not None else 0)
        self.filter.blockSignals(False)

    def form_filter(self) -> str | None:
        data = self.filter.currentData()
        return None if data in (None, EVERYTHING) else str(data)

    def load(self) -> None:
        """The page at ``offset`` with the chosen filter."""
        h = case_history(self.store, self.catalogue, self.case_id, form_id=self.form_filter(),
                         offset=self.offset, limit=self.page_size)
        self.history = h
        self.setWindowTitle(f"History of case {h.ref}")
        self.entries.clear()
        for entry, line in zip(h.entries, h.lines(), strict=True):
            item = QListWidgetItem(line)
            item.setToolTip(line)
            item.setData(Qt.ItemDataRole.UserRole, entry.seq)
            self.entries.addItem(item)
        if not h.entries:
            self.entries.addItem(QListWidgetItem("Nothing recorded for this choice."))
        first = h.offset + 1 if h.entries else 0
        self.position.setText(f"Entries {first}–{h.offset + len(h.entries)} of {h.total}, newest first")
        self.newer_button.setEnabled(h.offset > 0)
        self.older_button.setEnabled(h.has_older)
        self.entries.setCurrentRow(0)

    def lines(self) -> list[str]:
        """What the list shows, one sentence per entry."""
        return self.history.lines() if self.history is not None else []

    def turn(self, direction: int) -> None:
        self.offset = max(0, self.offset + direction * self.page_size)
        self.load()
        self.entries.setFocus()

    def _filtered(self) -> None:
        self.offset = 0
        self.load()

    def _changed(self, change: Changed, _initiator: object) -> None:
        if self.isVisible() and change.touches(Change.CASES | Change.RESPONSES | Change.CARE_PLANS, self.case_id) \
                and not self.store.closed:
            self.load()
            self._fill_filter()

    def done(self, result: int) -> None:
        try:
            hub().changed.disconnect(self._changed)
        except (RuntimeError, TypeError):
            pass
        super().done(result)
