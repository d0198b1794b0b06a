"""The care plan from the case page: save it as PDF (signed if wanted, in the role chosen),
print it, check a care plan PDF someone sent, and sign one received from a colleague
(``sign_received_plan``). Nothing is written except the file the user chooses."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddassess.domain.careplan import SIGNER_ROLE_LABELS
from ddassess.errors import UserFacingError
from ddassess.formengine import Catalogue
from ddassess.services.careplan_files import export_care_plan, render_for_print
from ddassess.services.careplans import build_care_plan
from ddassess.services.signing import load_identity, trusted_roots, verify_file
from ddassess.services.vault import Store
from ddassess.ui.errors import show_error
from ddassess.ui.export_path import choose_export_path
from ddassess.ui.signing_setup import certificate_for_signing

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

    from ddassess.pdf.plan_verdict import PlanCheck

log = logging.getLogger(__name__)
DIGITAL_ROLES = ("care_coordinator", "partner", "team_lead")


def choose_role(parent: QWidget, roles: tuple[str, ...] = DIGITAL_ROLES) -> str | None:
    """Ask which signature block the user signs; None when they cancel."""
    labels = [SIGNER_ROLE_LABELS[r] for r in roles]
    label, ok = QInputDialog.getItem(parent, "Sign as", "You sign this plan as:", labels, 0, False)
    return roles[labels.index(label)] if ok and label in labels else None


def _locked(store: Store) -> bool:
    """True when a lock closed the store while a question was up: the question's answer is
    then the lock's doing, not the person's, and the flow stops without a word."""
    return store.closed


def save_plan(parent: QWidget, store: Store, catalogue: Catalogue, case_id: int) -> Path | None:
    try:
        plan = build_care_plan(store, catalogue, case_id)
    except UserFacingError as exc:
        show_error(parent, exc)
        return None
    path = choose_export_path(parent, store, "Save the joint care plan", f"{plan.plan_id}-v{plan.version}.pdf")
    if path is None or _locked(store):
        return None
    name = str(path)
    identity, role = None, "care_coordinator"
    sign = QMessageBox.question(parent, "Sign the plan?", "Sign this version with your signing certificate? "
                                "A signed version is frozen; later changes make a new version.")
    if _locked(store):
        return None
    # No certificate: offer to set one up before asking for a role and a passphrase.
    go = certificate_for_signing(parent, store, unsigned_ok=True) if sign == QMessageBox.StandardButton.Yes \
        else "unsigned"
    if go == "cancel" or _locked(store):
        return None
    if go == "sign":
        chosen = choose_role(parent)
        if chosen is None or _locked(store):
            return None
        role = chosen
        secret, ok = QInputDialog.getText(parent, "Signing passphrase", "Your signing passphrase:",
                                          QLineEdit.EchoMode.Password)
        if not ok or _locked(store):
            return None
        try:
            identity = load_identity(store, secret)
        except UserFacingError as exc:
            show_error(parent, exc)
            return None
    try:
        export_care_plan(store, catalogue, case_id, Path(name), identity, signer_role=role)
    except UserFacingError as exc:
        show_error(parent, exc)
        return None
    box = QMessageBox(QMessageBox.Icon.Information, "Saved", f"The care plan was saved to {name}.", parent=parent)
    open_button = box.addButton("Open it", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    if box.clickedButton() is open_button:
        QDesktopServices.openUrl(QUrl.fromLocalFile(name))
    return Path(name)


def _draw_plan(painter: QPainter, printer: QPrinter, store: Store, catalogue: Catalogue, case_id: int,
               first: bool) -> int:
    pages = 0
    for page in render_for_print(store, catalogue, case_id):
        if not (first and pages == 0):
            printer.newPage()
        image = QImage(page.rgba, page.width, page.height, page.stride, QImage.Format.Format_RGBA8888)
        target = painter.viewport()
        scale = min(target.width() / page.width, target.height() / page.height)
        painter.drawImage(QRectF(0, 0, page.width * scale, page.height * scale), image)
        pages += 1
    return pages


def _start(printer: QPrinter) -> QPainter:
    painter = QPainter()
    if not painter.begin(printer):
        raise UserFacingError("The printer could not be started.", hint="Check the printer and try again.")
    return painter


def print_plan_to(printer: QPrinter, store: Store, catalogue: Catalogue, case_id: int) -> int:
    """Draw each page of the plan's PDF onto a QPrinter; returns the number of pages."""
    painter = _start(printer)
    try:
        return _draw_plan(painter, printer, store, catalogue, case_id, first=True)
    finally:
        painter.end()


@dataclass
class BatchResult:
    printed: int = 0
    skipped: list[int] = field(default_factory=list)  # no care plan yet
    failed: list[tuple[int, str]] = field(default_factory=list)  # (case, what went wrong)
    cancelled: bool = False


