"""One place that decides how an error is shown, and the crash handler.

``UserCancelled`` is silent; a ``UserFacingError`` is a warning in its own words; anything
else is a bug: a crash report is written as the command line writes one (ddassess.logs:
type and frames only, never messages, source lines or field values) and a crash dialog
says the work saved so far is safe and where the report is.
"""

from __future__ import annotations

import sys
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

from ddassess.errors import UserCancelled, UserFacingError
from ddassess.logs import describe, write_crash_report


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    if isinstance(exc, UserCancelled):
        return
    if isinstance(exc, UserFacingError):
        QMessageBox.warning(parent, "ddassess", str(exc))
        return
    _crash_dialog(parent, type(exc), exc, exc.__traceback__)


def _crash_dialog(parent: QWidget | None, kind: type[BaseException], exc: BaseException,
                  tb: TracebackType | None) -> None:
    if exc.__traceback__ is None and tb is not None:
        exc = exc.with_traceback(tb)
    report = write_crash_report(exc)
    where = f"Details for a bug report (no case data) are in {report}." if report else \
        "The crash report could not be written."
    box = QMessageBox(QMessageBox.Icon.Critical, "ddassess — unexpected error",
                      "Something went wrong inside ddassess. Everything saved so far is safe in the encrypted "
                      f"store. Please tell your team lead what you were doing. {where}", parent=parent)
    box.setDetailedText(describe(exc))
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
