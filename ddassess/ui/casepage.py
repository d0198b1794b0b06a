"""A case: who, where on the pathway, its risk flags, its forms, and the open form."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
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

from ddassess.domain.models import Response
from ddassess.errors import FormDefinitionError, UserFacingError
from ddassess.formengine import Catalogue
from ddassess.services import case_changes
from ddassess.services.careplan_prefill import row_suggestions, start_care_plan
from ddassess.services.case_header import ActiveFlag, CaseSummary, case_summary
from ddassess.services.case_pathway import (
    StoredCaseContext,
    finalise_form,
)
from ddassess.services.conflicts import list_conflicts
from ddassess.services.flag_acknowledgements import acknowledge_flag
from ddassess.services.form_choices import form_choices
from ddassess.services.last_changed import LastChange, answer_changes, form_changes
from ddassess.services.settings import get_setting, set_setting
from ddassess.services.trajectories import score_trajectories
from ddassess.services.vault import Store
from ddassess.ui.autosave import DraftWriter
from ddassess.ui.care_team import CareTeamPanel
from ddassess.ui.careplan_actions import print_plan, save_plan
from ddassess.ui.case_header import CaseHeader
from ddassess.ui.case_overview import CaseOverview
from ddassess.ui.changes import Change, Changed, announce, hub
from ddassess.ui.errors import show_error
from ddassess.ui.formview import FormView
from ddassess.ui.trajectories import TrajectoryPanel
from ddassess.ui.widgets import application, heading

FINALISE_KEYS = QKeySequence("Ctrl+Return")  # the File menu's "Finalise the open form…" (ui/actions.py)
NATIVE = QKeySequence.SequenceFormat.NativeText
LINE_HEAD = Qt.ItemDataRole.UserRole + 1  # a form's line in the list before its "(date time by who)"
PLACE_CHECK_MS = 2000  # how often the cursor's place in the open form is checked (and written if it moved)


TRAJECTORY_FORMS = frozenset({"joint_review", "complex_case_review"})  # forms that show scores over time


def _trajectories_above(store: Store, catalogue: Catalogue, form_id: str, case_id: int) -> TrajectoryPanel | None:
    """"Scores over time" for a review form of a case with any final instrument, else None."""
    if form_id not in TRAJECTORY_FORMS:
        return None
    trajectories = score_trajectories(store, catalogue, case_id)
    if not trajectories:
        return None
    panel = TrajectoryPanel(columns=3)
    panel.show_trajectories(trajectories, get_setting(store, "date_format") or "%d %b %Y")
    return panel


class FormPage(QWidget):
    """One response in a FormView, saved as a draft within a second of each change.

    Saves go to the window's writer thread (ui/autosave.py); the status says "Draft saved
    at ..." only once the write is on the disk, and says so loudly when it failed (the
    answers stay on screen and are written again with the next change or flush). A final
    response is read-only; "Amend…" opens a draft amendment, autosaved like any draft,
    which replaces the final one only when it is saved with a reason.
    """

    draft_saved = Signal(object)  # Response, after its write is committed
    open_requested = Signal(int)  # show this response instead (an amendment started or cancelled)

    def __init__(self, store: Store, catalogue: Catalogue, response_id: int, parent: QWidget | None = None,
                 writer: DraftWriter | None = None) -> None:
        super().__init__(parent)
        self.store, self.catalogue = store, catalogue
        self.closed = False  # set when the page is closed (tab closed, lock): a question then answers nothing
        self._own_writer = writer is None
        self.writer = writer if writer is not None else DraftWriter(store)
        self.write_error: BaseException | None = None
        r = case_changes.get_response(store, response_id)
        self.response = r
        # The exact definition the answers were given under (by its hash), never whatever now
        # carries that version: raises FormDefinitionError, with what to restore, if it is gone.
        self.spec = spec = catalogue.definition_for(r.form_id, r.form_version, r.definition_hash)
        self.view = FormView(spec, catalogue, r.answers, StoredCaseContext(store, r.case_id, catalogue, r.id))
        if r.status == "draft":
            self.view.offer_rows(row_suggestions(store, catalogue, r.case_id, r.form_id))
        # Who last changed each answer (one read of the audit trail for the whole form).
        self.date_format = get_setting(store, "date_format") or "%d %b %Y"
        owner = store.owner()
        self.author = owner.name if owner is not None else ""
        self.saved_answers = dict(r.answers)
        self.view.show_last_changes({fid: c.words(self.date_format) for fid, c in answer_changes(store, r.id).items()})
        self.status = QLabel()
        self.status.setAccessibleName("Save status")
        self.finalise_button = QPushButton("Finalise…")
        self.finalise_button.setToolTip(f"Finalise this form ({FINALISE_KEYS.toString(NATIVE)})")
        self.amend_button = QPushButton("Amend…")
        self.cancel_amend_button = QPushButton("Cancel amendment…")
        self.title = heading(spec.title)
        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addStretch()
        bar.addWidget(self.status)
        # The bar never moves under the pointer: each button keeps its own place and size when
        # it is hidden, so finalising does not slide "Amend…" under a second click.
        self.finalise_button.setMinimumWidth(max(self.finalise_button.fontMetrics().horizontalAdvance(t)
                                                 for t in ("Finalise…", "Save amendment…")) + 24)
        for button in (self.finalise_button, self.amend_button, self.cancel_amend_button):
            policy = button.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            button.setSizePolicy(policy)
            bar.addWidget(button)
        self.scroll_area = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        self.trajectories = _trajectories_above(store, catalogue, spec.id, r.case_id)
        if self.trajectories is None:
            scroll.setWidget(self.view)
        else:  # the joint review looks at the scores over time before its own questions
            inner = QWidget()
            column = QVBoxLayout(inner)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(self.trajectories)
            column.addWidget(self.view)
            scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(scroll)
        # Tab goes from the last question to Finalise (or Amend), not round the tab bar and the list.
        self.view.after_fields = [self.finalise_button, self.amend_button, self.cancel_amend_button]
        self.view.order_tabs()
        self.view.answers_changed.connect(self._save)
        self.writer.saved.connect(self._written)
        self.writer.failed.connect(self._write_failed)
        self.finalise_button.clicked.connect(self.finalise)
        self.amend_button.clicked.connect(self.amend)
        self.cancel_amend_button.clicked.connect(self.cancel_amendment)
        self._show_state()

    @property
    def amending(self) -> bool:
        return self.response.status == "draft" and self.response.amends_id is not None

    def _show_state(self) -> None:
        draft = self.response.status == "draft"
        self.view.offer_prefills = draft  # a final form shows what was saved, nothing suggested since
        self.view.set_read_only(not draft)
        if draft:
            self.view.refresh()
        self.finalise_button.setVisible(draft)
        self.finalise_button.setText("Save amendment…" if self.amending else "Finalise…")
        self.finalise_button.setToolTip(f"{'Save this amendment' if self.amending else 'Finalise this form'} "
                                        f"({FINALISE_KEYS.toString(NATIVE)})")
        self.amend_button.setVisible(self.response.status == "final")
        self.cancel_amend_button.setVisible(self.amending)
        self.status.setText({"final": "Final", "superseded": "Superseded by an amendment"}.get(
            self.response.status, "Amendment in progress — saved automatically" if self.amending
            else "Draft — saved automatically"))

    # saving ------------------------------------------------------------------------

    def _save(self, answers: dict[str, Any]) -> None:
        if self.response.status != "draft" or self.closed:
            return
        self.writer.submit(self.response.id, answers)  # microseconds: the write is on the writer thread

    def _written(self, response_id: int, response: Response) -> None:
        if response_id != self.response.id or self.closed or self.response.status != "draft":
            return  # (a save delivered after the form was finalised says nothing new)
        self.response = response
        self.write_error = None
        saved_at = self.response.updated_at
        assert saved_at is not None  # a saved draft has its time
        changed = {k for k in {*self.saved_answers, *response.answers}
                   if self.saved_answers.get(k) != response.answers.get(k)}
        self.saved_answers = dict(response.answers)
        mine = LastChange(self.author, saved_at).words(self.date_format)
        self.view.show_last_changes(dict.fromkeys(changed, mine))
        self.status.setText(f"Draft saved at {saved_at.astimezone():%H:%M:%S}")
        self.draft_saved.emit(self.response)

    def _write_failed(self, response_id: int, exc: BaseException) -> None:
        if response_id != self.response.id or self.closed:
            return
        first = self.write_error is None
        self.write_error = exc
        self.status.setText("NOT SAVED — your answers are still on screen; see the message")
        if first:  # one message per failure streak, not one a second while typing
            show_error(self, exc if isinstance(exc, UserFacingError) else UserFacingError(
                f"Your latest answers could not be saved ({type(exc).__name__}). They are still on screen.",
                hint="Do not close ddassess; check the disk has space, then change any answer to try again."))

    def flush(self, force: bool = False) -> bool:
        """Write any pending change (``force``: the answers on screen, pending or not) and
        wait until it is on the disk. True when it is."""
        if self.response.status != "draft" or self.closed:
            return True
        if force or self.view.save_pending or self.write_error is not None:
            self.view.flush()
        errors = [exc for rid, exc in self.writer.wait() if rid == self.response.id]
        if errors:
            self._write_failed(self.response.id, errors[-1])
            return False
        return True

    def finish(self) -> bool:
        """Flush, then stop: nothing from this page touches the store afterwards. When the
        answers could not be saved the page stays live (False): they are only on screen, so a
        later save, or a second Quit, must still try and still ask."""
        if not self.flush(force=True):
            return False
        self.closed = True
        self.view.save_timer.stop()
        self.view.max_wait_timer.stop()
        if self._own_writer:
            self.writer.stop()
        return True

    # finalising and amending ---------------------------------------------------------

    def finalise(self) -> None:
        """Finalise a draft, or save an amendment with its reason."""
        if not self.flush(force=True):
            return
        errors = self.view.reveal_problems()
        if errors:
            QMessageBox.information(self, "Not finished", f"{errors} answer(s) need attention before this form can "
                                    "be finalised; each is marked beside its question.")
            return
        reason = None
        if self.amending:
            reason, ok = QInputDialog.getMultiLineText(self, "Save the amendment", "Why is this form being changed? "
                                                       "The reason is kept with the change.")
            if self.closed or not ok or not reason.strip():  # closed: a lock ended the question, not the user
                return
        elif QMessageBox.question(self, "Finalise", "Finalise this form? It can then only be changed by an "
                                  "amendment with a reason.") != QMessageBox.StandardButton.Yes or self.closed:
            return
        try:
            self.response = finalise_form(self.store, self.catalogue, self.response.id, reason)
        except UserFacingError as exc:
            show_error(self, exc)
            return
        self._show_state()
        # The case's list of forms shows it; and what the case list shows of the case (stage,
        # risk level, next review) follows from final forms, so that is announced too.
        announce(Change.RESPONSES | Change.CASES, self.response.case_id, initiator=self)

    def amend(self) -> None:
        """Start (or return to) a draft amendment of this final response."""
        types = {fid: f.type for fid, f in self.spec.fields.items()}
        draft = case_changes.start_amendment(self.store, self.response.id, types)
        announce(Change.RESPONSES, self.response.case_id, initiator=self)
        self.open_requested.emit(draft.id)

    def cancel_amendment(self) -> None:
        if QMessageBox.question(self, "Cancel amendment", "Drop the changes made in this amendment? The final "
                                "form stays as it was.") != QMessageBox.StandardButton.Yes or self.closed:
            return
        self.view.save_timer.stop()
        self.view.max_wait_timer.stop()
        self.writer.wait()  # a save still being written must not land after the draft is gone
        final = case_changes.discard_amendment(self.store, self.response.id)
        self.response = final  # the draft is gone: nothing here is saved any more
        announce(Change.RESPONSES, final.case_id, initiator=self)
        self.open_requested.emit(final.id)


class CasePage(QWidget):
    def __init__(self, store: Store, catalogue: Catalogue, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.catalogue, self.case_id = store, catalogue, case_id
        self.form_page: FormPage | None = None
        self.writer: DraftWriter | None = None  # the window's writer thread; None: each form makes its own
        self.edit_dialog: QDialog | None = None  # "Edit person…" while it is open
        self.place_timer = QTimer(self, interval=PLACE_CHECK_MS)
        self.place_timer.timeout.connect(self._cursor_rested)
        self.header = CaseHeader()
        self.header.risk.acknowledger = self.acknowledge_flag
        self.forms = QListWidget()
        self.forms.setAccessibleName("Forms of this case")
        self.forms.setWordWrap(True)  # each line carries status and score: wrap rather than cut off
        self.new_form = QComboBox()
        self.new_form.setAccessibleName("Form to start")
        self.new_form.setToolTip("Forms in pathway order, those due next on this case first")
        self.picked: str | None = None  # the form chosen in the picker, kept when the case reloads
        self.new_form.activated.connect(lambda _i: setattr(self, "picked", self.new_form.currentData()))
        start = QPushButton("Start form")
        self.save_plan_button = QPushButton("Care plan PDF…")
        self.print_plan_button = QPushButton("Print care plan…")
        self.history_button = QPushButton("Case history…")
        self.history_button.setToolTip("Who did what on this case, and when (Ctrl+H)")
        self.history_dialog: QDialog | None = None  # the case's history while it is open
        self.conflicts_dialog: QDialog | None = None  # its conflicts, while that is open
        owner = store.owner()
        self.author = owner.name if owner is not None else ""  # who the forms' lines name after a save here
        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.addWidget(QLabel("Forms"))
        lcol.addWidget(self.forms)
        lcol.addWidget(self.new_form)
        lcol.addWidget(start)
        lcol.addWidget(self.save_plan_button)
        lcol.addWidget(self.print_plan_button)
        self.care_team = CareTeamPanel(store, catalogue, case_id)  # who the case is shared with, and why
        lcol.addWidget(self.care_team)
        lcol.addWidget(self.history_button)
        self.form_area = QVBoxLayout()
        self.placeholder = QLabel("Open a form from the list, or start a new one.")
        self.overview = CaseOverview(self.placeholder)  # scores over time, open actions
        self.form_area.addWidget(self.overview)
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
        self.header.risk_level.change_button.clicked.connect(self.change_risk_level)
        self.save_plan_button.clicked.connect(lambda: save_plan(self, self.store, self.catalogue, self.case_id))
        self.print_plan_button.clicked.connect(lambda: print_plan(self, self.store, self.catalogue, self.case_id))
        self.history_button.clicked.connect(self.show_history)
        self.header.conflicts.button.clicked.connect(self.show_conflicts)
        # One click opens a form, as Enter (and a double click) does.
        self.forms.itemClicked.connect(self._open_item)
        self.forms.itemActivated.connect(self._open_item)
        self.header.edit_person_requested.connect(self.edit_person)
        hub().changed.connect(self._changed)  # a form of this case started, finalised or amended anywhere
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
        self.care_team.reload()
        self.overview.refresh(self.store, self.catalogue, self.case_id, summary.date_format)
        self.header.conflicts.show_count(len(list_conflicts(self.store, self.case_id, catalogue=self.catalogue)))
        self.forms.clear()
        changes = form_changes(self.store, self.case_id)
        for r in summary.responses:
            score = f" · {r.score}" if r.score else ""
            last = changes.get(r.id)
            head = f"{r.title} — {r.status}{score} "
            item = QListWidgetItem(f"{head}({summary.date(r.updated_at.astimezone())} "
                                   f"{r.updated_at.astimezone():%H:%M}{f' by {last.who}' if last else ''})")
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            item.setData(LINE_HEAD, head)
            if last is not None:
                item.setToolTip(last.words(summary.date_format))
            self.forms.addItem(item)
        self._offer_forms(summary)

    def _offer_forms(self, summary: CaseSummary) -> None:
        """The picker: pathway order, what is due next on this case first and marked so."""
        keep = self.picked
        self.new_form.clear()
        for choice in form_choices(self.catalogue, summary):
            self.new_form.addItem(f"{choice.title} — due next" if choice.due else choice.title, choice.form_id)
        self.new_form.setCurrentIndex(max(0, self.new_form.findData(keep)) if keep else 0)

    def _open_item(self, item: QListWidgetItem) -> None:
        response_id = item.data(Qt.ItemDataRole.UserRole)
        if self.form_page is not None and self.form_page.response.id == response_id:
            return  # open already (the second click of a double click)
        self.open_response(response_id)

    def acknowledge_flag(self, flag: ActiveFlag, reason: str) -> CaseSummary:
        """Record that this practitioner has seen the flag (audited); the case's views follow."""
        acknowledge_flag(self.store, self.catalogue, self.case_id, flag.response_uuid, flag.flag_id, reason)
        announce(Change.CASES, self.case_id, initiator=self)
        self.reload()
        return self.summary

    def _changed(self, change: Changed, _initiator: object) -> None:
        if change.touches(Change.CASES | Change.RESPONSES | Change.CARE_PLANS, self.case_id) and not self.store.closed:
            self.reload()  # the header and the list of forms

    def show_history(self) -> None:
        """"Case history…": who did what on this case, in words (ui/case_history.py)."""
        from ddassess.ui.case_history import CaseHistoryDialog

        if self.history_dialog is None:
            dialog = CaseHistoryDialog(self.store, self.catalogue, self.case_id, self)
            dialog.finished.connect(lambda _r: setattr(self, "history_dialog", None))
            self.history_dialog = dialog
        self.history_dialog.show()
        self.history_dialog.raise_()
        self.history_dialog.activateWindow()

    def show_conflicts(self) -> None:
        """The conflicts of this case, each settled side by side (ui/conflicts.py)."""
        from ddassess.ui.conflicts import ConflictsDialog

        dialog = ConflictsDialog(self.store, self.catalogue, self.case_id, lambda: [self], self)
        self.conflicts_dialog = dialog
        dialog.show()

    def change_risk_level(self) -> None:
        """"Change risk level…": raise or lower it with a reason (ui/risk_dialog.py)."""
        from ddassess.ui.risk_dialog import RiskLevelDialog

        dialog = RiskLevelDialog(self.store, self.case_id, self.summary.risk, self)
        if dialog.exec() == RiskLevelDialog.DialogCode.Accepted and not self.store.closed:
            announce(Change.CASES, self.case_id, initiator=self)  # the header and the case list show it

    def edit_person(self) -> None:
        """"Edit person…": the person's details in the referral's boxes; saved changes are audited."""
        from ddassess.ui.person_form import EditPersonDialog

        dialog = EditPersonDialog(self.store, self.detail.person_id, self)
        self.edit_dialog = dialog  # reachable while open

        def done(_result: int) -> None:
            self.edit_dialog = None
            if dialog.saved:  # the name shows in the case list and in every case of this person
                announce(Change.CASES, None, initiator=self)
            dialog.deleteLater()

        dialog.finished.connect(done)
        dialog.open()  # window-modal; the page carries on when it is closed

    def start_form(self) -> None:
        spec = self.catalogue.get(self.new_form.currentData())
        self.picked = None  # the next reload offers what is due next
        if spec.id == "care_plan":  # a new plan starts from what the assessment found
            response_id = start_care_plan(self.store, self.catalogue, self.case_id)
        else:
            response_id = case_changes.start_response(self.store, self.case_id, spec.id, spec.version,
                                                      spec.content_hash).id
        announce(Change.RESPONSES, self.case_id, initiator=self)
        self.open_response(response_id)

    def open_response(self, response_id: int, field: str | None = None, cursor: int | None = None) -> None:
        if not self.close_form():
            return  # the open form could not be saved: it stays, with its message
        # The window gives its writer thread (one per unlocked store); alone, the page makes its own.
        try:
            self.form_page = FormPage(self.store, self.catalogue, response_id, writer=self.writer)
        except FormDefinitionError as exc:  # its own definition is gone: say what to restore, show nothing wrong
            self.form_page = None
            show_error(self, exc)
            return
        self.overview.hide()
        self.form_page.draft_saved.connect(self._draft_saved)
        self.form_page.open_requested.connect(self._open_other)
        self.form_area.addWidget(self.form_page)
        self.last_field: str | None = None
        self.last_cursor: int | None = None
        self._remember_place(field, cursor)
        application().focusChanged.connect(self._focus_changed)
        self.place_timer.start()
        self.form_page.view.focus_field(field or next(iter(self.form_page.view.editors), None), cursor)

    def _remember_place(self, field: str | None, cursor: int | None = None) -> None:
        """The open form, field and cursor, so a restart after a crash returns to them."""
        assert self.form_page is not None
        self.last_field, self.last_cursor = field, cursor
        place = {"case_id": self.case_id, "response_id": self.form_page.response.id, "field": field, "cursor": cursor}
        self.form_page.writer.call("open_draft", lambda store: set_setting(store, "open_draft", place))

    def _focus_changed(self, _old: QWidget | None, _new: QWidget | None) -> None:
        if self.form_page is None or self.form_page.closed:
            return
        field = self.form_page.view.focused_field()
        if field is not None and field != self.last_field:  # a write only when the field changes
            self._remember_place(field, self.form_page.view.cursor_position())

    def _open_other(self, response_id: int) -> None:
        self.open_response(response_id)  # (the list of forms was reloaded when the change was announced)

    def _cursor_rested(self) -> None:
        """Every couple of seconds while a form is open: the cursor's place, written only when
        it moved (not per keystroke), so a restart after a crash puts it back."""
        if self.form_page is None or self.form_page.closed:
            return
        field, cursor = self.form_page.view.focused_field(), self.form_page.view.cursor_position()
        if field is not None and (field, cursor) != (self.last_field, self.last_cursor):
            self._remember_place(field, cursor)

    def _draft_saved(self, response: Response) -> None:
        """Only the saved form's line in the list changes: no reload of the case per keystroke."""
        for i in range(self.forms.count()):
            item = self.forms.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == response.id and response.updated_at is not None:
                at = response.updated_at.astimezone()
                item.setText(f"{item.data(LINE_HEAD)}({self.summary.date(at)} {at:%H:%M} by {self.author})")
                item.setToolTip(LastChange(self.author, response.updated_at).words(self.summary.date_format))

    def close_form(self) -> bool:
        """Save the open form (waiting for the disk) and remove it. False, and the form
        stays on screen, if its answers could not be saved."""
        if self.form_page is not None:
            if not self.form_page.finish():
                return False
            self.place_timer.stop()
            try:
                application().focusChanged.disconnect(self._focus_changed)
            except (RuntimeError, TypeError):
                pass
            self.form_page.setParent(None)
            self.form_page.deleteLater()
            self.form_page = None
            self.overview.show()
        return True
