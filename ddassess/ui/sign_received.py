"""Sign a care plan PDF received from a colleague (the partner's or team lead's countersignature).

The dialog shows every signature already on the plan (the same report as "Verify a care
plan…"), offers only the blocks still unsigned, and refuses to sign when an earlier
signature fails the check. The signed copy is written atomically to a file the user
chooses; the received file is left as it came.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddassess.domain.careplan import SIGNER_ROLE_LABELS
from ddassess.errors import UserFacingError
from ddassess.services.careplan_files import countersign
from ddassess.services.signing import load_identity, trusted_roots, verify_file
from ddassess.services.vault import Store
from ddassess.ui.careplan_actions import DIGITAL_ROLES, report_lines
from ddassess.ui.export_path import choose_export_path
from ddassess.ui.signing_setup import certificate_for_signing


class SignReceivedDialog(QDialog):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.source: Path | None = None
        self.written: Path | None = None
        self.setWindowTitle("Sign a received care plan")
        self.resize(680, 520)
        layout = QVBoxLayout(self)
        self.choose_button = QPushButton("&Choose the care plan PDF…")
        self.choose_button.setAccessibleName("Choose the care plan PDF")
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setAccessibleName("Signatures already on the plan")
        form = QFormLayout()
        self.role = QComboBox()
        self.role.setAccessibleName("Sign as")
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Signing passphrase")
        form.addRow("Sign &as:", self.role)
        form.addRow("Signing &passphrase:", self.passphrase)
        self.sign_button = QPushButton("&Sign and save as…")
        self.sign_button.setAccessibleName("Sign and save as")
        self.status = QLabel("Choose the PDF you received.")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Status")
        for w in (self.choose_button, self.report):
            layout.addWidget(w)
        layout.addLayout(form)
        layout.addWidget(self.sign_button)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)  # Close, and Escape
        layout.addWidget(self.buttons)
        self.choose_button.clicked.connect(self.choose)
        self.sign_button.clicked.connect(self.sign)
        self._set_signable(False)

    def _set_signable(self, ok: bool) -> None:
        for w in (self.role, self.passphrase, self.sign_button):
            w.setEnabled(ok)

    def choose(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Care plan to sign", "", "PDF (*.pdf)")
        if name:
            self.load(Path(name))

    def load(self, path: Path) -> None:
        self.source, self.written = None, None
        self.role.clear()
        self._set_signable(False)
        try:
            check = verify_file(path, trusted_roots(self.store))
        except UserFacingError as exc:
            self.report.setPlainText(str(exc))
            self.status.setText("This file cannot be signed here: choose the care plan PDF you received.")
            return
        self.report.setPlainText("\n".join(report_lines(check)))
        if not check.ok:
            self.status.setText(f"Not signed: {check.headline}. Ask the sender for the original plan.")
            return
        done = {r.field for r in check.reports}
        free = [r for r in check.blocks or DIGITAL_ROLES if r in DIGITAL_ROLES and r not in done]
        if not free:
            self.status.setText("Every signature block of this plan is already signed.")
            return
        # No certificate: offer to set one up before a role and a passphrase are asked for.
        if certificate_for_signing(self, self.store) != "sign":
            self.status.setText("Not signed: you have no signing certificate yet. Set one up (File → Signing "
                                "set-up…), then choose the plan again.")
            return
        for role in free:
            self.role.addItem(SIGNER_ROLE_LABELS[role], role)
        self.source = path
        self._set_signable(True)
        self.status.setText("Choose your role, type your signing passphrase, then Sign and save as…")
        self.passphrase.setFocus()

    def sign(self) -> None:
        if self.source is None:
            return
        role = self.role.currentData()
        path = choose_export_path(self, self.store, "Save the signed plan", self.source.stem + f"-signed-{role}.pdf",
                                  default_folder=self.source.parent)
        if path is None:
            return
        name = str(path)
        try:
            identity = load_identity(self.store, self.passphrase.text())
            self.written = countersign(self.store, self.source, identity, role, out=Path(name))
        except UserFacingError as exc:
            self.status.setText(f"Not signed: {exc}")
            return
        finally:
            self.passphrase.clear()
        self._set_signable(False)
        self.status.setText(f"Signed as {SIGNER_ROLE_LABELS[role].lower()} and saved to {name}.")
