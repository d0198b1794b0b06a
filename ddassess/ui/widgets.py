"""Small building blocks shared by the screens."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

PROBLEM_STYLE = "QLabel { color: #B00020; } QLabel[ok=\"true\"] { color: #1B5E20; }"
# The option with the keyboard focus stands out (the style's dotted line is hard to see):
# a blue frame and tint; the frame is always there, transparent, so nothing moves.
FOCUS_STYLE = ("QRadioButton, QCheckBox { border: 2px solid transparent; border-radius: 3px; padding: 1px 3px; }"
               "QRadioButton:focus, QCheckBox:focus { border-color: #1D4ED8; background: #DBEAFE; }")


def application() -> QApplication:
    """The running QApplication (the widgets exist only inside one)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication), "ddassess widgets need a QApplication"
    return app


class _RelativeFont(QObject):
    """Keeps its widget's font ``factor`` times the application's, also after the text size
    changes in Settings (``apply_text_size`` finds it): a font set on a widget is otherwise
    fixed at the size it was set."""

    def __init__(self, widget: QWidget, factor: float, weight: QFont.Weight) -> None:
        super().__init__(widget)
        self.widget, self.factor, self.weight = widget, factor, weight
        self.apply()

    def apply(self) -> None:
        font = QFont(QApplication.font())
        font.setPointSizeF(font.pointSizeF() * self.factor)
        font.setWeight(self.weight)
        self.widget.setFont(font)


def relative_font(widget: QWidget, factor: float, weight: QFont.Weight = QFont.Weight.Normal) -> None:
    """``widget``'s text ``factor`` times the application's size, following it when it changes."""
    _RelativeFont(widget, factor, weight)


def heading(text: str) -> QLabel:
    label = QLabel(text)
    relative_font(label, 1.5, QFont.Weight.DemiBold)
    label.setAccessibleName(text)
    return label


class _Repolish(QObject):
    """Style sheets do not follow a dynamic property by themselves: re-apply on each change,
    so ``label.setProperty("ok", True)`` turns a message green at once."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.DynamicPropertyChange and isinstance(obj, QWidget):
            obj.style().unpolish(obj)
            obj.style().polish(obj)
        return False


def problem_label() -> QLabel:
    """A message under a field: red for a problem; green when its ``ok`` property is true."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(PROBLEM_STYLE)
    label.setAccessibleName("Message")
    label.installEventFilter(_Repolish(label))
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


# --- passphrase strength --------------------------------------------------------------

COMMON_PASSWORDS = frozenset("""
password passw0rd p@ssw0rd 123456 1234567 12345678 123456789 1234567890 qwerty qwertyuiop azerty
letmein iloveyou welcome admin administrator monkey dragon football baseball abc123 trustno1 sunshine
princess master shadow superman batman michael jennifer charlie liverpool chelsea arsenal starwars
whatever freedom secret changeme default login hello computer internet summer winter autumn spring
""".split())
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890", "abcdefghijklmnopqrstuvwxyz")
LEET = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})


def _predictable(text: str) -> list[bool]:
    """Which characters add (almost) nothing: repeats of the one before, the next step of a
    sequence or a keyboard row, or any character of a block that repeats an earlier block."""
    low = text.lower()
    flags = [False] * len(text)
    for i in range(1, len(low)):
        a, b = low[i - 1], low[i]
        step = ord(b) - ord(a)
        in_row = any(a + b in row or b + a in row for row in KEYBOARD_ROWS)
        if a == b or (abs(step) == 1 and a.isalnum() and b.isalnum()) or in_row:
            flags[i] = True
    for size in range(2, len(low) // 2 + 1):  # "abcabcabc": after the first "abc", nothing new
        for start in range(size, len(low) - size + 1):
            if low[start:start + size] == low[start - size:start]:
                for j in range(start, start + size):
                    flags[j] = True
    return flags


def passphrase_strength(text: str, min_length: int = 10) -> tuple[int, str, str]:
    """(0–4, word, advice): an estimate of guessing effort in bits, not a promise.

    Each character is worth log2 of the size of the character classes used (lower, upper,
    digits, symbols, others); a character that repeats, continues a sequence or keyboard
    row, or repeats an earlier block is worth one bit; a passphrase that is a common
    password (letters swapped for look-alike digits included) with a few extra
    characters is weak whatever its length. Bands: under 40 bits weak, under 64 fair.
    """
    if len(text) < min_length:
        return 0, "too short", f"Use at least {min_length} characters: a few unrelated words work well."
    pool = 0
    pool += 26 if any(c.islower() for c in text) else 0
    pool += 26 if any(c.isupper() for c in text) else 0
    pool += 10 if any(c.isdigit() for c in text) else 0
    pool += 33 if any(c.isascii() and not c.isalnum() for c in text) else 0
    pool += 100 if any(not c.isascii() for c in text) else 0
    per_char = math.log2(max(pool, 2))
    bits = sum(1.0 if p else per_char for p in _predictable(text))
    core = "".join(c for c in text.lower().translate(LEET) if c.isalpha())
    if any(core.startswith(w) or core.endswith(w) for w in COMMON_PASSWORDS if len(w) >= 5) and \
            len(core) - max(len(w) for w in COMMON_PASSWORDS if w in core) <= 4:
        return 1, "weak", "This is a well-known password with a little added: choose unrelated words instead."
    if bits < 40:
        return 1, "weak", "Easy to guess: add more unrelated words, or avoid repeats and sequences."
    if bits < 64:
        return 2, "fair", "Fair: one or two more unrelated words would make it strong."
    return 3 if bits < 90 else 4, "strong", "Hard to guess: a good choice, as long as you can remember it."


class PassphraseStrength(QWidget):
    """A bar and words under a new-passphrase box: too short, weak, fair or strong.

    Call ``watch(line_edit)``; the text itself is never given to assistive technology,
    only the verdict.
    """

    COLOURS = {0: "#B00020", 1: "#B00020", 2: "#8A5A00", 3: "#1B5E20", 4: "#1B5E20"}

    def __init__(self, parent: QWidget | None = None, min_length: int = 10) -> None:
        super().__init__(parent)
        self.min_length = min_length
        self.bar = QProgressBar()
        self.bar.setRange(0, 4)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        self.bar.setAccessibleName("Passphrase strength")
        self.words = QLabel()
        self.words.setWordWrap(True)
        self.words.setAccessibleName("Passphrase strength")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.bar)
        column.addWidget(self.words)
        self.score, self.verdict = 0, ""
        self.show_text("")

    def watch(self, field: QLineEdit) -> None:
        field.textChanged.connect(self.show_text)

    def show_text(self, text: str) -> None:
        if not text:
            self.score, self.verdict = 0, ""
            self.bar.setValue(0)
            self.words.setText("")
            self.bar.setAccessibleDescription("Nothing typed yet")
            return
        self.score, self.verdict, advice = passphrase_strength(text, self.min_length)
        self.bar.setValue(max(self.score, 1) if self.verdict != "too short" else 0)
        colour = self.COLOURS[self.score]
        self.bar.setStyleSheet(f"QProgressBar::chunk {{ background: {colour}; }}")
        self.words.setText(f"<b style='color:{colour}'>Strength: {self.verdict}</b> — {advice}")
        self.bar.setAccessibleDescription(f"{self.verdict}. {advice}")


