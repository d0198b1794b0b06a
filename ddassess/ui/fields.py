"""One editor per field type. ``FIELD_WIDGETS`` maps every type of the form language to
its factory; a test asserts the two sets are equal, so a new type cannot be half-added.

Editors never validate: they hand back what was typed (a number that is not a number
stays text) and the forms engine says what is wrong, beside the field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ddassess.domain.careplan import SIGNER_ROLE_LABELS
from ddassess.formengine import FieldSpec
from ddassess.formengine.display import answer_text
from ddassess.ui.signature import SignaturePad

GLOSSARY = re.compile(r"\[\[([^\]]+)\]\]")


def plain(text: str) -> str:
    """Form text without glossary markup: 'an [[ITR]] goal' -> 'an ITR goal' (spaces folded)."""
    return " ".join(GLOSSARY.sub(lambda m: m.group(1), text or "").split())


class Editor(QObject):
    """Accessible name and description are plain words: glossary markup never reaches a
    screen reader; the form view adds the glossary's definitions to the description."""

    changed = Signal()

    def __init__(self, spec: FieldSpec, widget: QWidget) -> None:
        super().__init__(widget)
        self.spec, self.widget = spec, widget
        widget.setAccessibleName(plain(spec.label)[:120])
        widget.setAccessibleDescription(plain(spec.help)[:300])

    def describe(self, description: str) -> None:
        """The accessible description of every control of this editor (help and glossary)."""
        for w in {self.widget, self.focus_widget()}:
            w.setAccessibleDescription(description[:600])

    def value(self) -> Any:
        """The answer shown (None when unanswered)."""
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Show a stored answer: not a change the person made, so no ``changed``."""
        raise NotImplementedError

    def focus_widget(self) -> QWidget:
        return self.widget


class TextEditor(Editor):
    def __init__(self, spec: FieldSpec, multiline: bool = False, parse: Callable[[str], Any] | None = None,
                 placeholder: str = "") -> None:
        w: QLineEdit | QPlainTextEdit = QPlainTextEdit() if multiline else QLineEdit()
        super().__init__(spec, w)
        self.box = w
        self.parse = parse
        if isinstance(w, QPlainTextEdit):
            w.setTabChangesFocus(True)
            w.setFixedHeight(90)
        else:
            w.setPlaceholderText(placeholder)
        w.textChanged.connect(self.changed)

    def _text(self) -> str:
        w = self.box
        return w.toPlainText() if isinstance(w, QPlainTextEdit) else w.text()

    def value(self) -> Any:
        text = self._text()
        if not text.strip():
            return None
        return self.parse(text.strip()) if self.parse else text

    def set_value(self, value: Any) -> None:
        """Show a stored answer: not a change the person made, so no ``changed`` (as for choices)."""
        text = "" if value is None else str(value)
        w = self.box
        w.blockSignals(True)
        if isinstance(w, QPlainTextEdit):
            w.setPlainText(text)
        else:
            w.setText(text)
        w.blockSignals(False)


def _number(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return kind(text.replace(",", ""))
        except ValueError:
            try:
                f = float(text)
            except ValueError:
                return text  # the engine says "needs a number"
            return f  # 2.5 for a whole number: the engine says so
    return parse


def _date(text: str) -> str:
    """ISO as typed, or day/month/year (the UK order) turned into ISO; else as typed."""
    parts = text.replace(".", "/").replace("-", "/").split("/")
    if len(parts) == 3 and len(parts[2]) == 4:
        try:
            return dt.date(int(parts[2]), int(parts[1]), int(parts[0])).isoformat()
        except ValueError:
            return text
    return text


class DateEditor(TextEditor):
    """A date typed day/month/year (the UK order) and stored as ISO; a stored date is shown
    the way it is typed, so the box and its DD/MM/YYYY hint agree."""

    def __init__(self, spec: FieldSpec) -> None:
        super().__init__(spec, parse=_date, placeholder="DD/MM/YYYY")

    def set_value(self, value: Any) -> None:
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value).strftime("%d/%m/%Y")
            except ValueError:
                pass  # not a real date: shown as it was typed, and the engine says what is wrong
        super().set_value(value)


def answer_digits(spec: FieldSpec, options: list[tuple[Any, str]]) -> list[int] | None:
    """The digit key that picks each option of a single-answer question, or None (no keys).

    A scored question answers with its scores when they are distinct whole numbers 0–9, so a
    practitioner keys what the paper form prints (PHQ-9: "2" is "More than half the days",
    scored 2). Any other question with at most nine options answers with the option's
    position, 1 for the first."""
    scores = [c.score for c in spec.choices] if spec.choices and len(spec.choices) == len(options) else []
    if scores and all(isinstance(s, int | float) and float(s).is_integer() and 0 <= s <= 9 for s in scores) \
            and len({int(s) for s in scores if s is not None}) == len(scores):
        return [int(s) for s in scores if s is not None]
    return list(range(1, len(options) + 1)) if len(options) <= 9 else None


class _ChoiceKeys(QObject):
    """The keyboard inside one question's options: arrows move between them (in the order
    they are listed, whichever way they are laid out), Space toggles the one with the focus
    (Qt's own), and for a single answer a digit picks the option it is shown beside."""

    _BACK = {Qt.Key.Key_Up, Qt.Key.Key_Left}
    _ON = {Qt.Key.Key_Down, Qt.Key.Key_Right}

    def __init__(self, editor: ChoiceEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False  # Ctrl+Return and the like are for the window
        buttons = [b for _v, b in self.editor.buttons]
        here = next((i for i, b in enumerate(buttons) if b is obj), None)
        if event.key() in self._BACK | self._ON and here is not None:
            step = -1 if event.key() in self._BACK else 1
            i = here + step
            if 0 <= i < len(buttons):
                buttons[i].setFocus(Qt.FocusReason.TabFocusReason if step > 0 else Qt.FocusReason.BacktabFocusReason)
            return True  # at either end the focus stays (the scroll area does not scroll instead)
        digits = self.editor.digits
        if digits and event.text().isdigit() and int(event.text()) in digits:
            button = buttons[digits.index(int(event.text()))]
            button.setChecked(True)
            button.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        return False


class ChoiceEditor(Editor):
    """Radio buttons (one answer) or check boxes (several). Tab enters the question at the
    chosen option (or the first), arrows move between options, Space ticks; one answer can
    also be given with a digit key, shown beside each option as "(2)"."""

    def __init__(self, spec: FieldSpec, multi: bool = False, options: list[tuple[Any, str]] | None = None) -> None:
        box = QWidget()
        super().__init__(spec, box)
        self.multi = multi
        choices = options or [(c.value, c.label) for c in spec.choices]
        self.digits = None if multi else answer_digits(spec, choices)
        compact = len(choices) <= 5 and sum(len(label) for _v, label in choices) <= 90
        layout = QHBoxLayout(box) if compact else QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.group = QButtonGroup(box)
        self.group.setExclusive(not multi)
        self.buttons: list[tuple[Any, QCheckBox | QRadioButton]] = []
        keys = _ChoiceKeys(self)
        for i, (value, label) in enumerate(choices):
            shown = plain(label) + (f" ({self.digits[i]})" if self.digits else "")
            b: QCheckBox | QRadioButton = QCheckBox(shown) if multi else QRadioButton(shown)
            b.setAccessibleName(f"{plain(spec.label)[:80]}: {plain(label)}")
            b.setAccessibleDescription(f"Key {self.digits[i]}" if self.digits else "")
            b.installEventFilter(keys)
            self.group.addButton(b)
            layout.addWidget(b)
            self.buttons.append((value, b))
            b.toggled.connect(lambda _on: self.changed.emit())
        self.group.buttonToggled.connect(lambda _b, _on: self._tab_stop())
        if compact:
            layout.addStretch()
        self._tab_stop()

    def describe(self, description: str) -> None:
        """Help and glossary on the question; each option keeps its key in its description."""
        self.widget.setAccessibleDescription(description[:600])
        for i, (_v, b) in enumerate(self.buttons):
            key = f"Key {self.digits[i]}. " if self.digits else ""
            b.setAccessibleDescription((key + description)[:600])

    def _tab_stop(self) -> None:
        """One Tab stop per question, as for any radio group: the chosen option (the first
        ticked box), or the first; the others are reached with the arrows."""
        stop = self.focus_widget()
        for _v, b in self.buttons:
            b.setFocusPolicy(Qt.FocusPolicy.StrongFocus if b is stop else Qt.FocusPolicy.ClickFocus)

    def value(self) -> Any:
        picked = [v for v, b in self.buttons if b.isChecked()]
        if self.multi:
            return picked or None
        return picked[0] if picked else None

    def set_value(self, value: Any) -> None:
        chosen = value if isinstance(value, list) else [value]
        self.group.setExclusive(False)
        for v, b in self.buttons:
            b.blockSignals(True)
            b.setChecked(v in chosen)
            b.blockSignals(False)
        self.group.setExclusive(not self.multi)
        self._tab_stop()

    def focus_widget(self) -> QWidget:
        checked = [b for _v, b in self.buttons if b.isChecked()]
        return checked[0] if checked else self.buttons[0][1]


class ComboEditor(Editor):
    """A long list of options (more than six) as a drop-down, to keep the form short."""

    def __init__(self, spec: FieldSpec) -> None:
        self.combo = QComboBox()
        super().__init__(spec, self.combo)
        self.combo.addItem("— not answered —", None)
        for c in spec.choices:
            self.combo.addItem(plain(c.label), c.value)
        self.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())

    def value(self) -> Any:
        return self.combo.currentData() if self.combo.currentIndex() > 0 else None

    def set_value(self, value: Any) -> None:
        self.combo.blockSignals(True)
        index = next((i for i in range(1, self.combo.count()) if self.combo.itemData(i) == value), 0)
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)


