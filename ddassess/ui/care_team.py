"""The case page's care team: who the case is shared with, in what role, from which service
and why they may see it; "Add to care team…" and "Remove…" (services.care_team).

The add dialog lists the team's practitioners known on this laptop, asks the role, and says
at once whether the case's consent allows sharing with the chosen practitioner's service.
When it does not, it asks for a lawful basis for sharing without consent and its reason
(offering the one the consent form records, if any); a refusal is shown in words beside the
buttons and the dialog stays open with what was typed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddassess.errors import SharingRefusedError, UserFacingError
from ddassess.formengine import Catalogue
from ddassess.services.care_team import (
    BASES,
    LAWFUL_BASES,
    ROLES,
    Member,
    candidates,
    care_team,
    remove_from_case,
    share_case,
    sharing_check,
)
from ddassess.services.vault import Store
from ddassess.ui.changes import Change, announce

ALLOWED_STYLE = "QLabel { color: #1B5E20; }"
REFUSED_STYLE = "QLabel { color: #8A4B00; }"
PROBLEM_STYLE = "QLabel { color: #B00020; font-weight: bold; }"


def member_text(m: Member) -> str:
    """Two lines: who and their role; their service and why they may see the case."""
    service = m.practitioner.agency or "service not recorded"
    return f"{m.practitioner.name} — {m.role_words}\n{service} · {m.basis_words}"


class CareTeamPanel(QWidget):
    """The care team of one case, with its two buttons; shown under the case's forms."""

    def __init__(self, store: Store, catalogue: Catalogue, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.catalogue, self.case_id = store, catalogue, case_id
        self.dialog: QDialog | None = None  # the add or remove dialog while it is open
        self.members = QListWidget()
        self.members.setAccessibleName("Care team of this case")
        self.members.setWordWrap(True)
        self.members.setSpacing(3)
        self.members.setAlternatingRowColors(True)  # two lines a member: where one ends shows
        self.add_button = QPushButton("Add to care team…")
        self.add_button.setToolTip("Share this case with a practitioner of the team")
        self.remove_button = QPushButton("Remove…")
        self.remove_button.setAccessibleName("Remove from care team…")
        self.remove_button.setToolTip("Stop sharing this case with someone in its care team")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Care team"))
        layout.addWidget(self.members)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.add_member)
        self.remove_button.clicked.connect(self.remove_member)
        self.reload()

    def reload(self) -> None:
        self.team = care_team(self.store, self.case_id)
        self.members.clear()
        for m in self.team:
            item = QListWidgetItem(member_text(m))
            item.setToolTip(m.describe() + f"\nAdded by {m.added_by} on {m.added_at.astimezone():%d %b %Y %H:%M}")
            item.setData(Qt.ItemDataRole.UserRole, m.practitioner.uuid)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, m.describe())
            self.members.addItem(item)
        self.remove_button.setEnabled(len(self.team) > 1)

    def _run(self, dialog: QDialog) -> None:
        self.dialog = dialog
        try:
            changed = dialog.exec() == QDialog.DialogCode.Accepted
        finally:
            self.dialog = None
        if changed and not self.store.closed:
            announce(Change.CASES, self.case_id, initiator=self)  # the case page reloads, this panel with it
            self.reload()

    def add_member(self) -> None:
        """"Add to care team…"."""
        self._run(ShareDialog(self.store, self.catalogue, self.case_id, self))

    def remove_member(self) -> None:
        """"Remove…": the member selected in the list is offered first."""
        item = self.members.currentItem()
        chosen = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        self._run(RemoveDialog(self.store, self.case_id, self.team, chosen, self))


