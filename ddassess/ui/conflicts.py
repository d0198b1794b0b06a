"""Conflicts of shared cases in front of a person: the inbox (of one case, or of every case:
File → "Conflicts…") and the side-by-side dialog that settles one.

Each value is shown with who gave it and when; the person keeps one (or, for free text,
writes the combined text), says why, and Resolve records it (``services.conflicts``:
an operation that travels, audited). A form open on screen is saved and set aside while
its conflict is settled, then opened again with the kept answer: the screen must never
write the old value back over the choice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ddassess.errors import UserFacingError
from ddassess.formengine import Catalogue
from ddassess.services.conflict_choices import checked_text, conflict_choices, joined
from ddassess.services.conflicts import ConflictView, list_conflicts, resolve_conflict
from ddassess.services.settings import get_setting
from ddassess.services.vault import Store
from ddassess.ui.changes import Change, announce

if TYPE_CHECKING:
    from ddassess.ui.casepage import CasePage

Pages = Callable[[], list["CasePage"]]


def _when(view_at: object, date_format: str) -> str:
    import datetime as dt

    assert isinstance(view_at, dt.datetime)
    local = view_at.astimezone()
    return f"{local.strftime(date_format)} {local:%H:%M}"


def where(c: ConflictView) -> str:
    """'AUDIT: How often do you have a drink…' — the form and question in the form's words."""
    return f"{c.form_title}: {c.field_label}" if c.form_title else c.field_label


KIND_WORDS = {
    "field": "Changed on two laptops at the same time: keep one value, with a reason.",
    "final": "Changed after the form was finalised: the final form is kept; say that you have seen the change "
             "(amend the form if it matters).",
    "row": "Removed on one laptop while it was changed on another: the row is kept until you choose to remove it "
           "or keep it, with a reason.",
    "chain": "The same final form was amended on two laptops: keep one amendment, with a reason; the other is kept "
             "in the record as superseded.",
}


class ConflictResolutionDialog(QDialog):
    """One conflict, side by side: each value with who and when; keep one, or write the
    combined text (free text only); a reason; Resolve."""

    def __init__(self, store: Store, catalogue: Catalogue, conflict: ConflictView, pages: Pages,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.catalogue, self.conflict, self.pages = store, catalogue, conflict, pages
        self.resolved = False
        self.choices = conflict_choices(store, catalogue, conflict)
        date_format = get_setting(store, "date_format") or "%d %b %Y"
        self.setWindowTitle(f"Resolve a conflict — {conflict.case_ref}")
        title = QLabel(f"<b>{_escape(where(conflict))}</b><br/>" + KIND_WORDS.get(conflict.kind, KIND_WORDS["field"]))
        title.setWordWrap(True)
        title.setTextFormat(Qt.TextFormat.RichText)
        self.group = QButtonGroup(self)
        self.options: list[QRadioButton] = []
        self.value_boxes: list[QPlainTextEdit] = []
        side = QHBoxLayout()
        for i, v in enumerate(conflict.values):
            box = QGroupBox(f"{v.author}, {_when(v.at, date_format)}")
            box.setAccessibleName(f"Value {i + 1}, from {v.author}")
            col = QVBoxLayout(box)
            text = QPlainTextEdit(v.text)
            text.setReadOnly(True)
            text.setTabChangesFocus(True)
            text.setAccessibleName(f"Value {i + 1}, given by {v.author} on {_when(v.at, date_format)}")
            verb = "Keep this value" if conflict.kind in ("field", "final") else "Choose this"  # a row, an amendment
            option = QRadioButton(f"&{i + 1} {verb}" if i < 9 else verb)
            said = "Keep value" if conflict.kind in ("field", "final") else "Choose"
            option.setAccessibleName(f"{said} {i + 1}, from {v.author}: {v.text[:120]}")
            self.group.addButton(option, i)
            col.addWidget(text, 1)
            col.addWidget(option)
            side.addWidget(box, 1)
            self.options.append(option)
            self.value_boxes.append(text)
        self.combine = QRadioButton("&Write the combined text:")
        self.combine.setAccessibleName("Keep a combined text, written below")
        self.combined = QPlainTextEdit(joined(conflict))
        self.combined.setAccessibleName("The combined text to keep")
        self.combined.setTabChangesFocus(True)
        self.combined.setEnabled(False)
        self.group.addButton(self.combine, len(conflict.values))
        self.combine.toggled.connect(self.combined.setEnabled)
        self.combine.setVisible(self.choices.free_text)
        self.combined.setVisible(self.choices.free_text)
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Why this value is kept")
        self.reason.setPlaceholderText("Why this is kept (for example: checked with the person at the visit)")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(self.fontMetrics().lineSpacing() * 4)
        reason_label = QLabel("&Reason:")
        reason_label.setBuddy(self.reason)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Message")
        self.message.setStyleSheet("QLabel { color:#B00020; }")
        buttons = QDialogButtonBox()
        self.resolve_button = buttons.addButton("&Resolve", QDialogButtonBox.ButtonRole.AcceptRole)
        self.resolve_button.setAccessibleName("Resolve the conflict")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.resolve)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(title)
        column.addLayout(side, 1)
        column.addWidget(self.combine)
        column.addWidget(self.combined)
        column.addWidget(reason_label)
        column.addWidget(self.reason)
        column.addWidget(self.message)
        column.addWidget(buttons)
        if conflict.kind == "final" and self.options:
            self.options[0].setChecked(True)  # the final form stays; only a reason is asked
            for option in self.options[1:]:
                option.setEnabled(False)
        self.resize(900, 520)

    def chosen(self) -> int | str | None:
        """The index of the value kept, the combined text, or None when nothing is chosen yet."""
        i = self.group.checkedId()
        if i < 0:
            return None
        return self.combined.toPlainText() if i == len(self.conflict.values) else i

    def resolve(self) -> None:
        chosen = self.chosen()
        if chosen is None:
            self.say("Choose the value to keep first.")
            return
        try:
            if isinstance(chosen, str):
                chosen = checked_text(self.choices, chosen)
            if not self.reason.toPlainText().strip():
                self.say("Say why this value is kept: the reason is recorded with the choice.")
                self.reason.setFocus()
                return
            set_aside = _set_aside(self.pages(), self.conflict.entity_uuid)
            if set_aside is None:
                self.say("The open form could not be saved, so the conflict was not resolved: see the message "
                         "there first.")
                return
            try:
                resolve_conflict(self.store, self.conflict.uuid, chosen, self.reason.toPlainText(),
                                 catalogue=self.catalogue)
            finally:
                for page, response_id in set_aside:
                    page.open_response(response_id)
        except UserFacingError as exc:
            self.say(str(exc) + (f" {exc.hint}" if getattr(exc, "hint", "") else ""))
            return
        self.resolved = True
        announce(Change.CASES | Change.RESPONSES, self.conflict.case_id, initiator=self)
        self.accept()

    def say(self, text: str) -> None:
        self.message.setText(text)


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