def _choice(spec: FieldSpec) -> Editor:
    return ComboEditor(spec) if len(spec.choices) > 6 else ChoiceEditor(spec)


class ComputedEditor(Editor):
    def __init__(self, spec: FieldSpec) -> None:
        self.label = QLabel("—")
        super().__init__(spec, self.label)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)

    def value(self) -> Any:
        return None

    def set_value(self, value: Any) -> None:
        self.label.setText(answer_text(self.spec, value) or "—")  # "Yes", a listed value's words, "3 Nov 2026"


class SignatureEditor(Editor):
    """The pad, and beside it who signs, in what role, and when.

    The answer is ``{"strokes": [...], "signed_at": "<ISO UTC>", "signed_by": "<name>"}``;
    ``signed_at`` is when the last stroke was drawn. The service user's name comes from the
    case (``set_signer``); anyone else types their name in "Signed by".
    """

    def __init__(self, spec: FieldSpec) -> None:
        box = QWidget()
        super().__init__(spec, box)
        self.signed_at: str | None = None
        self.pad = SignaturePad()
        self.pad.setAccessibleName(f"{plain(spec.label)}: drawing area")
        self.clear_button = QPushButton("Clear signature")
        self.clear_button.setAccessibleName(f"Clear {plain(spec.label)}")
        self.role = QLabel()
        self.name_label = QLabel()
        self.name_label.hide()
        self.signed_by = QLineEdit()
        self.signed_by.setPlaceholderText("Signed by: full name")
        self.date = QLabel("Date: not signed yet")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("QLabel { color: #B00020; }")
        self.message.setAccessibleName(f"Problem with {plain(spec.label)}")
        self.message.hide()
        side = QVBoxLayout()
        for w in (self.name_label, self.signed_by, self.role, self.date, self.message):
            side.addWidget(w)
        side.addWidget(self.clear_button, alignment=Qt.AlignmentFlag.AlignLeft)
        side.addStretch()
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pad, 3)
        layout.addLayout(side, 2)
        self.set_role(spec.signer)  # once in the layout: showing a label without a parent makes it a window
        self.clear_button.clicked.connect(self.pad.clear)
        self.pad.strokes_changed.connect(self._drawn)
        self.pad.refused.connect(self._refused)
        self.signed_by.textChanged.connect(self.changed)

    def set_role(self, signer: str) -> None:
        """Whose signature this is, from the field's ``signer:`` (no role line when it names none)."""
        role = signer_role(signer)
        self.role.setText(f"Role: {role}")
        self.role.setVisible(bool(role))
        self.signed_by.setAccessibleName(f"Signed by ({role or plain(self.spec.label)})")

    def set_signer(self, name: str) -> None:
        """The signer is known (the person the case is about): show the name, no box to type in."""
        self.name_label.setText(f"Signed by: {name}")
        self.name_label.show()
        self.signed_by.blockSignals(True)  # known, not typed: not a change to save
        self.signed_by.setText(name)
        self.signed_by.blockSignals(False)
        self.signed_by.hide()

    def _drawn(self) -> None:
        if self.pad.strokes():
            self.signed_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
            self.message.hide()
        elif not self.message.isVisible():
            self.signed_at = None
        self._show_date()
        self.changed.emit()

    def _refused(self, why: str) -> None:
        self.signed_at = None
        self.message.setText(why)
        self.message.show()

    def _show_date(self) -> None:
        if self.signed_at:
            when = dt.datetime.fromisoformat(self.signed_at).astimezone()
            self.date.setText(f"Date: {when:%d %b %Y %H:%M}")
        else:
            self.date.setText("Date: not signed yet")

    def value(self) -> Any:
        strokes = self.pad.strokes()
        if not strokes:
            return None
        answer: dict[str, Any] = {"strokes": strokes, "signed_at": self.signed_at}
        if self.signed_by.text().strip():
            answer["signed_by"] = self.signed_by.text().strip()
        return answer

    def set_value(self, value: Any) -> None:
        value = value if isinstance(value, dict) else {}
        strokes = value.get("strokes")
        self.pad.set_strokes(strokes if isinstance(strokes, list) else [])
        self.signed_at = value.get("signed_at") if isinstance(value.get("signed_at"), str) else None
        if isinstance(value.get("signed_by"), str) and not self.signed_by.isHidden():
            self.signed_by.blockSignals(True)
            self.signed_by.setText(value["signed_by"])
            self.signed_by.blockSignals(False)
        self._show_date()

    def focus_widget(self) -> QWidget:
        return self.pad


