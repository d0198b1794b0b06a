"""One place that decides how an error is shown, and the crash handler.

``UserCancelled`` is silent; a ``UserFacingError`` is a warning in its own words; anything
else is a bug: logged (traceback only — never field values) and shown as a crash dialog
that says the work saved so far is safe.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

from ddassess.errors import UserCancelled, UserFacingError

log = logging.getLogger(__name__)


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    if isinstance(exc, UserCancelled):
        return
    if isinstance(exc, UserFacingError):
        QMessageBox.warning(parent, "ddassess", str(exc))
        return
    _crash_dialog(parent, type(exc), exc, exc.__traceback__)


def _crash_dialog(parent: QWidget | None, kind: type[BaseException], exc: BaseException,
                  tb: TracebackType | None) -> None:
    frames = "".join(traceback.format_tb(tb))
    log.error("unexpected error %s\n%s", kind.__name__, frames)
    box = QMessageBox(QMessageBox.Icon.Critical, "ddassess — unexpected error",
                      "Something went wrong inside ddassess. Everything saved so far is safe in the encrypted "
                      "store. Please tell your team lead what you were doing.", parent=parent)
    box.setDetailedText(f"{kind.__name__}\n{frames}")
    box.exec()


def install_excepthook() -> None:
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        if isinstance(exc, UserFacingError | UserCancelled):
            show_error(None, exc)
            return
        _crash_dialog(None, kind, exc, tb)

    sys.excepthook = hook
