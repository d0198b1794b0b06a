"""A signature pad: mouse, pen or touch. Strokes are kept in the pad's own unit square, so
they survive resizing; an empty pad gives no signature (the engine refuses it)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import (
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QTabletEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

Stroke = list[list[float]]


class SignaturePad(QWidget):
    strokes_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._strokes: list[Stroke] = []
        self._drawing = False
        self.setMinimumSize(320, 110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip("Sign here with the mouse, a pen or a finger")

    # data ---------------------------------------------------------------------------

    def strokes(self) -> list[Stroke]:
        """Strokes with at least two points, as [[x, y], ...] in 0–1000 pad units."""
        return [[[round(x * 1000, 1), round(y * 1000, 1)] for x, y in s] for s in self._strokes if len(s) >= 2]

    def set_strokes(self, strokes: list[Stroke]) -> None:
        self._strokes = [[[float(x) / 1000, float(y) / 1000] for x, y, *_ in s] for s in strokes]
        self.update()

    def clear(self) -> None:
        self._strokes = []
        self.update()
        self.strokes_changed.emit()

    # input --------------------------------------------------------------------------

    def _unit(self, p: QPointF) -> list[float]:
        return [min(max(p.x() / max(self.width(), 1), 0.0), 1.0), min(max(p.y() / max(self.height(), 1), 0.0), 1.0)]

    def _press(self, p: QPointF) -> None:
        self._drawing = True
        self._strokes.append([self._unit(p)])
        self.update()

    def _move(self, p: QPointF) -> None:
        if self._drawing:
            self._strokes[-1].append(self._unit(p))
            self.update()

    def _release(self) -> None:
        if self._drawing:
            self._drawing = False
            self.strokes_changed.emit()

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        self._press(e.position())

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        self._move(e.position())

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        self._release()

    def tabletEvent(self, e: QTabletEvent) -> None:  # noqa: N802
        kind = e.type()
        if kind == QTabletEvent.Type.TabletPress:
            self._press(e.position())
        elif kind == QTabletEvent.Type.TabletMove:
            self._move(e.position())
        else:
            self._release()
        e.accept()

    # drawing ------------------------------------------------------------------------

    def paintEvent(self, e: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        painter.setPen(QPen(Qt.GlobalColor.gray, 1, Qt.PenStyle.DashLine))
        base = self.height() - 18
        painter.drawLine(12, base, self.width() - 12, base)
        painter.setPen(QPen(Qt.GlobalColor.darkBlue, 2.2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                            Qt.PenJoinStyle.RoundJoin))
        for s in self._strokes:
            path = QPainterPath(QPointF(s[0][0] * self.width(), s[0][1] * self.height()))
            for x, y in s[1:]:
                path.lineTo(x * self.width(), y * self.height())
            painter.drawPath(path)
        if not self._strokes:
            painter.setPen(Qt.GlobalColor.gray)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Sign here")