def signer_role(signer: str) -> str:
    """The words for the signature block a field's ``signer:`` names: "service_user" ->
    "Service user"; "" when it names none."""
    return SIGNER_ROLE_LABELS.get(signer, "")


def _group(spec: FieldSpec) -> Editor:
    from ddassess.ui.rows import RowsEditor

    return RowsEditor(spec)


FIELD_WIDGETS: dict[str, Callable[[FieldSpec], Editor]] = {
    "short_text": lambda s: TextEditor(s),
    "long_text": lambda s: TextEditor(s, multiline=True),
    "integer": lambda s: TextEditor(s, parse=_number(int)),
    "decimal": lambda s: TextEditor(s, parse=_number(float)),
    "rating": lambda s: TextEditor(s, parse=_number(int), placeholder=f"{s.min:g}–{s.max:g}" if s.max else ""),
    "date": DateEditor,
    "datetime": lambda s: TextEditor(s, placeholder="YYYY-MM-DDTHH:MM"),
    "yes_no": lambda s: ChoiceEditor(s, options=[(True, "Yes"), (False, "No")]),
    "single_choice": _choice,
    "scored_choice": _choice,
    "multi_choice": lambda s: ChoiceEditor(s, multi=True),
    "group": _group,
    "person_ref": lambda s: TextEditor(s),
    "practitioner_ref": lambda s: TextEditor(s),
    "signature": SignatureEditor,
    "computed": ComputedEditor,
}
