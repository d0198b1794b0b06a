"""New referral: the person (NHS number checked as typed), and a case at the referral step.

A person already in the store (same NHS number, or same name and date of birth) is
offered instead of making a duplicate.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from ddassess.domain.models import PersonDetails
from ddassess.domain.nhs import nhs_number_problem
from ddassess.errors import InvalidInputError
from ddassess.services import cases
from ddassess.services.vault import Store
from ddassess.ui.widgets import problem_label


def parse_date(text: str) -> dt.date | None:
    text = text.strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


class NewReferralDialog(QDialog):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.case_id: int | None = None
        self.setWindowTitle("New referral")
        form = QFormLayout(self)
        self.given = QLineEdit()
        self.family = QLineEdit()
        self.dob = QLineEdit()
        self.dob.setPlaceholderText("DD/MM/YYYY")
        self.nhs = QLineEdit()
        self.nhs.setPlaceholderText("e.g. 943 476 5919")
        self.problems = {w: problem_label() for w in (self.given, self.dob, self.nhs)}
        for label, w in (("Given name", self.given), ("Family name", self.family), ("Date of birth", self.dob),
                         ("NHS number", self.nhs)):
            w.setAccessibleName(label)
            form.addRow(label, w)
            if w in self.problems:
                form.addRow("", self.problems[w])
        note = QLabel("The referral form itself (source, reason, urgency) opens next.")
        note.setWordWrap(True)
        form.addRow(note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create referral")
        form.addRow(self.buttons)
        self.buttons.accepted.connect(self.create)
        self.buttons.rejected.connect(self.reject)
        self.nhs.textChanged.connect(self._check_nhs)
        self.dob.textChanged.connect(self._check_dob)

    def _check_nhs(self) -> None:
        text = self.nhs.text()
        self.problems[self.nhs].setText((nhs_number_problem(text) or "") if text.strip() else "")

    def _check_dob(self) -> None:
        text = self.dob.text().strip()
        d = parse_date(text)
        msg = ""
        if text and d is None:
            msg = "Not a date: write it as day/month/year, e.g. 02/03/1984."
        elif d and d > dt.date.today():
            msg = "The date of birth is in the future: check the year."
        self.problems[self.dob].setText(msg)

    def create(self) -> None:
        self._check_nhs()
        self._check_dob()
        if not (self.given.text().strip() and self.family.text().strip()):
            self.problems[self.given].setText("Enter both the given name and the family name.")
            return
        if any(label.text() for label in self.problems.values()):
            return
        nhs = self.nhs.text().strip() or None
        dob = parse_date(self.dob.text())
        existing = cases.find_person_by_nhs(self.store, nhs) if nhs else None
        if existing is None and dob:
            existing = next((p for p in cases.search_people(self.store, f"{self.given.text()} {self.family.text()}")
                             if p.date_of_birth == dob), None)
        if existing is not None:
            answer = QMessageBox.question(
                self, "Already known", f"{existing.display_name} (born {existing.date_of_birth or 'unknown'}) is "
                "already in the store. Open a new case for them instead of adding them again?")
            if answer != QMessageBox.StandardButton.Yes:
                return
            person_id = existing.id
        else:
            try:
                person_id = cases.register_person(self.store, PersonDetails(
                    self.given.text(), self.family.text(), dob, nhs)).id
            except InvalidInputError as exc:
                self.problems[self.given].setText(str(exc))
                return
        self.case_id = cases.open_case(self.store, person_id).id
        self.accept()
