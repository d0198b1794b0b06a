"""Small building blocks shared by the screens."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

PROBLEM_STYLE = "QLabel { color: #B00020; } QLabel[ok=\"true\"] { color: #1B5E20; }"


def heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
    label.setAccessibleName(text)
    return label


def problem_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(PROBLEM_STYLE)
    label.setAccessibleName("Message")
    return label


def password_field(accessible_name: str) -> QLineEdit:
    """A passphrase box: hidden text, and assistive technology is given only its name."""
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(accessible_name)
    field.setAccessibleDescription("Hidden text")
    return field


def centred_column(page: QWidget, width: int = 640) -> QVBoxLayout:
    """A readable column in the middle of a full-window page; returns its layout."""
    inner = QWidget()
    inner.setMaximumWidth(width)
    row = QHBoxLayout(page)
    row.addStretch(1)
    row.addWidget(inner, 3, Qt.AlignmentFlag.AlignTop)
    row.addStretch(1)
    column = QVBoxLayout(inner)
    column.setContentsMargins(0, 48, 0, 0)
    return column
