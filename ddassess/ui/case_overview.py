"""What the case page shows where a form goes while no form is open: the prompt to open one,
"Scores over time" (each instrument's trajectory) and the open actions of the case's newest
complex case review."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QPushButton, QScrollArea, QVBoxLayout, QWidget

from ddassess.domain.agenda import OpenAction
from ddassess.formengine import Catalogue
from ddassess.services.meeting_agenda import open_actions
from ddassess.services.trajectories import export_scores, score_trajectories
from ddassess.services.vault import Store
from ddassess.ui.errors import show_error
from ddassess.ui.export_path import choose_export_path
from ddassess.ui.ops import Op
from ddassess.ui.trajectories import TrajectoryPanel
from ddassess.ui.widgets import relative_font

NO_ACTIONS = "No open actions from a complex case review."


def action_text(a: OpenAction, date_format: str, today: dt.date) -> str:
    due = f", due {a.due.strftime(date_format)}" if a.due else ""
    late = " — OVERDUE" if a.overdue(today) else ""
    return f"{a.action} — {a.owner or 'no owner'}{due}{late}"


class CaseOverview(QScrollArea):
    def __init__(self, placeholder: QLabel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.placeholder = placeholder
        self.trajectories = TrajectoryPanel()
        self.actions_heading = QLabel("Open actions")
        relative_font(self.actions_heading, 1.2)
        self.action_list = QListWidget()
        self.action_list.setAccessibleName("Open actions")
        self.action_list.setWordWrap(True)
        self.action_list.hide()  # until there are actions
        self.no_actions = QLabel(NO_ACTIONS)
        self.pdf_button = QPushButton("Scores over time PDF…")
        self.pdf_button.setToolTip("Print the charts for the joint review (a document apart from the care plan)")
        self.pdf_button.clicked.connect(self.save_pdf)
        self.pdf_status = QLabel()
        self.pdf_status.setAccessibleName("Scores PDF status")
        self.shown: tuple[Store, Catalogue, int] | None = None
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(placeholder)
        layout.addWidget(self.actions_heading)
        layout.addWidget(self.no_actions)
        layout.addWidget(self.action_list)
        layout.addWidget(self.trajectories)
        row = QHBoxLayout()
        row.addWidget(self.pdf_button)
        row.addWidget(self.pdf_status, 1)
        layout.addLayout(row)
        layout.addStretch(1)
        self.setWidget(inner)

    def refresh(self, store: Store, catalogue: Catalogue, case_id: int, date_format: str) -> None:
        today = dt.date.today()
        actions = open_actions(store, case_id)
        self.action_list.clear()
        for a in actions:
            self.action_list.addItem(action_text(a, date_format, today))
        self.action_list.setVisible(bool(actions))
        self.action_list.setMaximumHeight(self.action_list.sizeHintForRow(0) * (len(actions) + 1) + 8 if actions else 0)
        self.no_actions.setVisible(not actions)
        trajectories = score_trajectories(store, catalogue, case_id)
        self.trajectories.show_trajectories(trajectories, date_format)
        self.pdf_button.setEnabled(bool(trajectories))
        self.shown = (store, catalogue, case_id)

    def save_pdf(self) -> None:
        """"Scores over time PDF…": warn, ask where, write it off the GUI thread (audited)."""
        if self.shown is None:
            return
        store, catalogue, case_id = self.shown
        out = choose_export_path(self, store, "Save the scores over time as PDF", "scores-over-time.pdf")
        if out is None:
            return
        self.pdf_status.setText("Saving…")
        Op(self, lambda: export_scores(store, catalogue, case_id, out)).success(
            lambda n: self.pdf_status.setText(f"Saved {n} chart{'s' if n != 1 else ''} to {out}")
        ).failure(self._failed).run()

    def _failed(self, exc: Exception) -> None:
        self.pdf_status.setText("The PDF was not saved.")
        show_error(self, exc)
