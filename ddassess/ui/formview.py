"""A form on screen, from its spec: sections, live skip logic, scores, bands and flags, the
engine's problems beside each field, and autosave of the draft within a second.

The answers on screen are the only state; every change re-evaluates them with the forms
engine (well under a millisecond) and schedules a save: 600 ms after the last change,
and never later than a second after the first unsaved one, so someone who keeps typing
is saved too. The view only says "save these answers now" (``answers_changed``); the
form page hands them to the writer thread (ui/autosave.py), off the GUI thread.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ddassess.codes import Code
from ddassess.formengine import Catalogue, Evaluation, FormSpec, evaluate
from ddassess.formengine.display import answer_text
from ddassess.formengine.evaluate import PARTIAL_FLAG
from ddassess.formengine.expr import CaseContext, Env, EvalError
from ddassess.formengine.expr import evaluate as eval_expr
from ddassess.services.case_pathway import StoredCaseContext, case_detail
from ddassess.ui.fields import (
    FIELD_WIDGETS,
    GLOSSARY,
    Editor,
    SignatureEditor,
    plain,
)
from ddassess.ui.rows import RowsEditor
from ddassess.ui.widgets import FOCUS_STYLE, PROBLEM_STYLE, chain_tab_order, in_layout_order, qualify_names

PREFILL_STYLE = "QLabel { color: #1D4ED8; font-style: italic; }"
CHANGED_STYLE = "QLabel { color: #4B5563; }"  # "Last changed by ..." under a question: muted, still readable
FLAG_COLOURS = {"urgent": "#B00020", "high": "#C2410C", "warning": "#8A5A00", "info": "#1D4ED8"}
AUTOSAVE_MS = 600  # quiet time after the last change
AUTOSAVE_MAX_MS = 1000  # longest wait after the first unsaved change, even while typing


def _root(field: str | None) -> str:
    """The question a problem belongs to: 'substances[0].route' -> 'substances'."""
    return re.split(r"[\[.]", field or "", maxsplit=1)[0]


def _inside_text_editor(w: QWidget) -> bool:
    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, QLineEdit | QPlainTextEdit | QTextEdit):
            return True
        parent = parent.parentWidget()
    return False


class _ReadOnlyFilter(QObject):
    """Swallows what would change a control; keeps what moves the focus or reads it."""

    _MOUSE = {QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
              QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.TabletPress, QEvent.Type.TouchBegin}
    _NAVIGATION = {Qt.Key.Key_Tab, Qt.Key.Key_Backtab}
    _BETWEEN_OPTIONS = {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right}  # they only move

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.MouseButtonPress and isinstance(obj, QWidget) \
                and obj.focusPolicy() != Qt.FocusPolicy.NoFocus:
            obj.setFocus(Qt.FocusReason.MouseFocusReason)  # a click still puts the focus there
        if event.type() in self._MOUSE:
            return True
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride):
            return isinstance(event, QKeyEvent) and event.key() not in self._NAVIGATION and not (
                isinstance(obj, QAbstractButton) and obj.isCheckable() and event.key() in self._BETWEEN_OPTIONS)
        return False


class FormView(QWidget):
    """Editors for one response. ``answers_changed`` fires (debounced) with the answers."""

    answers_changed = Signal(dict)

    def __init__(self, spec: FormSpec, catalogue: Catalogue, answers: dict[str, Any],
                 context: CaseContext | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec, self.catalogue, self.context = spec, catalogue, context
        self.editors: dict[str, Editor] = {}
        self.problem_labels: dict[str, QLabel] = {}
        self.glossary_buttons: dict[str, QPushButton] = {}
        self.glossary_notes: dict[str, QLabel] = {}
        self.rows: dict[str, tuple[QFormLayout, QWidget]] = {}
        self.touched: set[str] = set()
        self.show_all_problems = False
        self.unknown_answers = {k: v for k, v in answers.items() if k not in spec.fields}
        self._read_only = False
        self.prefill_notes: dict[str, QLabel] = {}  # "Pre-filled from the PHQ-9 of 3 Nov 2026" under a field
        self.changed_notes: dict[str, QLabel] = {}  # "Last changed by ..." under a question's label
        self.descriptions: dict[str, str] = {}  # each question's help and glossary, as its editor describes it
        self.offer_prefills = False  # the page turns this on for a draft: a final form is never changed
        self._read_only_filter = _ReadOnlyFilter(self)
        # Before any editor exists: filling an editor with a saved answer emits its change signal.
        self.save_timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self.save_timer.timeout.connect(self.flush)
        self.max_wait_timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MAX_MS)
        self.max_wait_timer.timeout.connect(self.flush)
        self.setStyleSheet(FOCUS_STYLE)
        layout = QVBoxLayout(self)
        self.flags_banner = QLabel()
        self.flags_banner.setWordWrap(True)
        self.flags_banner.setAccessibleName("Alerts")
        self.scores_label = QLabel()
        self.scores_label.setWordWrap(True)
        self.scores_label.setAccessibleName("Scores")
        # Skip logic never hides a risk: hidden answers that would raise a flag are problems
        # (in the alerts above), and this offers to clear them, saying what was cleared.
        self.clear_hidden_button = QPushButton("Clear the hidden answers that would raise a flag")
        self.clear_hidden_button.setAccessibleName("Clear the hidden answers that would raise a flag")
        self.clear_hidden_button.clicked.connect(self.clear_hidden_answers)
        self.clear_hidden_button.hide()
        self.cleared_note = QLabel()
        self.cleared_note.setWordWrap(True)
        self.cleared_note.setAccessibleName("Cleared answers")
        self.cleared_note.hide()
        layout.addWidget(self.flags_banner)
        layout.addWidget(self.clear_hidden_button, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.cleared_note)
        layout.addWidget(self.scores_label)
        self.sections: dict[str, QGroupBox] = {}
        labels = [plain(f.label) for section in spec.sections for f in section.fields]
        self._asked_twice = {label for label in labels if labels.count(label) > 1}
        for section in spec.sections:
            box = QGroupBox(plain(section.title))
            form = QFormLayout(box)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
            if section.help:
                note = QLabel(plain(section.help))
                note.setWordWrap(True)
                form.addRow(note)
            for f in section.fields:
                self._add_field(form, f)
                if plain(f.label) in self._asked_twice:  # the nine risk domains' "Is this risk present…?"
                    qualify_names(self.rows[f.id][1], plain(section.title))
            layout.addWidget(box)
            self.sections[section.id] = box
        layout.addStretch()
        self.after_fields: list[QWidget] = []  # where Tab goes after the last question (the form page's buttons)
        for fid, value in answers.items():
            if fid in self.editors:
                self.editors[fid].set_value(value)
        # Showing the saved answers is not a change: nothing to save, nothing touched.
        self.save_timer.stop()
        self.max_wait_timer.stop()
        self.touched.clear()
        self.evaluation: Evaluation = self.refresh()
        self.order_tabs()

    def _glossary(self, *texts: str) -> list[str]:
        """'term: definition' for each glossary term marked [[term]] in these texts, once each."""
        seen, lines = set(), []
        for term in GLOSSARY.findall(" ".join(texts)):
            entry = self.catalogue.glossary.get(term.lower()) or {}
            if entry.get("definition") and term.lower() not in seen:
                seen.add(term.lower())
                lines.append(f"{term}: {' '.join(entry['definition'].split())}")
        return lines

    def _tooltip(self, text: str) -> str:
        """Help in plain words, then the definition of each glossary term it uses."""
        return "\n\n".join(x for x in [plain(text), *self._glossary(text)] if x)

    def _add_field(self, form: QFormLayout, f: Any) -> None:
        editor = FIELD_WIDGETS[f.type](f)
        label = QLabel(plain(f.label) + (" *" if f.required else ""))
        label.setWordWrap(True)
        label.setMinimumWidth(480)
        label.setToolTip(self._tooltip(f.help + " " + f.label))
        label.setBuddy(editor.focus_widget())
        self.descriptions[f.id] = self._tooltip(f.help + " " + f.label)
        editor.describe(self.descriptions[f.id])
        if hasattr(editor, "describe_cell"):  # a repeating group: its cells get glossary help too
            editor.describe_cell = self._tooltip
        if isinstance(editor, SignatureEditor):
            signer = self._signer(f.id)
            editor.set_role(signer)
            if signer == "service_user" and isinstance(self.context, StoredCaseContext):  # the person on the case
                editor.set_signer(case_detail(self.context.store, self.context.case_id).person_name)
        problem = QLabel()
        problem.setWordWrap(True)
        problem.setStyleSheet(PROBLEM_STYLE)
        problem.setAccessibleName(f"Problem with {plain(f.label)[:80]}")
        holder = QWidget()
        col = QVBoxLayout(holder)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(editor.widget)
        if f.prefill is not None:
            note = QLabel()
            note.setWordWrap(True)
            note.setStyleSheet(PREFILL_STYLE)
            note.setAccessibleName(f"Pre-filled answer: {plain(f.label)[:80]}")
            note.hide()
            col.addWidget(note)
            self.prefill_notes[f.id] = note
        terms = self._glossary(f.label, f.help)
        if terms:  # glossary help by keyboard: a button in the tab order, and Shift+F1 on the field
            col.addWidget(self._glossary_help(f, editor, "\n".join(terms)))
        col.addWidget(problem)
        form.addRow(label, holder)
        self.rows[f.id] = (form, holder)
        self.editors[f.id] = editor
        self.problem_labels[f.id] = problem
        editor.changed.connect(lambda fid=f.id: self._changed(fid))
        if isinstance(editor, RowsEditor):
            editor.rows_changed.connect(self.order_tabs)

    def show_last_changes(self, lines: dict[str, str]) -> None:
        """Under each question's label, who last changed its answer and when (a muted line),
        also said first in its accessible description; questions not named keep theirs."""
        for fid, line in lines.items():
            if fid not in self.rows:
                continue  # an answer to a question this version of the form does not ask
            note = self.changed_notes.get(fid)
            if note is None:
                note = QLabel()
                note.setWordWrap(True)
                note.setStyleSheet(CHANGED_STYLE)
                note.setAccessibleName(f"Last change: {plain(self.spec.fields[fid].label)[:80]}")
                holder = self.rows[fid][1].layout()
                assert isinstance(holder, QVBoxLayout)
                holder.insertWidget(0, note)
                self.changed_notes[fid] = note
            note.setText(line)
            note.setToolTip(line)
            self.editors[fid].describe(f"{line}. {self.descriptions[fid]}".strip())

    def order_tabs(self) -> None:
        """Tab follows the form: question by question, through every row of a repeating
        group (rows added later included), then on to ``after_fields``."""
        chain_tab_order([*in_layout_order(self), *self.after_fields])

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        """Put in its window (the form page in a case tab) its controls join the window's
        chain at its end: put in the form's order again, once there."""
        self.order_tabs()
        super().showEvent(event)

    def _signer(self, field_id: str) -> str:
        """Whose signature a field is (its ``signer:``; a definition frozen before that key
        existed takes it from the current version of the form)."""
        f = self.catalogue.meaning_of(self.spec).fields.get(field_id)
        return f.signer if f is not None and f.type == "signature" else ""

    def _glossary_help(self, f: Any, editor: Editor, text: str) -> QWidget:
        box = QWidget()
        row = QVBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        names = ", ".join(f"“{line.split(':', 1)[0]}”" for line in text.splitlines())
        button = QPushButton(f"? Meaning of {names}")
        button.setCheckable(True)
        button.setAccessibleName(f"Explain the terms in: {plain(f.label)[:80]}")
        note = QLabel(text)
        note.setWordWrap(True)
        note.setAccessibleName(f"Terms in: {plain(f.label)[:80]}")
        note.setStyleSheet("QLabel { background:#F3F4F6; padding:4px; }")
        note.hide()
        button.toggled.connect(note.setVisible)
        row.addWidget(button, alignment=Qt.AlignmentFlag.AlignLeft)
        row.addWidget(note)
        editor.focus_widget().setWhatsThis(text)
        self.glossary_buttons[f.id], self.glossary_notes[f.id] = button, note
        return box

    # state --------------------------------------------------------------------------

    def answers(self) -> dict[str, Any]:
        out = dict(self.unknown_answers)  # answers to questions a newer version dropped are kept
        for fid, ed in self.editors.items():
            if self.spec.fields[fid].type == "computed":
                continue
            v = ed.value()
            if v is not None:
                out[fid] = v
        return out

    def _changed(self, fid: str) -> None:
        self.touched.add(fid)
        self.refresh()
        self.save_timer.start()  # restarted by each change ...
        if not self.max_wait_timer.isActive():  # ... but this one is not: typing never delays a save
            self.max_wait_timer.start()

    @property
    def save_pending(self) -> bool:
        return self.save_timer.isActive() or self.max_wait_timer.isActive()

    def flush(self) -> None:
        """Save now (also called before locking or closing)."""
        self.save_timer.stop()
        self.max_wait_timer.stop()
        self.answers_changed.emit(self.answers())

    def refresh(self) -> Evaluation:
        ev = evaluate(self.spec, self.answers(), self.context, tables=self.catalogue.tables)
        if self.offer_prefills:
            ev = self._fill_suggestions(ev)
        self.evaluation = ev
        for fid, (form, holder) in self.rows.items():
            form.setRowVisible(holder, fid not in ev.hidden)
        for sid, box in self.sections.items():
            box.setVisible(any(f.id not in ev.hidden for f in self.spec.sections[
                [s.id for s in self.spec.sections].index(sid)].fields))
        by_field: dict[str, list[str]] = {}
        # A problem with no question to sit beside (a score or flag that could not be worked
        # out) goes in the alert banner: it still blocks Finalise, so it must be seen.
        # So does a problem with a hidden question (its answer would raise a flag): its row is not shown.
        self.unplaced = [p for p in ev.problems if _root(p.field) not in self.problem_labels
                         or _root(p.field) in ev.hidden]
        self.hidden_flagging = [p.field for p in ev.problems if p.code == Code.ANS_015 and p.field in self.editors]
        self.clear_hidden_button.setVisible(bool(self.hidden_flagging) and not self._read_only)
        for p in ev.problems:
            root = _root(p.field)
            if root != (p.field or "") and hasattr(self.editors.get(root), "show_problems"):
                continue  # a cell of a repeating group: shown beside that cell, below
            if root in self.problem_labels and (self.show_all_problems or root in self.touched):
                by_field.setdefault(root, []).append(p.message)
        for ed in self.editors.values():
            if hasattr(ed, "show_problems"):
                ed.show_problems(ev, self.show_all_problems)
        for fid, label in self.problem_labels.items():
            label.setText("\n".join(by_field.get(fid, [])))
            label.setVisible(bool(by_field.get(fid)))
        for fid, value in ev.computed.items():
            self.editors[fid].set_value(value)
        self._show_prefill_notes(ev)
        self._show_scores(ev)
        return ev

    # pre-filled answers ---------------------------------------------------------------

    def _fill_suggestions(self, ev: Evaluation) -> Evaluation:
        """Put each field's ``prefill`` suggestion into it while it is empty and the person has
        not touched it: a real, editable answer, saved with the draft, instead of a grey hint
        that has to be typed again. A suggestion can depend on another one (a severity
        suggested from a score, a quadrant from the severities), so this repeats until
        nothing more is filled."""
        for _ in range(len(self.prefill_notes) + 1):
            filled = False
            for fid, suggestion in ev.prefills.items():
                if fid in self.touched or self.editors[fid].value() is not None:
                    continue
                if isinstance(suggestion, float) and suggestion.is_integer():
                    suggestion = int(suggestion)  # a score of 12.0 is the whole number 12
                self.editors[fid].set_value(suggestion)
                filled = True
            if not filled:
                break
            ev = evaluate(self.spec, self.answers(), self.context, tables=self.catalogue.tables)
        return ev

    def suggestion(self, fid: str, ev: Evaluation) -> Any:
        """What the field's ``prefill`` suggests now (None: nothing, or it cannot be worked out)."""
        f = self.spec.fields[fid]
        if f.prefill is None or fid in ev.hidden:
            return None
        try:
            return eval_expr(f.prefill, Env(ev.values, self.context, self.catalogue.tables))
        except EvalError:
            return None

    def _prefill_source(self, fid: str) -> str:
        """The responses a suggestion reads through ``latest()``, its own or those of the
        computed fields it names ("'high' if phq9_seen >= 20": the PHQ-9)."""
        forms: list[str] = []
        exprs, seen = [self.spec.fields[fid].prefill], set()
        while exprs:
            e = exprs.pop()
            if e is None or e.source in seen:
                continue
            seen.add(e.source)
            forms += [args[0] for name, args in e.calls if name == "latest" and args and isinstance(args[0], str)]
            exprs += [self.spec.fields[n].expr for n in e.names if n in self.spec.fields]
        if isinstance(self.context, StoredCaseContext):
            return " and ".join(dict.fromkeys(x for x in map(self.context.source, forms) if x))
        return ""

    def _show_prefill_notes(self, ev: Evaluation) -> None:
        """Under a pre-filled answer, where it came from; under an answer that differs from
        what the case's forms now say, what they say (a score redone since)."""
        for fid, note in self.prefill_notes.items():
            suggested, value = self.suggestion(fid, ev), self.editors[fid].value()
            text = ""
            if suggested is not None and value is not None:
                source = self._prefill_source(fid)
                if value == suggested:
                    text = (f"Pre-filled from {source}" if source else "Pre-filled from the answers above") + \
                        ": check it, and change it if it is not right."
                else:
                    said = answer_text(self.spec.fields[fid], suggested)
                    text = f"{source[:1].upper() + source[1:]} gives {said}." if source else f"Suggested: {said}."
            note.setText(text)
            note.setVisible(bool(text))

    def _show_scores(self, ev: Evaluation) -> None:
        parts = []
        for s in ev.scores.values():
            if s.value is None and s.partial is None:
                continue  # it could not be worked out: its problem is in the banner
            if s.complete and s.value is not None:
                parts.append(f"<b>{s.label}: {s.value:g}</b>" + (f" — {s.band}" if s.band else "")
                             + (f"<br/><i>{s.action}</i>" if s.action else ""))
            elif s.needed and s.partial is not None:
                parts.append(f"<b>{s.label}:</b> incomplete — {s.answered} of {s.needed} answered "
                             f"(so far {s.partial:g}; not a total)"
                             + (f"; already at least <i>{escape(s.at_least)}</i>" if s.at_least else ""))
        self.scores_label.setText("<br/>".join(parts))
        self.scores_label.setVisible(bool(parts))
        flags = [f"<span style='color:{FLAG_COLOURS.get(f.severity, '#333')}'><b>{f.severity.upper()}</b> "
                 f"{f.message}</span>" + (f" <i>({PARTIAL_FLAG})</i>" if f.partial else "") for f in ev.flags]
        flags += [f"<span style='color:#B00020'><b>PROBLEM</b> {escape(p.message)}</span>" for p in self.unplaced]
        self.flags_banner.setText("<br/>".join(flags))
        self.flags_banner.setVisible(bool(flags))

    def clear_hidden_answers(self) -> list[str]:
        """Clear the hidden answers that would raise a flag, and say which (they are saved as cleared)."""
        cleared = list(dict.fromkeys(self.hidden_flagging))
        if not cleared or self._read_only:
            return []
        for fid in cleared:
            self.editors[fid].set_value(None)
        names = [f"{plain(self.spec.fields[fid].label)} ({plain(self.spec.section_of[fid].title)})" for fid in cleared]
        self.cleared_note.setText(f"Cleared {len(names)} hidden answer(s) that would have raised a flag: "
                                  f"{'; '.join(names)}. They were hidden by another answer; nothing else changed.")
        self.cleared_note.show()
        for fid in cleared:
            self._changed(fid)
        return cleared

    def reveal_problems(self) -> int:
        """Show every problem (before finalising); returns how many errors there are."""
        self.show_all_problems = True
        ev = self.refresh()
        errors = [p for p in ev.problems if p.severity == "error"]
        if errors:
            root = _root(errors[0].field)
            if root in ev.hidden and self.clear_hidden_button.isVisibleTo(self):
                self.clear_hidden_button.setFocus()  # a hidden question cannot take the focus: the offer can
            elif root in self.editors:
                self.editors[root].focus_widget().setFocus()
        return len(errors)

    def set_read_only(self, read_only: bool) -> None:
        """A final form stays readable: not greyed out, still focusable with Tab and read by
        screen readers (a disabled widget is neither). Text is set read-only; controls that
        Qt cannot make read-only (choices, check boxes, lists, the signature pad) keep their
        focus but ignore clicks, keys other than Tab, and the wheel. The editors' own buttons
        (Clear signature, Add a row, Remove this row) are hidden: on a final form they would
        only look live."""
        self._read_only = read_only
        self.clear_hidden_button.setVisible(bool(self.hidden_flagging) and not read_only)
        for ed in self.editors.values():
            ed.widget.setEnabled(True)
            for button in ed.widget.findChildren(QPushButton):  # Clear, Add a row, Remove: nothing to do
                button.setVisible(not read_only)
            if hasattr(ed, "set_read_only"):
                ed.set_read_only(read_only)  # a repeating group's suggested rows
            for w in [ed.widget, *ed.widget.findChildren(QWidget)]:
                if isinstance(w, QLineEdit | QPlainTextEdit | QTextEdit):
                    w.setReadOnly(read_only)
                elif not _inside_text_editor(w):
                    w.removeEventFilter(self._read_only_filter)
                    if read_only:
                        w.installEventFilter(self._read_only_filter)

    def offer_rows(self, suggestions: dict[str, list[dict[str, Any]]]) -> None:
        """Rows to offer for one-click adding, by repeating group (``RowsEditor.offer``)."""
        for fid, rows in suggestions.items():
            ed = self.editors.get(fid)
            if ed is not None and hasattr(ed, "offer"):
                ed.offer(rows)

    def focused_field(self) -> str | None:
        w = self.focusWidget()
        for fid, ed in self.editors.items():
            if w is not None and (w is ed.widget or ed.widget.isAncestorOf(w)):
                return fid
        return None

    def cursor_position(self) -> int | None:
        """Where the text cursor is in the focused text box (None when no text box has the focus)."""
        w = self.focusWidget()
        if isinstance(w, QLineEdit):
            return w.cursorPosition()
        if isinstance(w, QPlainTextEdit):
            return w.textCursor().position()
        return None

    def focus_field(self, fid: str | None, cursor: int | None = None) -> None:
        """The focus on a field, scrolled into view, the text cursor at ``cursor`` (None: after
        the text, so what is typed next goes after what is there, never in front of it)."""
        if fid not in self.editors:
            return
        w = self.editors[fid].focus_widget()
        w.setFocus(Qt.FocusReason.OtherFocusReason)
        _place_cursor(w, cursor)
        self._scroll_to(w)
        QTimer.singleShot(0, self, lambda: self._scroll_to(w))  # again once the new page is laid out

    def _scroll_to(self, w: QWidget) -> None:
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None and self.isAncestorOf(w):
            parent.ensureWidgetVisible(w)


def _place_cursor(w: QWidget, cursor: int | None) -> None:
    if isinstance(w, QLineEdit):
        w.setCursorPosition(len(w.text()) if cursor is None else min(cursor, len(w.text())))
    elif isinstance(w, QPlainTextEdit):
        text_cursor = w.textCursor()
        end = len(w.toPlainText())
        text_cursor.setPosition(end if cursor is None else min(cursor, end))
        w.setTextCursor(text_cursor)
