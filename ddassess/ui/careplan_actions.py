"""The care plan from the case page: save it as PDF (signed if wanted), print it, and
check a care plan PDF someone sent. Nothing is written except the file the user chooses."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
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

from ddassess.errors import UserFacingError
from ddassess.formengine import Catalogue
from ddassess.services.careplans import build_care_plan, export_care_plan, render_for_print
from ddassess.services.signing import load_identity, trusted_roots, verify_file
from ddassess.services.vault import Store
from ddassess.ui.errors import show_error


def save_plan(parent: QWidget, store: Store, catalogue: Catalogue, case_id: int) -> Path | None:
    try:
        plan = build_care_plan(store, catalogue, case_id)
    except UserFacingError as exc:
        show_error(parent, exc)
        return None
    name, _ = QFileDialog.getSaveFileName(parent, "Save the joint care plan", f"{plan.plan_id}-v{plan.version}.pdf",
                                          "PDF (*.pdf)")
    if not name:
        return None
    identity = None
    if QMessageBox.question(parent, "Sign the plan?", "Sign this version with your signing certificate? "
                            "A signed version is frozen; later changes make a new version.") == \
            QMessageBox.StandardButton.Yes:
        secret, ok = QInputDialog.getText(parent, "Signing passphrase", "Your signing passphrase:",
                                          QLineEdit.EchoMode.Password)
        if not ok:
            return None
        try:
            identity = load_identity(store, secret)
        except UserFacingError as exc:
            show_error(parent, exc)
            return None
    try:
        export_care_plan(store, catalogue, case_id, Path(name), identity)
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


def _draw_plan(painter: QPainter, printer, store: Store, catalogue: Catalogue, case_id: int,  # type: ignore[no-untyped-def]
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


def _start(printer) -> QPainter:  # type: ignore[no-untyped-def]
    painter = QPainter()
    if not painter.begin(printer):
        raise UserFacingError("The printer could not be started.", hint="Check the printer and try again.")
    return painter


def print_plan_to(printer, store: Store, catalogue: Catalogue, case_id: int) -> int:  # type: ignore[no-untyped-def]
    """Draw each page of the plan's PDF onto a QPrinter; returns the number of pages."""
    painter = _start(printer)
    try:
        return _draw_plan(painter, printer, store, catalogue, case_id, first=True)
    finally:
        painter.end()


def print_many_to(printer, store: Store, catalogue: Catalogue, case_ids: list[int],  # type: ignore[no-untyped-def]
                  progress: QProgressDialog) -> tuple[int, list[int]]:
    """Print the current plans of several cases as one job, with progress and Cancel.
    Returns (plans printed, cases skipped because they have no plan yet)."""
    from ddassess.errors import RecordNotFound

    progress.setRange(0, len(case_ids))
    painter = _start(printer)
    printed, skipped = 0, []
    try:
        for i, case_id in enumerate(case_ids):
            if progress.wasCanceled():
                break
            progress.setValue(i)
            QApplication.processEvents()
            try:
                _draw_plan(painter, printer, store, catalogue, case_id, first=printed == 0)
                printed += 1
            except RecordNotFound:
                skipped.append(case_id)
        progress.setValue(len(case_ids))
    finally:
        painter.end()
    return printed, skipped


def print_plan(parent: QWidget, store: Store, catalogue: Catalogue, case_id: int) -> None:
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if QPrintDialog(printer, parent).exec():
        try:
            print_plan_to(printer, store, catalogue, case_id)
        except UserFacingError as exc:
            show_error(parent, exc)


def print_many(parent: QWidget, store: Store, catalogue: Catalogue, case_ids: list[int]) -> None:
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    if not case_ids:
        QMessageBox.information(parent, "Print care plans", "Select the cases in the list first.")
        return
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if not QPrintDialog(printer, parent).exec():
        return
    progress = QProgressDialog("Printing care plans…", "Cancel", 0, len(case_ids), parent)
    progress.setMinimumDuration(0)
    printed, skipped = print_many_to(printer, store, catalogue, case_ids, progress)
    note = f" {len(skipped)} case(s) have no care plan yet." if skipped else ""
    QMessageBox.information(parent, "Print care plans", f"{printed} care plan(s) sent to the printer.{note}")


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
        choose.clicked.connect(self.choose)

    def choose(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Care plan to verify", "", "PDF (*.pdf)")
        if name:
            self.verify(Path(name))

    def verify(self, path: Path) -> None:
        try:
            reports = verify_file(path, trusted_roots(self.store))
        except UserFacingError as exc:
            self.report.setPlainText(str(exc))
            return
        lines = [line for r in reports for line in r.lines()]
        bad = sum(1 for r in reports if not r.ok)
        lines.append("")
        lines.append(f"All {len(reports)} signature(s) are intact, valid and trusted." if not bad else
                     f"{bad} of {len(reports)} signature(s) FAILED: do not rely on this copy.")
        self.report.setPlainText("\n".join(lines))