def _set_aside(pages: list[CasePage], entity_uuid: str) -> list[tuple[CasePage, int]] | None:
    """Save and close every open form showing this record; None if one could not be saved."""
    out: list[tuple[CasePage, int]] = []
    for page in pages:
        form = page.form_page
        if form is not None and form.response.uuid == entity_uuid:
            response_id = form.response.id
            if not page.close_form():
                return None
            out.append((page, response_id))
    return out


class ConflictsDialog(QDialog):
    """The open conflicts of one case (``case_id``) or of every case: case, form, question
    and the values; Enter, a double click or "Resolve…" opens the side-by-side dialog."""

    COLUMNS = ("Case", "Form", "Question", "Values")

    def __init__(self, store: Store, catalogue: Catalogue, case_id: int | None, pages: Pages,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.catalogue, self.case_id, self.pages = store, catalogue, case_id, pages
        self.rows: list[ConflictView] = []
        self.resolution: ConflictResolutionDialog | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.list = QTreeWidget()
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels(list(self.COLUMNS))
        self.list.setAccessibleName("Conflicts to resolve")
        self.list.setWordWrap(True)
        self.count = QLabel()
        self.count.setAccessibleName("How many conflicts")
        self.resolve_button = QPushButton("&Resolve…")
        self.resolve_button.setAccessibleName("Resolve the selected conflict")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(self.count, 1)
        row.addWidget(self.resolve_button)
        column = QVBoxLayout(self)
        column.addWidget(self.list, 1)
        column.addLayout(row)
        column.addWidget(buttons)
        self.resolve_button.clicked.connect(self.open_selected)
        self.list.itemActivated.connect(lambda *_: self.open_selected())
        self.resize(1000, 420)
        self.load()

    def load(self) -> None:
        self.rows = list_conflicts(self.store, self.case_id, catalogue=self.catalogue)
        ref = self.rows[0].case_ref if self.rows and self.case_id is not None else ""
        self.setWindowTitle(f"Conflicts of case {ref}" if ref else "Conflicts to resolve")
        self.list.clear()
        for c in self.rows:
            values = "; ".join(f"{v.author}: {v.text}" for v in c.values)
            item = QTreeWidgetItem([c.case_ref, c.form_title or "The case", c.field_label, values])
            for col in range(len(self.COLUMNS)):
                item.setToolTip(col, f"{c.case_ref} — {where(c)} — {values}")
            self.list.addTopLevelItem(item)
        for col, width in enumerate((150, 260, 300)):
            self.list.setColumnWidth(col, width)
        n = len(self.rows)
        self.count.setText("No conflicts to resolve." if not n else f"{n} conflict{'s' if n != 1 else ''} to resolve")
        self.resolve_button.setEnabled(bool(n))
        if n:
            first = self.list.topLevelItem(0)
            if first is not None:
                self.list.setCurrentItem(first)

    def texts(self) -> list[str]:
        return [" | ".join(item.text(c) for c in range(len(self.COLUMNS)))
                for item in (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount())) if item]

    def open_selected(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        c = self.rows[self.list.indexOfTopLevelItem(item)]
        dialog = ConflictResolutionDialog(self.store, self.catalogue, c, self.pages, self)
        self.resolution = dialog

        def done(_result: int) -> None:
            self.resolution = None
            if not self.store.closed:
                self.load()
            dialog.deleteLater()
            self.list.setFocus()

        dialog.finished.connect(done)
        dialog.open()
