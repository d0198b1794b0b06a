"""The boxes of a person's details, grouped (who they are; how to reach them; GP and next of
kin; communication), shared by the new referral and "Edit person…", and the edit dialog.

Only the given and family name are required; every other detail is optional. Each box is
checked as it is typed with the services' own rules (``case_changes.person_problems`` and
domain/person.py), its problem shown under it, and nothing typed is ever cleared.
"""

from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ddassess.domain import limits
from ddassess.domain.models import PersonDetails
from ddassess.domain.nhs import format_nhs_number, nhs_number_problem
from ddassess.domain.person import (
    ETHNIC_CATEGORIES,
    email_problem,
    phone_problem,
    postcode_problem,
    unshowable_problem,
)
from ddassess.errors import InvalidInputError
from ddassess.services import case_changes
from ddassess.services.vault import Store
from ddassess.ui.widgets import problem_label

_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
TextBox = QLineEdit | QPlainTextEdit


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


def text_box_problem(text: str, label: str, limit: int, *, lines: bool = False) -> str:
    """The problem the services would find with one text of a person, shown as it is typed."""
    return limits.text_problem(text, label, limit, lines=lines) or unshowable_problem(text, label) or ""


def name_problem(text: str, what: str) -> str:
    """The problem register_person would find with this name, shown as it is typed."""
    return text_box_problem(text, f"The {what}", limits.MAX_NAME)


def _text(w: TextBox) -> str:
    return w.toPlainText() if isinstance(w, QPlainTextEdit) else w.text()


