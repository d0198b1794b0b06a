"""View → "Complex case review agenda…": the meeting's agenda (services/meeting_agenda.py),
worked out off the GUI thread; "Save agenda PDF…" prints it (audited), and "Start review
form" opens the chosen case's complex case review form filled from its agenda item — why
it is discussed and its open actions carried on — so the meeting records actions and owners
in the existing form."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddassess.domain.agenda import Agenda, AgendaItem
from ddassess.errors import DdassessError
from ddassess.formengine import Catalogue
from ddassess.services.meeting_agenda import export_agenda, meeting_agenda, start_review
from ddassess.services.vault import Store
from ddassess.ui.errors import show_error
from ddassess.ui.export_path import choose_export_path
from ddassess.ui.ops import Op
from ddassess.ui.widgets import heading


def item_text(number: int, item: AgendaItem) -> str:
    actions = len(item.actions)
    who = f" — {item.person_name}" if item.person_name else ""
    return (f"{number}. {item.ref}{who}\n    " + "; ".join(item.reasons)
            + f"\n    Coordinator: {item.coordinator or '—'} · partner worker: {item.partner or '—'} · "
            + f"{actions} open action{'s' if actions != 1 else ''}")


class AgendaDialog(QDialog):
    def __init__(self, store: Store, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.catalogue = store, catalogue
        self.agenda: Agenda | None = None
        self.started: tuple[int, int] | None = None  # (case id, response id) of the review form started
        self.setWindowTitle("Complex case review agenda")
        self.status = QLabel("Working out the agenda…")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Agenda status")
        self.items = QListWidget()
        self.items.setAccessibleName("Cases on the agenda")
        self.items.setWordWrap(True)
        self.save_button = QPushButton("Save agenda PDF…")
        self.start_button = QPushButton("Start review form")
        self.start_button.setToolTip("Open the chosen case's complex case review form, filled from the agenda")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Complex case review agenda"))
        layout.addWidget(self.status)
        layout.addWidget(self.items, 1)
        layout.addWidget(buttons)
        self.save_button.clicked.connect(self.save_pdf)
        self.start_button.clicked.connect(self.start_selected)
        self.items.itemActivated.connect(lambda _item: self.start_selected())
        self.items.currentRowChanged.connect(lambda _row: self._enable())
        self.resize(760, 520)
        self._enable()
        Op(self, lambda: meeting_agenda(store, catalogue)).success(self.show_agenda).failure(self._failed).run()

    def _failed(self, exc: Exception) -> None:
        self.status.setText("The agenda could not be worked out.")
        show_error(self, exc)

    def show_agenda(self, agenda: Agenda) -> None:
        self.agenda = agenda
        self.items.clear()
        for number, item in enumerate(agenda.items, 1):
            row = QListWidgetItem(item_text(number, item))
            row.setData(Qt.ItemDataRole.UserRole, number - 1)
            self.items.addItem(row)
        count = len(agenda.items)
        self.status.setText(f"{count} open case{'s' if count != 1 else ''} high-risk, overdue for review or with "
                            "unacknowledged risk flags." if count else "No open case meets the agenda's rules today.")
        if count:
            self.items.setCurrentRow(0)
        self._enable()
        self.items.setFocus()

    def _enable(self) -> None:
        self.save_button.setEnabled(self.agenda is not None)
        self.start_button.setEnabled(self.agenda is not None and self.items.currentRow() >= 0)

    def selected(self) -> AgendaItem | None:
        row = self.items.currentRow()
        if self.agenda is None or row < 0:
            return None
        return self.agenda.items[row]

    def start_selected(self) -> None:
        item = self.selected()
        if item is None:
            return
        try:
            response_id = start_review(self.store, self.catalogue, item)
        except DdassessError as exc:  # the case closed meanwhile, ...: said, and the agenda stays
            show_error(self, exc)
            return
        self.started = (item.case_id, response_id)
        self.accept()

    def save_pdf(self) -> None:
        if self.agenda is None:
            return
        out = choose_export_path(self, self.store, "Save the agenda as PDF",
                                 f"agenda-{self.agenda.made_on.isoformat()}.pdf")
        if out is None:
            return
        made_on = self.agenda.made_on
        self.status.setText("Saving the agenda…")
        Op(self, lambda: export_agenda(self.store, self.catalogue, out, made_on)).success(
            lambda agenda: self.status.setText(f"Saved the agenda ({len(agenda.items)} cases) to {out}")
        ).failure(self._save_failed).run()

    def _save_failed(self, exc: Exception) -> None:
        self.status.setText("The agenda was not saved.")
        show_error(self, exc)