# --- the keyboard's path through a screen ---------------------------------------------

def in_layout_order(root: QWidget) -> list[QWidget]:
    """Every control under ``root`` that can take the focus, in the order its layouts show
    them (row by row of a form, cell by cell of a repeating group), whatever order they were
    made in. Those Tab passes over (the options of a question other than its Tab stop) are
    listed too: left out, ``chain_tab_order`` would leave them at the end of the chain, and
    Tab from one of them would jump there."""
    found: list[QWidget] = []

    def visit_layout(layout: QLayout | None) -> None:
        for i in range(layout.count() if layout is not None else 0):
            item = layout.itemAt(i) if layout is not None else None
            if item is None:
                continue
            if (child := item.widget()) is not None:
                visit_widget(child)
            else:
                visit_layout(item.layout())

    def visit_widget(w: QWidget) -> None:
        if w.focusPolicy() != Qt.FocusPolicy.NoFocus and not w.isWindow():
            found.append(w)
        visit_layout(w.layout())

    visit_layout(root.layout())
    return found


def chain_tab_order(widgets: list[QWidget]) -> None:
    """Tab goes from each of ``widgets`` to the next; the rest of the window's chain stays."""
    for before, after in zip(widgets, widgets[1:], strict=False):
        QWidget.setTabOrder(before, after)


def qualify_names(root: QWidget, context: str) -> None:
    """Put ``context`` before the accessible name of ``root`` and of every control in it, so
    a question asked in several places says which one it is ("Risk to others: Is this risk
    present now or in the history?: Yes"). Called again with another context, it replaces
    the first (a renumbered row)."""
    for w in [root, *root.findChildren(QWidget)]:
        base = w.property("unqualified_name")
        if base is None:
            base = w.accessibleName()
            w.setProperty("unqualified_name", base)
        if base:
            w.setAccessibleName(f"{context}: {base}")


# --- text size ------------------------------------------------------------------------

_SYSTEM_FONT: list[QFont] = []  # the system's font, as the application started with it


def apply_text_size(points: int) -> None:
    """The whole application's text at ``points`` (0: the system's size), at once. Qt leaves
    a widget with a style sheet (and all inside it) at the old size, even when the sheet is
    set again: it is taken off and put back. Fonts relative to the application's follow."""
    app = application()
    if not _SYSTEM_FONT:
        _SYSTEM_FONT.append(QFont(app.font()))
    font = QFont(_SYSTEM_FONT[0])
    if points:
        font.setPointSize(points)
    if font == app.font():
        return
    app.setFont(font)
    for top in app.topLevelWidgets():
        for relative in top.findChildren(_RelativeFont):
            relative.apply()
        for w in [top, *top.findChildren(QWidget)]:
            if sheet := w.styleSheet():
                w.setStyleSheet("")
                w.setStyleSheet(sheet)
        top.updateGeometry()


def grow_to_fit_wrapped(window: QWidget) -> None:
    """A window as tall as its wrapped lines need at its width (Qt sizes a window from its
    size hint, which does not follow height-for-width: a long note would be cut off)."""
    layout = window.layout()
    if layout is None:
        return
    layout.activate()
    if layout.hasHeightForWidth():
        needed = layout.totalHeightForWidth(window.width())
        if needed > window.height():
            window.resize(window.width(), needed)
