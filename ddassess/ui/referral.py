"""New referral: the person (every entry checked as typed), and a case at the referral step.

A person already in the store (same NHS number, or same name and date of birth) is
shown in the dialog itself, with a button to open a new case for them, so nobody is
added twice; only a name-and-birthday match can still be added as a different person
(two people can share both; they cannot share an NHS number).

Each problem is shown under its own box as it is typed, and nothing typed is cleared.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ddassess.domain import limits
from ddassess.domain.models import Person
from ddassess.domain.nhs import format_nhs_number
from ddassess.errors import InvalidInputError
from ddassess.services import case_changes
from ddassess.services.vault import Store
from ddassess.ui.person_form import (
    PersonForm,
    ScrolledPersonForm,
    date_of_birth_problem,
    name_problem,
    parse_date,
)

MAX_NAME = limits.MAX_NAME  # the services refuse the same (one declaration, in domain/limits.py)
__all__ = ["NewReferralDialog", "date_of_birth_problem", "name_problem", "parse_date"]


class NewReferralDialog(QDialog):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.case_id: int | None = None
        self.existing: Person | None = None
        self.setWindowTitle("New referral")
        self.setMinimumWidth(720)
        self.person_form = PersonForm()
        pf = self.person_form
        self.given, self.family, self.dob, self.nhs = pf.given, pf.family, pf.dob, pf.nhs
        self.problems = pf.problems
        self.scroller = ScrolledPersonForm(pf)
        form = QVBoxLayout(self)
        form.addWidget(self.scroller, 1)
        self.duplicate = QLabel()
        self.duplicate.setWordWrap(True)
        # The whole warning, on as many lines as it takes (a fixed height clipped it).
        self.duplicate.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.duplicate.setAccessibleName("Already in the store")
        self.use_existing = QPushButton("Open a new case for this person")
        self.different_person = QPushButton("No, this is a different person")
        dup_buttons = QHBoxLayout()
        dup_buttons.addWidget(self.use_existing)
        dup_buttons.addWidget(self.different_person)
        dup_buttons.addStretch()
        self.duplicate_box = QWidget()
        dup_column = QVBoxLayout(self.duplicate_box)
        dup_column.setContentsMargins(0, 0, 0, 0)
        dup_column.addWidget(self.duplicate)
        dup_column.addLayout(dup_buttons)
        self.duplicate_box.hide()
        form.addWidget(self.duplicate_box)
        note = QLabel("Only the names are required; add what else is known now, or later with "
                      "\u201cEdit person\u2026\u201d. The referral form itself (source, reason, urgency) opens next.")
        note.setWordWrap(True)
        form.addWidget(note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create referral")
        form.addWidget(self.buttons)
        self.buttons.accepted.connect(self.create_case)
        self.buttons.rejected.connect(self.reject)
        self.use_existing.clicked.connect(self._open_for_existing)
        self.different_person.clicked.connect(lambda: self._register())
        for w in self.problems:
            w.textChanged.connect(self._fit)
        for w in (self.given, self.family, self.dob, self.nhs):
            w.textChanged.connect(self._forget_duplicate)

    # checks -------------------------------------------------------------------------

    def _say(self, w: QLineEdit, message: str) -> None:
        self.person_form.say(w, message)
        self._fit()

    def _fit(self) -> None:
        """Grow to show every wrapped message in full (a window does not do so by itself); on a
        screen too small for that, the boxes scroll and the buttons stay in view."""
        self.scroller.fit(self)
        layout = self.layout()
        assert layout is not None
        width = self.width()
        needed = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else self.sizeHint().height()
        screen = self.screen().availableGeometry().height() if self.screen() is not None else 10_000
        if self.height() < needed <= screen:
            self.resize(width, needed)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._fit()

    def _check(self) -> bool:
        """Check every box now; True when nothing is wrong."""
        ok = self.person_form.check()
        self._fit()
        return ok

    def _forget_duplicate(self) -> None:
        self.existing = None
        self.duplicate_box.hide()

    # creating -----------------------------------------------------------------------

    def create_case(self) -> None:
        ok = self.person_form.check_required()
        self._fit()
        if not ok:
            return
        nhs = re.sub(r"\s", "", self.nhs.text()) or None
        dob = parse_date(self.dob.text())
        existing = case_changes.find_person_by_nhs(self.store, nhs) if nhs else None
        same_number = existing is not None
        if existing is None and dob:
            name = f"{self.given.text().strip()} {self.family.text().strip()}"
            existing = next((p for p in case_changes.search_people(self.store, name) if p.date_of_birth == dob), None)
        if existing is None:
            self._register()
            return
        self.existing = existing
        born = existing.date_of_birth.strftime("%d %b %Y") if existing.date_of_birth else "date of birth unknown"
        number = f"NHS {format_nhs_number(existing.nhs_number)}" if existing.nhs_number else "no NHS number"
        why = "has this NHS number" if same_number else "has the same name and date of birth"
        self.duplicate.setText(f"<b>Already in the store:</b> {existing.display_name} ({born}, {number}) {why}. "
                               "Open a new case for them instead of adding them again?")
        self.different_person.setVisible(not same_number)
        self.duplicate_box.show()
        self._fit()
        self.use_existing.setFocus()

    def _open_for_existing(self) -> None:
        if self.existing is not None:
            self.case_id = case_changes.open_case(self.store, self.existing.id).id
            self.accept()

    def _register(self) -> None:
        try:
            person = case_changes.register_person(self.store, self.person_form.details())
        except InvalidInputError as exc:
            self._say(self.given, str(exc))
            return
        self.case_id = case_changes.open_case(self.store, person.id).id
        self.accept()