def print_many_to(printer: QPrinter, store: Store, catalogue: Catalogue, case_ids: list[int],
                  progress: QProgressDialog) -> BatchResult:
    """Print the current plans of several cases as one job, with progress and Cancel.

    A case that fails is reported and the batch goes on; Cancel, even mid-job, aborts the
    printer job (nothing half-printed is sent; a half-written print-to-file is deleted)."""
    from ddassess.errors import RecordNotFound

    progress.setRange(0, len(case_ids))
    result = BatchResult()
    painter = _start(printer)
    try:
        for i, case_id in enumerate(case_ids):
            progress.setValue(i)
            QApplication.processEvents()
            if progress.wasCanceled():
                result.cancelled = True
                break
            try:
                _draw_plan(painter, printer, store, catalogue, case_id, first=result.printed == 0)
                result.printed += 1
            except RecordNotFound:
                result.skipped.append(case_id)
            except UserFacingError as exc:
                result.failed.append((case_id, str(exc)))
            except Exception as exc:  # noqa: BLE001 - one broken case must not stop the others
                log.exception("printing a care plan failed: %s", exc.__class__.__name__)
                result.failed.append((case_id, f"could not be printed ({exc.__class__.__name__})"))
        if not result.cancelled:
            progress.setValue(len(case_ids))
    finally:
        aborted = printer.abort() if result.cancelled else False
        painter.end()
        if result.cancelled and not aborted and printer.outputFileName():
            # "Print to file" cannot abort: the half-written file is removed instead.
            Path(printer.outputFileName()).unlink(missing_ok=True)
    return result


def print_plan(parent: QWidget, store: Store, catalogue: Catalogue, case_id: int) -> None:
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if QPrintDialog(printer, parent).exec() and not _locked(store):
        try:
            print_plan_to(printer, store, catalogue, case_id)
        except UserFacingError as exc:
            show_error(parent, exc)


def batch_summary(result: BatchResult, refs: dict[int, str]) -> str:
    if result.cancelled:
        return "Printing was cancelled: nothing was sent to the printer."
    lines = [f"{result.printed} care plan(s) sent to the printer."]
    if result.skipped:
        lines.append(f"{len(result.skipped)} case(s) have no care plan yet: "
                     + ", ".join(refs.get(c, str(c)) for c in result.skipped) + ".")
    for case_id, why in result.failed:
        lines.append(f"{refs.get(case_id, str(case_id))} was not printed: {why}")
    return "\n".join(lines)


def print_many(parent: QWidget, store: Store, catalogue: Catalogue, case_ids: list[int]) -> None:
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    from ddassess.services.case_pathway import case_detail

    if not case_ids:
        QMessageBox.information(parent, "Print care plans", "Select the cases in the list first.")
        return
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if not QPrintDialog(printer, parent).exec() or _locked(store):
        return
    progress = QProgressDialog("Printing care plans…", "Cancel", 0, len(case_ids), parent)
    progress.setMinimumDuration(0)
    result = print_many_to(printer, store, catalogue, case_ids, progress)
    refs = {c: case_detail(store, c).ref for c in result.skipped + [c for c, _ in result.failed]}
    QMessageBox.information(parent, "Print care plans", batch_summary(result, refs))


def report_lines(check: PlanCheck) -> list[str]:
    """The verdict, the plan's blocks and every signature's check, as the verify view and the
    signing dialog show them."""
    reports = check.reports
    bad = sum(1 for r in reports if not r.ok)
    return check.lines() + ["", f"All {len(reports)} signature(s) are intact, valid and trusted." if not bad else
                            f"{bad} of {len(reports)} signature(s) FAILED: do not rely on this copy."]


def sign_received_plan(parent: QWidget, store: Store) -> None:
    """File → "Sign a received care plan…": check a colleague's PDF and add your signature."""
    from ddassess.ui.sign_received import SignReceivedDialog

    SignReceivedDialog(store, parent).exec()


class VerifyDialog(QDialog):
    """Check a care plan PDF: every signature, against the authorities this store trusts."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Verify a care plan")
        self.resize(640, 420)
        layout = QVBoxLayout(self)
        choose = QPushButton("Choose a PDF…")
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setAccessibleName("Verification report")
        layout.addWidget(choose)
        layout.addWidget(self.report)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)  # Close, and Escape
        layout.addWidget(self.buttons)
        choose.clicked.connect(self.choose)

    def choose(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Care plan to verify", "", "PDF (*.pdf)")
        if name:
            self.verify(Path(name))

    def verify(self, path: Path) -> None:
        try:
            check = verify_file(path, trusted_roots(self.store))
        except UserFacingError as exc:
            self.report.setPlainText(str(exc))
            return
        self.report.setPlainText("\n".join(report_lines(check)))
