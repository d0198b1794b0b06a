"""New referral: the person (every entry checked as typed), and a case at the referral step.

A person already in the store (same NHS number, or same name and date of birth) is
shown in the dialog itself, with a button to open a new case for them, so nobody is
added twice; only a name-and-birthday match can still be added as a different person
(two people can share both; they cannot share an NHS number).

Each problem is shown under its own box as it is typed, and nothing typed is cleared.
"""

from __future__ import annotations

import datetime as dt
import re

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddassess.domain import limits
from ddassess.domain.models import Person, PersonDetails
from ddassess.domain.nhs import format_nhs_number, nhs_number_problem
from ddassess.errors import InvalidInputError
from ddassess.services import case_changes
from ddassess.services.vault import Store
from ddassess.ui.widgets import problem_label

MAX_NAME = limits.MAX_NAME  # the services refuse the same (one declaration, in domain/limits.py)
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(text: str) -> dt.date | None:
    """Day/month/year (the UK order, with / . or -) or ISO year-month-day; None if not a real date."""
    text = text.strip()
    m = _ISO.match(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = _DAY_FIRST.match(text)
        if not m:
            return None
        d, mo, y = (int(g) for g in m.groups())
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


def date_of_birth_problem(text: str, today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    text = text.strip()
    if not text:
        return ""
    d = parse_date(text)
    if d is None:
        if _DAY_FIRST.match(text) or _ISO.match(text):
            return f"Not a date: {text} does not exist. Check the day and the month."
        return "Not a date: write it as day/month/year, e.g. 02/03/1984 (or 1984-03-02)."
    if d > today:
        return "The date of birth is in the future: check the year."
    if d.year < 1900:
        return "The date of birth is before 1900: check the year."
    return ""


def name_problem(text: str, what: str) -> str:
    """The problem register_person would find with this name, shown as it is typed."""
    return limits.text_problem(text, f"The {what}", limits.MAX_NAME) or ""


class NewReferralDialog(QDialog):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.case_id: int | None = None
        self.existing: Person | None = None
        self.setWindowTitle("New referral")
        self.setMinimumWidth(480)
        form = QFormLayout(self)
        self.given = QLineEdit()
        self.family = QLineEdit()
        self.dob = QLineEdit()
        self.dob.setPlaceholderText("DD/MM/YYYY")
        self.nhs = QLineEdit()
        self.nhs.setPlaceholderText("e.g. 943 476 5919")
        self.problems = {w: problem_label() for w in (self.given, self.family, self.dob, self.nhs)}
        for label, w in (("Given name", self.given), ("Family name", self.family), ("Date of birth", self.dob),
                         ("NHS number", self.nhs)):
            w.setAccessibleName(label)
            self.problems[w].setAccessibleName(f"Problem with {label.lower()}")
            self.problems[w].hide()
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(w)
            column.addWidget(self.problems[w])
            form.addRow(label, column)
        self.duplicate = QLabel()
        self.duplicate.setWordWrap(True)
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
        form.addRow(self.duplicate_box)
        note = QLabel("The referral form itself (source, reason, urgency) opens next.")
        note.setWordWrap(True)
        form.addRow(note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create referral")
        form.addRow(self.buttons)
        self.buttons.accepted.connect(self.create_case)
        self.buttons.rejected.connect(self.reject)
        self.use_existing.clicked.connect(self._open_for_existing)
        self.different_person.clicked.connect(lambda: self._register())
        for w in self.problems:
            w.textChanged.connect(self._check)
            w.textChanged.connect(self._forget_duplicate)

    # checks -------------------------------------------------------------------------

    def _say(self, w: QLineEdit, message: str) -> None:
        self.problems[w].setText(message)
        self.problems[w].setVisible(bool(message))
        self._fit()

    def _fit(self) -> None:
        """Grow to show every wrapped message in full (a window does not do so by itself)."""
        layout = self.layout()
        assert layout is not None
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else self.sizeHint().height()
        if needed > self.height():
            self.resize(self.width(), needed)

    def _check(self) -> bool:
        """Check every box now; True when nothing is wrong."""
        self._say(self.given, name_problem(self.given.text(), "given name"))
        self._say(self.family, name_problem(self.family.text(), "family name"))
        self._say(self.dob, date_of_birth_problem(self.dob.text()))
        nhs = self.nhs.text()
        self._say(self.nhs, (nhs_number_problem(nhs) or "") if nhs.strip() else "")
        return not any(label.text() for label in self.problems.values())

    def _forget_duplicate(self) -> None:
        self.existing = None
        self.duplicate_box.hide()

    # creating -----------------------------------------------------------------------

    def create_case(self) -> None:
        ok = self._check()
        for w, what in ((self.given, "given name"), (self.family, "family name")):
            if not w.text().strip():
                self._say(w, f"Enter the {what}.")
                ok = False
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
        self.use_existing.setFocus()

    def _open_for_existing(self) -> None:
        if self.existing is not None:
            self.case_id = case_changes.open_case(self.store, self.existing.id).id
            self.accept()

    def _register(self) -> None:
        try:
            person = case_changes.register_person(self.store, PersonDetails(
                self.given.text().strip(), self.family.text().strip(), parse_date(self.dob.text()),
                re.sub(r"\s", "", self.nhs.text()) or None))
        except InvalidInputError as exc:
            self._say(self.given, str(exc))
            return
        self.case_id = case_changes.open_case(self.store, person.id).id
        self.accept()
