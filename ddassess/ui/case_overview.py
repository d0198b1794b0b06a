"""What the case page shows where a form goes while no form is open: the prompt to open one,
"Scores over time" (each instrument's trajectory) and the open actions of the case's newest
complex case review."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QLabel, QListWidget, QScrollArea, QVBoxLayout, QWidget

from ddassess.domain.agenda import OpenAction
from ddassess.formengine import Catalogue
from ddassess.services.meeting_agenda import open_actions
from ddassess.services.trajectories import score_trajectories
from ddassess.services.vault import Store
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
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(placeholder)
        layout.addWidget(self.actions_heading)
        layout.addWidget(self.no_actions)
        layout.addWidget(self.action_list)
        layout.addWidget(self.trajectories)
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
        self.trajectories.show_trajectories(score_trajectories(store, catalogue, case_id), date_format)
