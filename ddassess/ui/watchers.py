"""Two small event filters the window uses: user input restarts the idle timer, and a
callback runs once a widget has been painted."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

_INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
                 QEvent.Type.TabletPress, QEvent.Type.TouchBegin}


class IdleWatcher(QObject):
    """Restarts the idle timer on any user input anywhere in the application."""

    def __init__(self, timer: QTimer, parent: QObject) -> None:
        super().__init__(parent)  # deleted with the window, and then Qt drops the filter too
        self.timer = timer

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in _INPUT_EVENTS and self.timer.isActive():
            self.timer.start()
        return False


class AfterFirstPaint(QObject):
    """Calls ``then`` once ``widget`` has been painted (after that paint, from the event loop)."""

    def __init__(self, widget: QWidget, then: Callable[[], None]) -> None:
        super().__init__(widget)
        self.then = then
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            QTimer.singleShot(0, self.then)
            self.deleteLater()
        return False
