"""File → Export… (a case as FHIR R4, a form's responses or the cases as CSV) and File →
Import FHIR… (answers as drafts on the open case, or a whole exported case).

The export dialog says plainly that the file holds personal data outside the encrypted
store, asks why it leaves (the audit trail keeps the reason), and checks the destination can
be written before it does any work. Both run the work off the GUI thread (``ui.ops``); an
import announces the cases it changed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ddassess.formengine import Catalogue
from ddassess.services.interchange import (
    PERSONAL_DATA_WARNING,
    check_writable,
    export_cases_csv,
    export_fhir,
    export_form_csv,
)
from ddassess.services.vault import Store
from ddassess.ui.changes import Change
from ddassess.ui.errors import show_error
from ddassess.ui.export_path import ask_save_path
from ddassess.ui.ops import Op

FHIR, FHIR_DOCUMENT, FORM_CSV, CASES_CSV = "fhir", "fhir_document", "form_csv", "cases_csv"


class ExportDialog(QDialog):
    """Choose what to export, why and where; the export runs when every answer is good."""

    def __init__(self, store: Store, catalogue: Catalogue, case: tuple[int, str] | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.catalogue, self.case = store, catalogue, case
        self.written: Path | None = None
        self.setWindowTitle("Export")
        layout = QVBoxLayout(self)
        warning = QLabel(f"<b>Personal data leaves the encrypted store.</b> {PERSONAL_DATA_WARNING}")
        warning.setWordWrap(True)
        warning.setAccessibleName("Warning: personal data leaves the encrypted store")
        layout.addWidget(warning)
        self.kinds = QButtonGroup(self)
        self.fhir = QRadioButton(f"Case {case[1]} as FHIR R4 (JSON), for another health or care record"
                                 if case else "A case as FHIR R4 (open the case first)")
        self.fhir.setEnabled(case is not None)
        self.fhir_document = QRadioButton(f"Case {case[1]}'s care plan as a FHIR R4 document, filed as one care plan"
                                          if case else "A care plan as a FHIR R4 document (open the case first)")
        self.fhir_document.setEnabled(case is not None)
        self.form_csv = QRadioButton("Every response to one form as CSV (with a codebook), for analysis")
        self.cases_csv = QRadioButton("Every case as CSV (references, stages, dates; no names)")
        for kind, button in ((FHIR, self.fhir), (FHIR_DOCUMENT, self.fhir_document), (FORM_CSV, self.form_csv),
                             (CASES_CSV, self.cases_csv)):
            button.setProperty("kind", kind)
            self.kinds.addButton(button)
            layout.addWidget(button)
        (self.fhir if case else self.form_csv).setChecked(True)
        form = QFormLayout()
        self.form_choice = QComboBox()
        self.form_choice.setAccessibleName("Form to export")
        for spec in sorted(catalogue.forms.values(), key=lambda s: s.title):
            self.form_choice.addItem(spec.title, spec.id)
        form.addRow("&Form:", self.form_choice)
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Why the data leaves the store")
        self.reason.setPlaceholderText("e.g. referral to the GP practice; service evaluation")
        form.addRow("&Why:", self.reason)
        where = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setAccessibleName("File to write")
        self.choose = QPushButton("&Choose…")
        self.choose.clicked.connect(self._choose)
        where.addWidget(self.path)
        where.addWidget(self.choose)
        label = QLabel("&Save as:")
        label.setBuddy(self.path)
        form.addRow(label, where)
        layout.addLayout(form)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020;")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.go = buttons.addButton("&Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._export)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.kinds.buttonToggled.connect(lambda *_: self._follow())
        self._follow()

    def kind(self) -> str:
        button = self.kinds.checkedButton()
        return str(button.property("kind")) if button is not None else FORM_CSV

    def _follow(self) -> None:
        self.form_choice.setEnabled(self.kind() == FORM_CSV)
        self.problem.setText("")

    def _suggested_name(self) -> str:
        if self.kind() == FHIR and self.case:
            return f"{self.case[1]}.json"
        if self.kind() == FHIR_DOCUMENT and self.case:
            return f"{self.case[1]}-care-plan.json"
        return f"{self.form_choice.currentData()}.csv" if self.kind() == FORM_CSV else "cases.csv"

    def _choose(self) -> None:
        fhir = self.kind() in (FHIR, FHIR_DOCUMENT)
        path = ask_save_path(self, self.store, "Export", self._suggested_name(),
                             "FHIR JSON (*.json)" if fhir else "CSV (*.csv)")
        if path is not None:
            self.path.setText(str(path))

    def _export(self) -> None:
        """Check every answer (reason, destination) before any work; then export off the GUI thread."""
        suffix = ".json" if self.kind() in (FHIR, FHIR_DOCUMENT) else ".csv"
        reason, text = self.reason.text().strip(), self.path.text().strip()
        if not reason:
            self.problem.setText("Say why the data leaves the store: the reason is kept in the audit trail.")
            self.reason.setFocus()
            return
        if not text:
            self.problem.setText("Choose where to save the file.")
            self.choose.setFocus()
            return
        out = Path(text).expanduser()
        if out.suffix == "":
            out = out.with_suffix(suffix)
        try:
            check_writable(out, suffix)
        except Exception as exc:  # noqa: BLE001 - shown beside the field, the dialog stays open
            self.problem.setText(str(exc))
            return
        store, catalogue, kind, form_id = self.store, self.catalogue, self.kind(), self.form_choice.currentData()
        case = self.case
        self.go.setEnabled(False)

        def work() -> Path:
            if kind in (FHIR, FHIR_DOCUMENT) and case is not None:
                export_fhir(store, catalogue, case[0], out, reason, document=kind == FHIR_DOCUMENT)
            elif kind == FORM_CSV:
                export_form_csv(store, catalogue, str(form_id), out, reason)
            else:
                export_cases_csv(store, out, reason)
            return out

        def done(path: Path) -> None:
            self.written = path
            self.accept()

        def failed(exc: Exception) -> None:
            self.go.setEnabled(True)
            show_error(self, exc)

        Op(self, work).success(done).failure(failed).run()


class ImportDialog(QDialog):
    """Import FHIR: the answers in a file as drafts on the open case, or a whole exported case."""

    def __init__(self, store: Store, catalogue: Catalogue, case: tuple[int, str] | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtWidgets import QFileDialog

        self._file_dialog = QFileDialog
        self.store, self.catalogue, self.case = store, catalogue, case
        self.imported: str | None = None
        self.setWindowTitle("Import FHIR")
        layout = QVBoxLayout(self)
        self.onto_case = QRadioButton(f"The answers in the file, as drafts on case {case[1]}" if case else
                                      "The answers in the file, as drafts on a case (open the case first)")
        self.onto_case.setEnabled(case is not None)
        self.whole = QRadioButton("A whole case exported from ddassess, as the same case")
        (self.onto_case if case else self.whole).setChecked(True)
        layout.addWidget(self.onto_case)
        layout.addWidget(self.whole)
        form = QFormLayout()
        where = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setAccessibleName("FHIR file to import")
        choose = QPushButton("&Choose…")
        choose.clicked.connect(self._choose)
        where.addWidget(self.path)
        where.addWidget(choose)
        label = QLabel("&File:")
        label.setBuddy(self.path)
        form.addRow(label, where)
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Why the data is imported")
        form.addRow("&Why:", self.reason)
        layout.addLayout(form)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020;")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.go = buttons.addButton("&Import", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._import)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _choose(self) -> None:
        name, _ = self._file_dialog.getOpenFileName(self, "Import FHIR", "", "FHIR JSON (*.json)")
        if name:
            self.path.setText(name)

    def _import(self) -> None:
        from ddassess.services.fhir_import import import_case_bundle, import_responses

        reason, text = self.reason.text().strip(), self.path.text().strip()
        if not text or not reason:
            self.problem.setText("Choose the file, and say why it is imported (the audit trail keeps the reason).")
            return
        store, catalogue, case, path = self.store, self.catalogue, self.case, Path(text).expanduser()
        onto = self.onto_case.isChecked() and case is not None
        self.go.setEnabled(False)

        def work() -> str:
            if onto and case is not None:
                made = import_responses(store, catalogue, case[0], path, reason)
                return f"{len(made)} draft form(s) added to case {case[1]}"
            return f"case {import_case_bundle(store, catalogue, path, reason)} imported"

        def done(what: str) -> None:
            self.imported = what
            self.accept()

        def failed(exc: Exception) -> None:
            self.go.setEnabled(True)
            show_error(self, exc)

        Op(self, work).success(done).failure(failed).changes(Change.CASES, case[0] if onto and case else None).run()
