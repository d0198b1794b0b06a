"""The Qt binding itself must not corrupt Python: PySide6 6.12.0 drops a reference to None
on every call of a Qt method that returns nothing (``update()``, ``setText()``,
``processEvents()``...). On Python 3.11, where None is not immortal, a few thousand such
calls later the process dies with "Fatal Python error: none_dealloc" — mid-visit, with a
form open. pyproject.toml keeps that release out; this test fails if it comes back."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel


def test_qt_calls_that_return_nothing_leave_none_alone(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for i in range(1000):  # few enough that a bad release fails here rather than aborting the run
        label.setText("x" if i % 2 else "y")
        label.update()
    leaked = before - sys.getrefcount(None)
    assert abs(leaked) < 500, f"{leaked} references to None lost in 2,000 Qt calls: this PySide6 release is unsafe"
