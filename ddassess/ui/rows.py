"""A repeating group: one small form per row, with Add and Remove, built from the same
field editors as the rest of the form.

The forms engine reports a cell's problem under ``group[n].column``; the form view hands
those to ``show_problems`` and each is shown under its own cell. A row the person has not
touched yet shows nothing (a new, empty row is not four red "required" messages) until
Finalise asks for every problem. A column's ``show_if`` is worked out per row, live, with
the row's own answers over the rest of the form's values (as the engine does).
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddassess.formengine import Evaluation, FieldSpec, Problem
from ddassess.formengine.expr import Env
from ddassess.formengine.expr import evaluate as eval_expr
from ddassess.ui.fields import FIELD_WIDGETS, Editor, plain
from ddassess.ui.widgets import PROBLEM_STYLE, qualify_names


class Row:
    """One row's editors, the label under each cell for its problems, and whether it was touched."""

    def __init__(self, group: QGroupBox, form: QFormLayout) -> None:
        self.group, self.form = group, form
        self.editors: dict[str, Editor] = {}
        self.holders: dict[str, QWidget] = {}
        self.problems: dict[str, QLabel] = {}
        self.touched = False

    def value(self) -> dict[str, Any]:
        return {cid: v for cid, ed in self.editors.items() if (v := ed.value()) is not None}


class RowsEditor(Editor):
    rows_changed = Signal()  # a row added or removed: the form puts Tab's path through it again

    def __init__(self, spec: FieldSpec) -> None:
        box = QWidget()
        super().__init__(spec, box)
        self.layout_ = QVBoxLayout(box)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.rows: list[Row] = []
        self.describe_cell = lambda text: plain(text)  # the form view gives its glossary-aware version
        self.add_button = QPushButton(f"Add a row to “{plain(spec.label)}”")
        self.add_button.clicked.connect(self._add_clicked)
        self.layout_.addWidget(self.add_button)

    def _add_clicked(self) -> None:
        self._add_row({})
        self.changed.emit()
        self.rows[-1].editors[self.spec.fields[0].id].focus_widget().setFocus()

    def _add_row(self, values: dict[str, Any]) -> None:
        n = len(self.rows) + 1
        group = QGroupBox(f"Row {n}")
        form = QFormLayout(group)
        row = Row(group, form)
        for col in self.spec.fields:
            ed = FIELD_WIDGETS[col.type](col)
            if col.id in values:
                ed.set_value(values[col.id])
            ed.changed.connect(lambda r=row: self._cell_changed(r))
            label = QLabel(plain(col.label) + (" *" if col.required else ""))
            label.setWordWrap(True)
            label.setToolTip(self.describe_cell(col.help + " " + col.label))
            ed.describe(self.describe_cell(col.help + " " + col.label))
            label.setBuddy(ed.focus_widget())
            problem = QLabel()
            problem.setWordWrap(True)
            problem.setStyleSheet(PROBLEM_STYLE)
            problem.setAccessibleName(f"Problem with {plain(col.label)[:80]}")
            problem.hide()
            holder = QWidget()
            cell = QVBoxLayout(holder)
            cell.setContentsMargins(0, 0, 0, 0)
            cell.addWidget(ed.widget)
            cell.addWidget(problem)
            form.addRow(label, holder)
            row.editors[col.id], row.holders[col.id], row.problems[col.id] = ed, holder, problem
        remove = QPushButton("Remove this row")
        remove.setAccessibleName("Remove this row")
        remove.clicked.connect(lambda: self._remove(group))
        buttons = QHBoxLayout()
        buttons.addWidget(remove)
        buttons.addStretch()
        form.addRow(buttons)
        self.layout_.insertWidget(self.layout_.count() - 1, group)
        self.rows.append(row)
        self._name_row(row, n)
        self.rows_changed.emit()

    def _name_row(self, row: Row, n: int) -> None:
        """Each cell says its group and row ("Substances, row 2: Route"): the same question
        is asked in every row, and a screen reader must tell them apart."""
        qualify_names(row.group, f"{plain(self.spec.label)[:60]}, row {n}")

    def _drop(self, group: QGroupBox) -> None:
        """Out of the layout at once (so out of Tab's path), deleted later."""
        self.layout_.removeWidget(group)
        group.hide()
        group.deleteLater()
        self.rows_changed.emit()

    def _cell_changed(self, row: Row) -> None:
        row.touched = True
        self.changed.emit()

    def _remove(self, group: QGroupBox) -> None:
        self.rows = [r for r in self.rows if r.group is not group]
        self._drop(group)
        for i, r in enumerate(self.rows, 1):
            r.group.setTitle(f"Row {i}")
            self._name_row(r, i)
        self.changed.emit()

    # what the form view asks of it ----------------------------------------------------

    def show_problems(self, evaluation: Evaluation, reveal_all: bool) -> None:
        """Cell problems beside their cells (touched rows, or all on Finalise); live show_if."""
        cell = re.compile(rf"^{re.escape(self.spec.id)}\[(\d+)\]\.(.+)$")
        by_cell: dict[tuple[int, str], list[str]] = {}
        for p in evaluation.problems:
            m = cell.match(p.field or "")
            if m:
                by_cell.setdefault((int(m.group(1)), m.group(2)), []).append(_cell_message(p))
        for n, row in enumerate(self.rows):
            env = Env({**evaluation.values, **row.value()})
            for col in self.spec.fields:
                shown = col.show_if is None or eval_expr(col.show_if, env) is True
                row.form.setRowVisible(row.holders[col.id], shown)
                words = by_cell.get((n, col.id), []) if (row.touched or reveal_all) and shown else []
                label = row.problems[col.id]
                label.setText("\n".join(words))
                label.setVisible(bool(words))

    def value(self) -> Any:
        return [row.value() for row in self.rows] or None

    def set_value(self, value: Any) -> None:
        for row in self.rows:
            self._drop(row.group)
        self.rows = []
        for row in value if isinstance(value, list) else []:
            self._add_row(row if isinstance(row, dict) else {})

    def focus_widget(self) -> QWidget:
        return self.rows[0].editors[self.spec.fields[0].id].focus_widget() if self.rows else self.add_button


def _cell_message(p: Problem) -> str:
    """"Row 1 of 'Substances': 'Substance' is required." -> "'Substance' is required." under that cell."""
    return re.sub(r"^Row \d+ of '[^']*': ", "", p.message)