def _problem_label() -> QLabel:
    label = QLabel()
    label.setAccessibleName("Problem")
    label.setStyleSheet(PROBLEM_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


class ShareDialog(QDialog):
    def __init__(self, store: Store, catalogue: Catalogue, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.catalogue, self.case_id = store, catalogue, case_id
        self.added: Member | None = None
        self.setWindowTitle("Add to care team")
        self.setMinimumWidth(560)
        intro = QLabel("The practitioners in a case's care team receive the case and its forms. Choose a "
                       "practitioner of the team and their role.")
        intro.setWordWrap(True)
        self.practitioner = QComboBox()
        self.practitioner.setAccessibleName("Practitioner")
        for p in candidates(store, case_id):
            self.practitioner.addItem(p.describe(), p.uuid)
        self.role = QComboBox()
        self.role.setAccessibleName("Role in the care team")
        for key, words in ROLES.items():
            self.role.addItem(words[:1].upper() + words[1:], key)
        self.role.setCurrentIndex(self.role.findData("member"))
        self.consent = QLabel()
        self.consent.setAccessibleName("What consent allows")
        self.consent.setWordWrap(True)
        self.basis = QComboBox()
        self.basis.setAccessibleName("Basis for sharing without consent")
        self.basis.addItem("Choose a basis…", None)
        for key in LAWFUL_BASES:
            words = BASES[key].removeprefix("without consent: ")
            self.basis.addItem(words[:1].upper() + words[1:], key)
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason for sharing without consent")
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("What the risk or concern is, and who authorised sharing (a manager, the "
                                       "Caldicott Guardian): kept with the care team")
        self.reason.setMaximumHeight(90)
        self.without = QWidget()
        without = QFormLayout(self.without)
        without.setContentsMargins(0, 0, 0, 0)
        without.addRow("&Without consent:", self.basis)
        without.addRow("R&eason:", self.reason)
        self.problem = _problem_label()
        form = QFormLayout()
        form.addRow("&Practitioner:", self.practitioner)
        form.addRow("&Role:", self.role)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Add to care team")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(intro)
        column.addLayout(form)
        column.addWidget(self.consent)
        column.addWidget(self.without)
        column.addWidget(self.problem)
        column.addWidget(self.buttons)
        self.practitioner.currentIndexChanged.connect(self._chosen)
        self._chosen()
        self.practitioner.setFocus()

    def _chosen(self) -> None:
        """Say at once what consent allows for the chosen practitioner's service."""
        self.problem.hide()
        uuid = self.practitioner.currentData()
        if uuid is None:
            self.consent.setText("Everyone of the team known on this laptop is in this care team already. "
                                 "Colleagues from other laptops appear here once they have joined the team.")
            self.consent.setStyleSheet("")
            self.without.hide()
            self.ok.setEnabled(False)
            return
        check = sharing_check(self.store, self.catalogue, self.case_id, uuid)
        self.check = check
        self.consent.setText(check.words)
        self.consent.setStyleSheet(ALLOWED_STYLE if check.allowed else REFUSED_STYLE)
        self.without.setVisible(not check.allowed)
        if not check.allowed:  # the consent form's own basis is offered, never chosen without the person seeing it
            self.basis.setCurrentIndex(max(0, self.basis.findData(check.form_basis)))
            self.reason.setPlainText(check.form_reason if check.form_basis else "")
        self.adjustSize()

    def accept(self) -> None:
        uuid = self.practitioner.currentData()
        if uuid is None:
            return
        basis = None if self.check.allowed else self.basis.currentData()
        reason = self.reason.toPlainText() if basis is not None else ""
        try:
            self.added = share_case(self.store, self.catalogue, self.case_id, uuid, self.role.currentData(),
                                    basis, reason)
        except SharingRefusedError:  # what consent lacks is said above it: this says what to do
            self.problem.setText("Not shared: consent does not allow sharing with this practitioner's service (see "
                                 "above). To share without consent, choose the basis and give the reason.")
            self.problem.show()
            self.basis.setFocus()
            return
        except UserFacingError as exc:  # said here, in words; what was chosen and typed stays
            self.problem.setText(str(exc))
            self.problem.show()
            self.reason.setFocus()
            return
        super().accept()


class RemoveDialog(QDialog):
    def __init__(self, store: Store, case_id: int, team: list[Member], chosen: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.case_id = store, case_id
        self.setWindowTitle("Remove from care team")
        intro = QLabel("A practitioner taken out of the care team receives nothing of this case from now on; what "
                       "they already have stays with them.")
        intro.setWordWrap(True)
        self.member = QComboBox()
        self.member.setAccessibleName("Practitioner to remove")
        for m in team:
            self.member.addItem(f"{m.practitioner.name} — {m.role_words}", m.practitioner.uuid)
        self.member.setCurrentIndex(max(0, self.member.findData(chosen)))
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason for removing")
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("Why (optional): kept in the case's record")
        self.reason.setMaximumHeight(90)
        self.problem = _problem_label()
        form = QFormLayout()
        form.addRow("&Practitioner:", self.member)
        form.addRow("&Reason:", self.reason)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Remove from care team")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(intro)
        column.addLayout(form)
        column.addWidget(self.problem)
        column.addWidget(self.buttons)
        self.member.setFocus()

    def accept(self) -> None:
        try:
            remove_from_case(self.store, self.case_id, self.member.currentData(), self.reason.toPlainText())
        except UserFacingError as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return
        super().accept()
