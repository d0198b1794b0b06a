"""One editor per field type. ``FIELD_WIDGETS`` maps every type of the form language to
its factory; a test asserts the two sets are equal, so a new type cannot be half-added.

Editors never validate: they hand back what was typed (a number that is not a number
stays text) and the forms engine says what is wrong, beside the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
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

from ddassess.formengine import FieldSpec
from ddassess.ui.signature import SignaturePad


class Editor(QObject):
    changed = Signal()

    def __init__(self, spec: FieldSpec, widget: QWidget) -> None:
        super().__init__(widget)
        self.spec, self.widget = spec, widget
        widget.setAccessibleName(spec.label[:120])
        widget.setAccessibleDescription(spec.help[:300])

    # Each editor defines value() -> answer (None when unanswered) and set_value(answer).

    def focus_widget(self) -> QWidget:
        return self.widget

    def set_read_only(self, read_only: bool) -> None:
        self.widget.setEnabled(not read_only)


class TextEditor(Editor):
    def __init__(self, spec: FieldSpec, multiline: bool = False, parse: Callable[[str], Any] | None = None,
                 placeholder: str = "") -> None:
        w: QLineEdit | QPlainTextEdit = QPlainTextEdit() if multiline else QLineEdit()
        super().__init__(spec, w)
        self.parse = parse
        if multiline:
            w.setTabChangesFocus(True)
            w.setFixedHeight(90)
        else:
            w.setPlaceholderText(placeholder)
        w.textChanged.connect(self.changed)

    def _text(self) -> str:
        w = self.widget
        return w.toPlainText() if isinstance(w, QPlainTextEdit) else w.text()

    def value(self) -> Any:
        text = self._text()
        if not text.strip():
            return None
        return self.parse(text.strip()) if self.parse else text

    def set_value(self, value: Any) -> None:
        text = "" if value is None else str(value)
        w = self.widget
        w.setPlainText(text) if isinstance(w, QPlainTextEdit) else w.setText(text)


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


class ChoiceEditor(Editor):
    """Radio buttons (one answer) or check boxes (several); arrow keys move between them."""

    def __init__(self, spec: FieldSpec, multi: bool = False, options: list[tuple[Any, str]] | None = None) -> None:
        box = QWidget()
        super().__init__(spec, box)
        self.multi = multi
        choices = options or [(c.value, c.label) for c in spec.choices]
        compact = len(choices) <= 5 and sum(len(label) for _v, label in choices) <= 90
        layout = QHBoxLayout(box) if compact else QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.group = QButtonGroup(box)
        self.group.setExclusive(not multi)
        self.buttons: list[tuple[Any, QCheckBox | QRadioButton]] = []
        for value, label in choices:
            b: QCheckBox | QRadioButton = QCheckBox(label) if multi else QRadioButton(label)
            b.setAccessibleName(f"{spec.label[:80]}: {label}")
            self.group.addButton(b)
            layout.addWidget(b)
            self.buttons.append((value, b))
            b.toggled.connect(lambda _on: self.changed.emit())
        if compact:
            layout.addStretch()

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

    def focus_widget(self) -> QWidget:
        checked = [b for _v, b in self.buttons if b.isChecked()]
        return checked[0] if checked else self.buttons[0][1]


class ComboEditor(Editor):
    """A long list of options (more than six) as a drop-down, to keep the form short."""

    def __init__(self, spec: FieldSpec) -> None:
        super().__init__(spec, QComboBox())
        self.widget.addItem("— not answered —", None)
        for c in spec.choices:
            self.widget.addItem(c.label, c.value)
        self.widget.currentIndexChanged.connect(lambda _i: self.changed.emit())

    def value(self) -> Any:
        return self.widget.currentData() if self.widget.currentIndex() > 0 else None

    def set_value(self, value: Any) -> None:
        self.widget.blockSignals(True)
        index = next((i for i in range(1, self.widget.count()) if self.widget.itemData(i) == value), 0)
        self.widget.setCurrentIndex(index)
        self.widget.blockSignals(False)


def _choice(spec: FieldSpec) -> Editor:
    return ComboEditor(spec) if len(spec.choices) > 6 else ChoiceEditor(spec)


class ComputedEditor(Editor):
    def __init__(self, spec: FieldSpec) -> None:
        super().__init__(spec, QLabel("—"))
        self.widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)

    def value(self) -> Any:
        return None

    def set_value(self, value: Any) -> None:
        text = "—" if value is None else (value.strftime("%d %b %Y") if isinstance(value, dt.date) else str(value))
        self.widget.setText(text.replace("_", " "))


class SignatureEditor(Editor):
    def __init__(self, spec: FieldSpec) -> None:
        box = QWidget()
        super().__init__(spec, box)
        self.pad = SignaturePad()
        self.pad.setAccessibleName(f"{spec.label}: drawing area")
        clear = QPushButton("Clear signature")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pad)
        layout.addWidget(clear, alignment=Qt.AlignmentFlag.AlignLeft)
        clear.clicked.connect(self.pad.clear)
        self.pad.strokes_changed.connect(self.changed)

    def value(self) -> Any:
        strokes = self.pad.strokes()
        return {"strokes": strokes} if strokes else None

    def set_value(self, value: Any) -> None:
        self.pad.set_strokes(value.get("strokes", []) if isinstance(value, dict) else [])


def _group(spec: FieldSpec) -> Editor:
    from ddassess.ui.rows import RowsEditor

    return RowsEditor(spec)


FIELD_WIDGETS: dict[str, Callable[[FieldSpec], Editor]] = {
    "short_text": lambda s: TextEditor(s),
    "long_text": lambda s: TextEditor(s, multiline=True),
    "integer": lambda s: TextEditor(s, parse=_number(int)),
    "decimal": lambda s: TextEditor(s, parse=_number(float)),
    "rating": lambda s: TextEditor(s, parse=_number(int), placeholder=f"{s.min:g}–{s.max:g}" if s.max else ""),
    "date": lambda s: TextEditor(s, parse=_date, placeholder="DD/MM/YYYY"),
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
