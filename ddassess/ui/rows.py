"""A repeating group: one small form per row, with Add and Remove, built from the same
field editors as the rest of the form."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddassess.formengine import FieldSpec
from ddassess.ui.fields import FIELD_WIDGETS, Editor


class RowsEditor(Editor):
    def __init__(self, spec: FieldSpec) -> None:
        box = QWidget()
        super().__init__(spec, box)
        self.layout_ = QVBoxLayout(box)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.rows: list[tuple[QGroupBox, dict[str, Editor]]] = []
        self.add_button = QPushButton(f"Add a row to “{spec.label}”")
        self.add_button.clicked.connect(lambda: (self._add_row({}), self.changed.emit()))
        self.layout_.addWidget(self.add_button)

    def _add_row(self, values: dict[str, Any]) -> None:
        n = len(self.rows) + 1
        group = QGroupBox(f"Row {n}")
        form = QFormLayout(group)
        editors: dict[str, Editor] = {}
        for col in self.spec.fields:
            ed = FIELD_WIDGETS[col.type](col)
            if col.id in values:
                ed.set_value(values[col.id])
            ed.changed.connect(self.changed)
            label = QLabel(col.label)
            label.setWordWrap(True)
            label.setToolTip(col.help)
            label.setBuddy(ed.focus_widget())
            form.addRow(label, ed.widget)
            editors[col.id] = ed
        remove = QPushButton("Remove this row")
        remove.setAccessibleName(f"Remove row {n}")
        remove.clicked.connect(lambda: self._remove(group))
        buttons = QHBoxLayout()
        buttons.addWidget(remove)
        buttons.addStretch()
        form.addRow(buttons)
        self.layout_.insertWidget(self.layout_.count() - 1, group)
        self.rows.append((group, editors))

    def _remove(self, group: QGroupBox) -> None:
        self.rows = [(g, e) for g, e in self.rows if g is not group]
        group.deleteLater()
        for i, (g, _e) in enumerate(self.rows, 1):
            g.setTitle(f"Row {i}")
        self.changed.emit()

    def value(self) -> Any:
        rows = []
        for _g, editors in self.rows:
            row = {cid: ed.value() for cid, ed in editors.items() if ed.value() is not None}
            rows.append(row)
        return rows or None

    def set_value(self, value: Any) -> None:
        for g, _e in self.rows:
            g.deleteLater()
        self.rows = []
        for row in value if isinstance(value, list) else []:
            self._add_row(row if isinstance(row, dict) else {})

    def focus_widget(self) -> QWidget:
        return self.rows[0][1][self.spec.fields[0].id].focus_widget() if self.rows else self.add_button

    def set_read_only(self, read_only: bool) -> None:
        self.widget.setEnabled(not read_only)
