"""A repeating group: one small form per row, with Add and Remove, built from the same
field editors as the rest of the form. Each row is headed by its number and its first
answer ("Need 2 — Housing"), and a form may offer whole rows to add with one click
(``offer``: the care plan's needs found by the assessment).

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
from ddassess.formengine.display import answer_text, row_title
from ddassess.formengine.expr import Env
from ddassess.formengine.expr import evaluate as eval_expr
from ddassess.formengine.row_ids import ROW_KEY, new_row_id, row_id
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
        self.row_id = new_row_id()  # kept for good: rows merge by it between laptops (formengine/row_ids.py)

    def value(self) -> dict[str, Any]:
        return {**{cid: v for cid, ed in self.editors.items() if (v := ed.value()) is not None}, ROW_KEY: self.row_id}


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
        # Rows the form offers to add with one click (a care plan's needs found by the assessment).
        self.suggestions: list[tuple[dict[str, Any], QPushButton]] = []
        self.suggestion_box = QGroupBox("Suggested from the assessment: add those agreed with the person")
        self.suggestion_box.setAccessibleName(f"Suggested rows for “{plain(spec.label)}”")
        self.suggestion_list = QVBoxLayout(self.suggestion_box)
        self.suggestion_box.hide()
        self.layout_.addWidget(self.suggestion_box)
        self.read_only = False

    def _add_clicked(self) -> None:
        self._add_row({})
        self.changed.emit()
        self.rows[-1].editors[self.spec.fields[0].id].focus_widget().setFocus()

    def offer(self, suggestions: list[dict[str, Any]]) -> None:
        """One button per suggested row ("Add: Housing — Housing: at risk"); a click adds the
        row with those answers and puts the cursor in its first empty column. A suggestion
        that is already a row (same first two columns) is not offered."""
        layout = self.suggestion_list
        for _values, button in self.suggestions:
            button.deleteLater()
        self.suggestions = []
        for values in suggestions:
            words = " — ".join(t for col in self.spec.fields[:2] if (t := answer_text(col, values.get(col.id))))
            button = QPushButton(f"Add: {words}".replace("&", "&&"))  # an "&" typed is no shortcut
            button.setAccessibleName(f"Add to “{plain(self.spec.label)}”: {words}")
            button.clicked.connect(lambda _c=False, v=values: self._add_suggested(v))
            layout.addWidget(button)
            self.suggestions.append((values, button))
        self._show_suggestions()

    def _key(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values.get(col.id) for col in self.spec.fields[:2])

    def _show_suggestions(self) -> None:
        present = {self._key(row.value()) for row in self.rows}
        offered = False
        for values, button in self.suggestions:
            button.setVisible(not self.read_only and self._key(values) not in present)
            offered = offered or button.isVisibleTo(self.suggestion_box)
        self.suggestion_box.setVisible(offered)

    def _add_suggested(self, values: dict[str, Any]) -> None:
        self._add_row({k: v for k, v in values.items() if k != ROW_KEY})  # a new row: a new id
        self._show_suggestions()
        self.changed.emit()
        row = self.rows[-1]
        empty = next((ed for ed in row.editors.values() if ed.value() is None), None)
        (empty or next(iter(row.editors.values()))).focus_widget().setFocus()

    def set_read_only(self, read_only: bool) -> None:
        """A final form offers nothing to add."""
        self.read_only = read_only
        self._show_suggestions()

    def _add_row(self, values: dict[str, Any]) -> None:
        n = len(self.rows) + 1
        group = QGroupBox(_title(self.spec, n, values))
        form = QFormLayout(group)
        row = Row(group, form)
        row.row_id = row_id(values) or row.row_id
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
        self.layout_.insertWidget(self.layout_.indexOf(self.add_button), group)
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
        row.group.setTitle(_title(self.spec, self.rows.index(row) + 1, row.value()))
        self._show_suggestions()
        self.changed.emit()

    def _remove(self, group: QGroupBox) -> None:
        self.rows = [r for r in self.rows if r.group is not group]
        self._drop(group)
        for i, r in enumerate(self.rows, 1):
            r.group.setTitle(_title(self.spec, i, r.value()))
            self._name_row(r, i)
        self._show_suggestions()
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
        self._show_suggestions()

    def focus_widget(self) -> QWidget:
        return self.rows[0].editors[self.spec.fields[0].id].focus_widget() if self.rows else self.add_button


def _title(group: FieldSpec, n: int, row: dict[str, Any]) -> str:
    """The row's heading ("Need 1 — Housing"); an "&" in an answer is shown, not a shortcut."""
    return row_title(group, n, row).replace("&", "&&")


def _cell_message(p: Problem) -> str:
    """"Row 1 of 'Substances': 'Substance' is required." -> "'Substance' is required." under that cell."""
    return re.sub(r"^Row \d+ of '[^']*': ", "", p.message)