class PersonForm(QWidget):
    """Every detail of a person in four groups, each box with its problem under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.given, self.family, self.preferred, self.pronouns = QLineEdit(), QLineEdit(), QLineEdit(), QLineEdit()
        self.dob, self.nhs, self.gender = QLineEdit(), QLineEdit(), QLineEdit()
        self.ethnicity = QComboBox()
        self.ethnicity.addItem("Not recorded", "")
        for code, words in ETHNIC_CATEGORIES:
            self.ethnicity.addItem(words, code)
        self.ethnicity.setAccessibleName("Ethnicity (NHS ethnic category)")
        # As wide as its longest category: the form then puts it under its label, whole, not cut off.
        self.ethnicity.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.address = QPlainTextEdit()
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.postcode, self.phone, self.email = QLineEdit(), QLineEdit(), QLineEdit()
        self.gp_practice = QLineEdit()
        self.kin_name, self.kin_relationship, self.kin_phone = QLineEdit(), QLineEdit(), QLineEdit()
        self.communication = QPlainTextEdit()
        self.communication.setTabChangesFocus(True)
        self.communication.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.dob.setPlaceholderText("DD/MM/YYYY")
        self.nhs.setPlaceholderText("e.g. 943 476 5919")
        self.pronouns.setPlaceholderText("e.g. she/her, they/them")
        self.postcode.setPlaceholderText("e.g. LS1 4AP")
        self.phone.setPlaceholderText("e.g. 07700 900123")
        self.kin_phone.setPlaceholderText("e.g. 07700 900456")
        self.email.setPlaceholderText("e.g. name@example.org")
        self.gp_practice.setPlaceholderText("Practice name and town")
        self.communication.setPlaceholderText("Interpreter and language, hearing or sight, easy read, ...")
        self.problems: dict[TextBox, QLabel] = {}
        groups: tuple[tuple[str, tuple[tuple[str, QWidget], ...]], ...] = (
            ("The person", (("Given name (required)", self.given), ("Family name (required)", self.family),
                            ("Preferred name", self.preferred), ("Pronouns", self.pronouns),
                            ("Date of birth", self.dob), ("NHS number", self.nhs), ("Gender", self.gender),
                            ("Ethnicity", self.ethnicity))),
            ("How to reach them", (("Address", self.address), ("Postcode", self.postcode), ("Phone", self.phone),
                                   ("Email", self.email))),
            ("GP and next of kin (emergency contact)", (
                ("GP practice", self.gp_practice), ("Next of kin", self.kin_name),
                ("Relationship", self.kin_relationship), ("Their phone", self.kin_phone))),
            ("Communication", (("Communication needs", self.communication),)),
        )
        left, right = QVBoxLayout(), QVBoxLayout()
        for i, (title, rows) in enumerate(groups):
            box = QGroupBox(title)
            box.setAccessibleName(title)
            form = QFormLayout(box)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            for label, w in rows:
                name = label.removesuffix(" (required)")
                if name == "Next of kin":
                    name = "Next of kin's name"
                elif name in ("Relationship", "Their phone"):
                    name = f"Next of kin's {name.removeprefix('Their ').lower()}"
                if not isinstance(w, QLineEdit | QPlainTextEdit):  # the ethnicity list: no problem to show
                    form.addRow(label, w)
                    continue
                w.setAccessibleName(name)
                problem = problem_label()
                problem.setAccessibleName(f"Problem with {name.lower()}")
                problem.hide()
                self.problems[w] = problem
                cell = QWidget()  # a widget, not a bare layout: the form then gives it its wrapped height
                column = QVBoxLayout(cell)
                column.setContentsMargins(0, 0, 0, 0)
                column.setSpacing(2)
                column.addWidget(w)
                column.addWidget(problem)
                form.addRow(label, cell)
            (left if i == 0 else right).addWidget(box)
        left.addStretch()
        right.addStretch()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(left, 1)
        row.addLayout(right, 1)
        for box_ in self.problems:
            box_.textChanged.connect(self.check)
        order: list[QWidget] = [self.given, self.family, self.preferred, self.pronouns, self.dob, self.nhs,
                                self.gender, self.ethnicity, self.address, self.postcode, self.phone, self.email,
                                self.gp_practice, self.kin_name, self.kin_relationship, self.kin_phone,
                                self.communication]
        for a, b in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(a, b)

    def boxes(self) -> tuple[TextBox, ...]:
        return tuple(self.problems)

    def say(self, w: TextBox, message: str) -> None:
        self.problems[w].setText(message)
        self.problems[w].setVisible(bool(message))

    def check(self) -> bool:
        """Check every box now; True when nothing is wrong (the required names are the caller's rule)."""
        texts = (
            (self.given, name_problem(self.given.text(), "given name")),
            (self.family, name_problem(self.family.text(), "family name")),
            (self.preferred, name_problem(self.preferred.text(), "preferred name")),
            (self.pronouns, text_box_problem(self.pronouns.text(), "The pronouns", limits.MAX_PRONOUNS)),
            (self.dob, date_of_birth_problem(self.dob.text())),
            (self.nhs, (nhs_number_problem(self.nhs.text()) or "") if self.nhs.text().strip() else ""),
            (self.gender, text_box_problem(self.gender.text(), "The gender", limits.MAX_DETAIL)),
            (self.address, text_box_problem(self.address.toPlainText(), "The address", limits.MAX_ADDRESS,
                                            lines=True)),
            (self.postcode, text_box_problem(self.postcode.text(), "The postcode", limits.MAX_POSTCODE)
             or postcode_problem(self.postcode.text()) or ""),
            (self.phone, text_box_problem(self.phone.text(), "The phone number", limits.MAX_DETAIL)
             or phone_problem(self.phone.text()) or ""),
            (self.email, text_box_problem(self.email.text(), "The email address", limits.MAX_DETAIL)
             or email_problem(self.email.text()) or ""),
            (self.gp_practice, text_box_problem(self.gp_practice.text(), "The GP practice", limits.MAX_DETAIL)),
            (self.kin_name, text_box_problem(self.kin_name.text(), "The next of kin's name", limits.MAX_NAME)),
            (self.kin_relationship, text_box_problem(self.kin_relationship.text(), "The next of kin's relationship",
                                                     limits.MAX_DETAIL)),
            (self.kin_phone, text_box_problem(self.kin_phone.text(), "The next of kin's phone number",
                                              limits.MAX_DETAIL)
             or phone_problem(self.kin_phone.text(), "The next of kin's phone number") or ""),
            (self.communication, text_box_problem(self.communication.toPlainText(), "The communication needs",
                                                  limits.MAX_COMMUNICATION, lines=True)),
        )
        for w, message in texts:
            self.say(w, message)
        self.settle()
        return not any(label.text() for label in self.problems.values())

    def settle(self) -> None:
        """Lay the boxes out now, not at the next turn of the event loop: a message that just
        appeared gets its full wrapped height before anyone looks (each group and box has a
        layout of its own, which Qt would otherwise update later)."""
        nested = [w for w in self.findChildren(QWidget) if w.layout() is not None]
        for w in reversed(nested):  # innermost first: their sizes feed the outer ones
            lay = w.layout()
            assert lay is not None
            lay.invalidate()
            lay.activate()
        own = self.layout()
        assert own is not None
        own.activate()
        for w in nested:
            lay = w.layout()
            assert lay is not None
            lay.setGeometry(w.contentsRect())

    def check_required(self) -> bool:
        """``check``, and the two names present."""
        ok = self.check()
        for w, what in ((self.given, "given name"), (self.family, "family name")):
            if not w.text().strip():
                self.say(w, f"Enter the {what}.")
                ok = False
        return ok

    def details(self) -> PersonDetails:
        return PersonDetails(
            self.given.text().strip(), self.family.text().strip(), parse_date(self.dob.text()),
            re.sub(r"\s", "", self.nhs.text()) or None, preferred_name=self.preferred.text(),
            gender=self.gender.text(), address=self.address.toPlainText(), phone=self.phone.text(),
            email=self.email.text(), postcode=self.postcode.text(), gp_practice=self.gp_practice.text(),
            next_of_kin_name=self.kin_name.text(), next_of_kin_relationship=self.kin_relationship.text(),
            next_of_kin_phone=self.kin_phone.text(), ethnicity=str(self.ethnicity.currentData() or ""),
            pronouns=self.pronouns.text(), communication_needs=self.communication.toPlainText())

    def show_details(self, d: PersonDetails) -> None:
        for w, value in ((self.given, d.given_name), (self.family, d.family_name), (self.preferred, d.preferred_name),
                         (self.pronouns, d.pronouns), (self.gender, d.gender), (self.postcode, d.postcode),
                         (self.phone, d.phone), (self.email, d.email), (self.gp_practice, d.gp_practice),
                         (self.kin_name, d.next_of_kin_name), (self.kin_relationship, d.next_of_kin_relationship),
                         (self.kin_phone, d.next_of_kin_phone)):
            w.setText(value)
        self.dob.setText(d.date_of_birth.strftime("%d/%m/%Y") if d.date_of_birth else "")
        self.nhs.setText(format_nhs_number(d.nhs_number) if d.nhs_number else "")
        self.address.setPlainText(d.address)
        self.communication.setPlainText(d.communication_needs)
        self.ethnicity.setCurrentIndex(max(0, self.ethnicity.findData(d.ethnicity)))

    def show_service_problem(self, message: str) -> None:
        """A refusal of the services (one not caught as typed): under the first box, whole."""
        self.say(self.given, message)


class ScrolledPersonForm(QScrollArea):
    """A PersonForm that scrolls when the screen is too small for it (large text, a laptop),
    so no box or message is ever cut off; ``fit`` grows the dialog to show it all when the
    screen has room."""

    def __init__(self, form: PersonForm, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.setWidget(form)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setAccessibleName("The person's details")

    def fit(self, dialog: QDialog) -> None:
        """Grow ``dialog`` (never past the screen) until the whole form shows without scrolling."""
        layout, inner = dialog.layout(), self.form.layout()
        assert layout is not None and inner is not None
        layout.activate()
        inner.activate()  # the form's own layout: not driven by the dialog's
        width = self.viewport().width()
        needed_form = self.form.heightForWidth(width) if self.form.hasHeightForWidth() else -1
        needed_form = max(needed_form, self.form.minimumSizeHint().height())
        extra = needed_form - self.viewport().height()
        screen = dialog.screen().availableGeometry().height() if dialog.screen() is not None else 10_000
        frame = dialog.frameGeometry().height() - dialog.height()
        target = min(dialog.height() + max(extra, 0), screen - frame)
        if target > dialog.height():
            dialog.resize(dialog.width(), target)
            layout.activate()


class EditPersonDialog(QDialog):
    """"Edit person…": the referral's boxes, filled with what is recorded; Save writes the
    changes (audited with their old and new values); nothing is written when none changed."""

    def __init__(self, store: Store, person_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.person_id = store, person_id
        self.saved = False
        self.setWindowTitle("Edit person")
        self.form = PersonForm()
        self.original = case_changes.person_details(store, person_id)
        self.form.show_details(self.original)
        self.form.check()  # a detail recorded before these checks existed is flagged at once
        note = QLabel("Changes are kept in the record's history, with their old and new values. The person's "
                      "cases in other services see the same details.")
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.setMinimumWidth(720)
        self.scroller = ScrolledPersonForm(self.form)
        column = QVBoxLayout(self)
        column.addWidget(self.scroller, 1)
        column.addWidget(note)
        column.addWidget(self.buttons)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        for box in self.form.boxes():
            box.textChanged.connect(lambda: self.scroller.fit(self))
        self.form.given.setFocus(Qt.FocusReason.OtherFocusReason)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.scroller.fit(self)

    def save(self) -> None:
        ok = self.form.check_required()
        self.scroller.fit(self)
        if not ok:
            return
        try:
            case_changes.update_person(self.store, self.person_id, self.form.details())
        except InvalidInputError as exc:
            self.form.show_service_problem(str(exc))
            return
        self.saved = True
        self.accept()
