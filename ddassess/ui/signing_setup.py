"""Signing set-up in the client (it was CLI only): the team lead creates the team authority,
a practitioner gets a certificate from it or imports their organisation's .p12 file.

Each action asks for new passphrases twice, shows the result (or what was wrong) in the
dialog, and clears every passphrase box after use. Keys never leave the encrypted store
except inside a .p12 the organisation issued.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddassess.domain.limits import MAX_TEAM_NAME
from ddassess.errors import InvalidInputError, UserFacingError
from ddassess.services import signing
from ddassess.services.vault import Store


def _secret(name: str) -> QLineEdit:
    box = QLineEdit()
    box.setEchoMode(QLineEdit.EchoMode.Password)
    box.setAccessibleName(name)
    return box


class SigningSetupDialog(QDialog):
    """``for_signing``: opened because the practitioner wants to sign now; once they have a
    certificate (issued or imported here) the dialog closes and the signing goes on."""

    def __init__(self, store: Store, parent: QWidget | None = None, *, for_signing: bool = False) -> None:
        super().__init__(parent)
        self.store = store
        self.for_signing = for_signing
        self.setWindowTitle("Signing set-up")
        layout = QVBoxLayout(self)
        if for_signing:
            why = QLabel("<b>You need a signing certificate to sign.</b> Get one from your team authority below "
                         "(the team lead creates the authority once), or import your organisation's certificate. "
                         "Signing goes on as soon as you have one.")
            why.setWordWrap(True)
            layout.addWidget(why)

        team = QGroupBox("Team authority (the team lead, once)")
        f = QFormLayout(team)
        self.team_name = QLineEdit()
        self.team_name.setAccessibleName("Team name")
        self.team_name.setMaxLength(MAX_TEAM_NAME)  # what create_team_authority takes
        self.ca_new, self.ca_new_again = _secret("Authority passphrase"), _secret("Authority passphrase again")
        self.create_button = QPushButton("&Create the team authority")
        f.addRow("Team &name:", self.team_name)
        f.addRow("Authority passphrase:", self.ca_new)
        f.addRow("Again:", self.ca_new_again)
        f.addRow(self.create_button)

        issue = QGroupBox("My signing certificate from the team authority")
        f = QFormLayout(issue)
        self.ca_pass = _secret("Team authority passphrase")
        self.sign_new, self.sign_new_again = _secret("New signing passphrase"), _secret("New signing passphrase again")
        self.issue_button = QPushButton("&Issue my certificate")
        f.addRow("Authority passphrase:", self.ca_pass)
        f.addRow("My signing passphrase:", self.sign_new)
        f.addRow("Again:", self.sign_new_again)
        f.addRow(self.issue_button)

        imp = QGroupBox("Or my organisation's certificate (.p12 / .pfx)")
        f = QFormLayout(imp)
        self.p12_password = _secret("Certificate file password")
        self.imp_new, self.imp_new_again = _secret("Signing passphrase for it"), _secret("Signing passphrase again")
        self.import_button = QPushButton("Choose the file and i&mport…")
        f.addRow("File password:", self.p12_password)
        f.addRow("My signing passphrase:", self.imp_new)
        f.addRow("Again:", self.imp_new_again)
        f.addRow(self.import_button)

        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Status")
        for w in (team, issue, imp, self.status):
            layout.addWidget(w)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)  # Close, and Escape
        layout.addWidget(self.buttons)
        self.create_button.clicked.connect(self.create_authority)
        self.issue_button.clicked.connect(self.issue)
        self.import_button.clicked.connect(self.import_p12)

    def _run(self, boxes: tuple[QLineEdit, ...], action: Callable[[], str]) -> None:
        try:
            self.status.setText(action())
        except UserFacingError as exc:
            self.status.setText(f"Not done: {exc}")
            return
        finally:
            for box in boxes:
                box.clear()
        if self.for_signing and signing.has_signing_certificate(self.store):
            self.accept()  # the certificate the signing waited for is here: go on signing

    @staticmethod
    def _twice(first: QLineEdit, second: QLineEdit) -> str:
        if first.text() != second.text():
            raise InvalidInputError("The two passphrases differ.", hint="Type the same passphrase in both boxes.")
        return first.text()

    def create_authority(self) -> None:
        def act() -> str:
            fp = signing.create_team_authority(self.store, self.team_name.text(),
                                               self._twice(self.ca_new, self.ca_new_again))
            return f"The team authority was created (fingerprint {fp[:16]}…). Keep its passphrase safe."
        self._run((self.ca_new, self.ca_new_again), act)

    def issue(self) -> None:
        def act() -> str:
            signing.issue_identity(self.store, self.ca_pass.text(), self._twice(self.sign_new, self.sign_new_again))
            return "Your signing certificate was issued: you can now sign care plans."
        self._run((self.ca_pass, self.sign_new, self.sign_new_again), act)

    def import_p12(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Your certificate file", "", "Certificates (*.p12 *.pfx)")
        if not name:
            return

        def act() -> str:
            try:
                data = Path(name).read_bytes()
            except OSError as exc:
                raise InvalidInputError(f"{name} cannot be read ({exc.strerror or exc.__class__.__name__}).") from None
            signing.import_identity(self.store, data, self.p12_password.text(),
                                    self._twice(self.imp_new, self.imp_new_again))
            return "Your organisation's certificate was imported: you can now sign care plans."
        self._run((self.p12_password, self.imp_new, self.imp_new_again), act)


def open_signing_setup(parent: QWidget, store: Store) -> None:
    """File → "Signing set-up…"."""
    SigningSetupDialog(store, parent).exec()


Go = Literal["sign", "unsigned", "cancel"]


def certificate_for_signing(parent: QWidget, store: Store, *, unsigned_ok: bool = False) -> Go:
    """Asked before a role or a signing passphrase is: is there a certificate to sign with?
    "sign" if there is (already, or set up now in the signing set-up); when there is none,
    "unsigned" if the practitioner chose to go on without signing (offered only when
    ``unsigned_ok``), "cancel" if they cancelled (or a lock closed the store meanwhile)."""
    note = ""
    while not signing.has_signing_certificate(store):
        box = QMessageBox(QMessageBox.Icon.Information, "No signing certificate",
                          f"{note}You have no signing certificate yet, so you cannot sign. Set one up now? "
                          "It takes a minute; then signing goes on.", parent=parent)
        setup = box.addButton("Set up signing…", QMessageBox.ButtonRole.AcceptRole)
        unsigned = box.addButton("Save unsigned", QMessageBox.ButtonRole.ActionRole) if unsigned_ok else None
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(setup)
        box.exec()
        if store.closed:
            return "cancel"  # locked while the question was up
        clicked = box.clickedButton()
        if unsigned is not None and clicked is unsigned:
            return "unsigned"
        if clicked is not setup:
            return "cancel"
        SigningSetupDialog(store, parent, for_signing=True).exec()
        if store.closed:
            return "cancel"
        note = "Still no signing certificate. "
    return "sign"
