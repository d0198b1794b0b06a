"""A signature pad: mouse, pen or finger.

Strokes live in a fixed 3:1 box, measured 0–1000 across and 0–333 down (one scale for
both axes), and are drawn letterboxed in the middle of the pad: a signature keeps its
shape when the window is resized, and the PDF can draw it with one scale too. (Strokes
saved before the box had 0–1000 down as well; they are squeezed back into the box.)

A signature must be a signature: a click or a tiny flick (fewer than ``MIN_POINTS``
points, or ink smaller than ``MIN_SPAN`` of the box each way) is refused with a message
beside the pad, so nobody "signs" a care plan by brushing the touchpad.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

Stroke = list[list[float]]
BOX_W, BOX_H = 1000.0, 1000.0 / 3  # the stored box: 3 wide for 1 high
MIN_POINTS = 10
MIN_SPAN = (0.06, 0.12)  # of the box's width and height


class SignaturePad(QWidget):
    strokes_changed = Signal()
    refused = Signal(str)  # why the ink was not taken as a signature

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._strokes: list[Stroke] = []  # in box units
        self._drawing = False
        self.setMinimumSize(330, 110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip("Sign here with the mouse, a pen or a finger")

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(480, 160)

    # data ---------------------------------------------------------------------------

    def strokes(self) -> list[Stroke]:
        """Strokes with at least two points, as [[x, y], ...] in box units (x 0–1000, y 0–333)."""
        return [[[round(x, 1), round(y, 1)] for x, y in s] for s in self._strokes if len(s) >= 2]

    def set_strokes(self, strokes: list[Stroke]) -> None:
        """Stored strokes back on the pad; points that are not two numbers are skipped, not fatal."""
        clean = [[[float(p[0]), float(p[1])] for p in s if isinstance(p, list | tuple) and len(p) >= 2
                  and all(isinstance(c, int | float) and not isinstance(c, bool) for c in p[:2])]
                 for s in strokes if isinstance(s, list)]
        clean = [s for s in clean if s]
        ys = [p[1] for s in clean for p in s]
        squeeze = BOX_H / BOX_W if ys and max(ys) > BOX_H + 1 else 1.0  # an old 0–1000 y
        self._strokes = [[[x, y * squeeze] for x, y in s] for s in clean]
        self.update()

    def clear(self) -> None:
        self._strokes = []
        self.update()
        self.strokes_changed.emit()

    def too_small(self) -> bool:
        """True when there is ink but too little of it to be anyone's signature."""
        points = [p for s in self._strokes for p in s]
        if not points:
            return False
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return (len(points) < MIN_POINTS or (max(xs) - min(xs) < MIN_SPAN[0] * BOX_W
                                             and max(ys) - min(ys) < MIN_SPAN[1] * BOX_H))

    # geometry -----------------------------------------------------------------------

    def box(self) -> QRectF:
        """The largest 3:1 rectangle centred in the pad, a small margin inside it."""
        area = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        w = min(area.width(), area.height() * BOX_W / BOX_H)
        h = w * BOX_H / BOX_W
        return QRectF(area.center().x() - w / 2, area.center().y() - h / 2, w, h)

    def _to_box(self, p: QPointF) -> list[float]:
        b = self.box()
        scale = BOX_W / max(b.width(), 1.0)
        return [min(max((p.x() - b.x()) * scale, 0.0), BOX_W), min(max((p.y() - b.y()) * scale, 0.0), BOX_H)]

    def _to_pad(self, x: float, y: float) -> QPointF:
        b = self.box()
        scale = b.width() / BOX_W
        return QPointF(b.x() + x * scale, b.y() + y * scale)

    # input --------------------------------------------------------------------------

    def _press(self, p: QPointF) -> None:
        self._drawing = True
        self._strokes.append([self._to_box(p)])
        self.update()

    def _move(self, p: QPointF) -> None:
        if self._drawing:
            self._strokes[-1].append(self._to_box(p))
            self.update()

    def _release(self) -> None:
        if not self._drawing:
            return
        self._drawing = False
        if self.too_small():
            self._strokes = []
            self.update()
            self.refused.emit("That is too small to be a signature. Ask the person to sign across the box, "
                              "or record a verbal agreement instead.")
        self.strokes_changed.emit()

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        self._press(e.position())

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        self._move(e.position())

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        self._release()

    def tabletEvent(self, e: QTabletEvent) -> None:  # noqa: N802
        kind = e.type()
        if kind == QEvent.Type.TabletPress:
            self._press(e.position())
        elif kind == QEvent.Type.TabletMove:
            self._move(e.position())
        else:
            self._release()
        e.accept()

    def event(self, e: QEvent) -> bool:
        """A finger on a touch screen: the first touch point draws, as a mouse would."""
        kind = e.type()
        if kind in (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd, QEvent.Type.TouchCancel):
            assert isinstance(e, QTouchEvent)
            points = e.points()
            if kind == QEvent.Type.TouchBegin and points:
                self._press(points[0].position())
            elif kind == QEvent.Type.TouchUpdate and points:
                self._move(points[0].position())
            else:
                self._release()
            e.accept()
            return True
        return super().event(e)

    # drawing ------------------------------------------------------------------------

    def paintEvent(self, e: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        b = self.box()
        painter.setPen(QPen(Qt.GlobalColor.gray, 1, Qt.PenStyle.DashLine))
        base = b.bottom() - b.height() * 0.15
        painter.drawLine(QPointF(b.left() + 6, base), QPointF(b.right() - 6, base))
        painter.setPen(QPen(Qt.GlobalColor.darkBlue, 2.2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                            Qt.PenJoinStyle.RoundJoin))
        for s in self._strokes:
            path = QPainterPath(self._to_pad(*s[0]))
            for x, y in s[1:]:
                path.lineTo(self._to_pad(x, y))
            painter.drawPath(path)
        if not self._strokes:
            painter.setPen(Qt.GlobalColor.gray)
            painter.drawText(b, Qt.AlignmentFlag.AlignCenter, "Sign here")
