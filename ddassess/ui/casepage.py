"""A case: who, where on the pathway, its risk flags, its forms, and the open form."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ddassess.formengine import Catalogue
from ddassess.services import cases
from ddassess.services.careplans import start_care_plan
from ddassess.services.case_summary import case_summary
from ddassess.services.casework import StoredCaseContext, advance_stage, set_risk_level
from ddassess.services.settings import set_setting
from ddassess.services.vault import Store
from ddassess.ui.careplan_actions import print_plan, save_plan
from ddassess.ui.case_header import CaseHeader
from ddassess.ui.formview import FormView
from ddassess.ui.widgets import heading

class FormPage(QWidget):
    """One response in a FormView, saved as a draft within a second of each change."""

    saved = Signal()

    def __init__(self, store: Store, catalogue: Catalogue, response_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.catalogue = store, catalogue
        r = cases.get_response(store, response_id)
        self.response = r
        spec = catalogue.get(r.form_id, r.form_version)
        self.view = FormView(spec, catalogue, r.answers, StoredCaseContext(store, r.case_id, catalogue, r.id))
        self.status = QLabel()
        self.status.setAccessibleName("Save status")
        self.finalise_button = QPushButton("Finalise…")
        self.amend_button = QPushButton("Amend…")
        bar = QHBoxLayout()
        bar.addWidget(heading(spec.title))
        bar.addStretch()
        bar.addWidget(self.status)
        bar.addWidget(self.finalise_button)
        bar.addWidget(self.amend_button)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(scroll)
        self.view.answers_changed.connect(self._save)
        self.amending = False
        self.finalise_button.clicked.connect(self.finalise)
        self.amend_button.clicked.connect(self.amend)
        self._show_state()

    def _show_state(self) -> None:
        final = self.response.status != "draft"
        self.view.set_read_only(final)
        self.finalise_button.setVisible(not final)
        self.amend_button.setVisible(self.response.status == "final")
        self.status.setText({"final": "Final", "superseded": "Superseded by an amendment"}.get(
            self.response.status, "Draft — saved automatically"))

    def _save(self, answers: dict) -> None:  # type: ignore[type-arg]
        if self.response.status != "draft":
            return
        self.response = cases.save_draft(self.store, self.response.id, answers)
        self.status.setText(f"Draft saved at {self.response.updated_at.astimezone():%H:%M:%S}")
        self.saved.emit()

    def flush(self) -> None:
        if self.view.save_timer.isActive():
            self.view.flush()

    def finalise(self) -> None:
        self.flush()
        errors = self.view.reveal_problems()
        if errors:
            QMessageBox.information(self, "Not finished", f"{errors} answer(s) need attention before this form can "
                                    "be finalised; each is marked beside its question.")
            return
        if QMessageBox.question(self, "Finalise", "Finalise this form? It can then only be changed by an "
                                "amendment with a reason.") != QMessageBox.StandardButton.Yes:
            return
        self.response = cases.finalise_response(self.store, self.response.id)
        advance_stage(self.store, self.response.case_id, self.response.form_id)
        severities = {f.severity for f in self.view.evaluation.flags}
        if severities & {"urgent", "high"}:
            set_risk_level(self.store, self.response.case_id, "urgent" if "urgent" in severities else "high")
        self._show_state()
        self.saved.emit()

    def amend(self) -> None:
        """First press: make the final form editable. Second press: save the change with a reason."""
        if not self.amending:
            self.amending = True
            self.view.set_read_only(False)
            self.amend_button.setText("Save amendment…")
            self.status.setText("Amending: changes are kept when you give the reason")
            return
        reason, ok = QInputDialog.getMultiLineText(self, "Amend a final form", "Why is this form being changed? "
                                                   "The reason is kept with the change.")
        if not ok or not reason.strip():
            return
        self.response = cases.amend_response(self.store, self.response.id, self.view.answers(), reason)
        self.amending = False
        self.amend_button.setText("Amend…")
        self._show_state()
        self.saved.emit()


class CasePage(QWidget):
    def __init__(self, store: Store, catalogue: Catalogue, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.catalogue, self.case_id = store, catalogue, case_id
        self.form_page: FormPage | None = None
        self.header = CaseHeader()
        self.forms = QListWidget()
        self.forms.setAccessibleName("Forms of this case")
        self.forms.setWordWrap(True)  # each line carries status and score: wrap rather than cut off
        self.new_form = QComboBox()
        self.new_form.setAccessibleName("Form to start")
        for spec in sorted(catalogue.forms.values(), key=lambda s: (s.kind != "pathway", s.title)):
            self.new_form.addItem(spec.title, spec.id)
        start = QPushButton("Start form")
        self.save_plan_button = QPushButton("Care plan PDF…")
        self.print_plan_button = QPushButton("Print care plan…")
        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.addWidget(QLabel("Forms"))
        lcol.addWidget(self.forms)
        lcol.addWidget(self.new_form)
        lcol.addWidget(start)
        lcol.addWidget(self.save_plan_button)
        lcol.addWidget(self.print_plan_button)
        self.form_area = QVBoxLayout()
        self.placeholder = QLabel("Open a form from the list, or start a new one.")
        self.form_area.addWidget(self.placeholder)
        right = QWidget()
        right.setLayout(self.form_area)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        split.setSizes([260, 940])
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(split, 1)
        start.clicked.connect(self.start_form)
        self.save_plan_button.clicked.connect(lambda: save_plan(self, self.store, self.catalogue, self.case_id))
        self.print_plan_button.clicked.connect(lambda: print_plan(self, self.store, self.catalogue, self.case_id))
        self.forms.itemActivated.connect(lambda item: self.open_response(item.data(Qt.ItemDataRole.UserRole)))
        self.reload()

    # The header's parts, by the names the rest of the app and its tests know them.
    title = property(lambda self: self.header.title)
    identifiers = property(lambda self: self.header.identifiers)
    timeline = property(lambda self: self.header.timeline)
    risk = property(lambda self: self.header.risk)

    def reload(self) -> None:
        summary = case_summary(self.store, self.catalogue, self.case_id)
        self.summary, self.detail = summary, summary.detail
        self.header.show_summary(summary)
        self.forms.clear()
        for r in summary.responses:
            score = f" · {r.score}" if r.score else ""
            item = QListWidgetItem(f"{r.title} — {r.status}{score} ({summary.date(r.updated_at.astimezone())} "
                                   f"{r.updated_at.astimezone():%H:%M})")
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            self.forms.addItem(item)

    def start_form(self) -> None:
        spec = self.catalogue.get(self.new_form.currentData())
        if spec.id == "care_plan":  # a new plan starts from what the assessment found
            response_id = start_care_plan(self.store, self.catalogue, self.case_id)
        else:
            response_id = cases.start_response(self.store, self.case_id, spec.id, spec.version, spec.content_hash).id
        self.reload()
        self.open_response(response_id)

    def open_response(self, response_id: int, field: str | None = None) -> None:
        self.close_form()
        self.placeholder.hide()
        self.form_page = FormPage(self.store, self.catalogue, response_id)
        self.form_page.saved.connect(self.reload)
        self.form_area.addWidget(self.form_page)
        set_setting(self.store, "open_draft", {"case_id": self.case_id, "response_id": response_id})
        self.form_page.view.focus_field(field or next(iter(self.form_page.view.editors), None))

    def close_form(self) -> None:
        if self.form_page is not None:
            self.form_page.flush()
            self.form_page.setParent(None)
            self.form_page.deleteLater()
            self.form_page = None
            self.placeholder.show()
