"""What ddassess writes about itself: one rotating log and crash reports, never case data.

Both live in the user log folder (``paths.log_dir()``), readable by the owner only, and
are the same for the desktop client and the command line (docs/logging.md):

- ``ddassess.log`` (rotated at ``MAX_BYTES``, ``BACKUPS`` old files kept) holds the
  modules' own messages, which by rule name no case data: types, counts, the store's own
  file names. An exception attached to a record is written as its type and frames only.
- ``crash-<time>.log`` is written for an exception nothing handled: its type and where in
  the code it happened, for it and the exceptions chained to it.

A frame is file, line and function. Never written: an exception's message (it can quote
SQL with its parameters, or a value someone typed), source lines (they can quote a
literal), local variables.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import Any

from ddassess import __version__
from ddassess.fileio import atomic_write
from ddassess.paths import ensure_private_dir, log_dir

log = logging.getLogger(__name__)

LOG_NAME = "ddassess.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
_CHAIN_LIMIT = 8
# A record with this attribute set (``extra={FILE_ONLY: True}``) goes to the log file only,
# not to the terminal: the command line says the same thing in its own words.
FILE_ONLY = "ddassess_file_only"


def _type_name(kind: type[BaseException]) -> str:
    module = kind.__module__
    return kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"


def _frames(tb: TracebackType | None) -> list[str]:
    # walk_tb and the code objects: unlike traceback.extract_tb, no source file is read.
    return [f"  {frame.f_code.co_filename}:{lineno} in {frame.f_code.co_name}\n"
            for frame, lineno in traceback.walk_tb(tb)]


def describe(exc: BaseException) -> str:
    """The type and frames of ``exc`` and of the exceptions chained to it; no messages, no source."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < _CHAIN_LIMIT:
        seen.add(id(current))
        lines.append(f"{_type_name(type(current))}\n")
        lines.extend(_frames(current.__traceback__))
        if current.__cause__ is not None:
            current = current.__cause__
            lines.append("caused by ")
        elif current.__context__ is not None and not current.__suppress_context__:
            current = current.__context__
            lines.append("while handling ")
        else:
            current = None
    return "".join(lines)


def write_crash_report(exc: BaseException) -> Path | None:
    """Write the crash report of ``exc``; its path, or None when it could not be written."""
    now = dt.datetime.now(dt.UTC)
    text = f"ddassess {__version__} on Python {sys.version.split()[0]}, {now:%Y-%m-%d %H:%M:%S} UTC\n" \
           f"unexpected {describe(exc)}"
    try:
        folder = ensure_private_dir(log_dir())
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        path = folder / f"crash-{stamp}.log"
        n = 1
        while path.exists():  # two crashes in one second (a dialog's crash, then the command's)
            n += 1
            path = folder / f"crash-{stamp}-{n}.log"
        atomic_write(path, text.encode("utf-8"))
    except OSError as write_error:
        log.error("crash report not written: %s", type(write_error).__name__)
        return None
    log.error("unexpected %s: crash report %s", _type_name(type(exc)), path.name, extra={FILE_ONLY: True})
    return path


class SafeFormatter(logging.Formatter):
    """Formats exceptions as their type and frames only, and leaves stacks out."""

    def format(self, record: logging.LogRecord) -> str:
        # Another handler may have cached the full traceback on the record: never reuse it.
        cached = record.exc_text
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei: Any) -> str:
        exc = ei[1] if isinstance(ei, tuple) else None
        return describe(exc).rstrip("\n") if isinstance(exc, BaseException) else ""

    def formatStack(self, stack_info: str) -> str:
        return "(stack left out: it quotes source lines)"


class _NotFileOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, FILE_ONLY, False)


class _OwnRecords(logging.Filter):
    """ddassess's own records only: a library's (pyHanko warns with frames when it meets a
    changed document, which ``pdf verify`` reports in its own words) goes to the file."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name == "ddassess" or record.name.startswith("ddassess.")


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """Opens its file only when there is something to write, in a private folder, as 0600."""

    _warned = False

    def _open(self) -> io.TextIOWrapper:
        ensure_private_dir(Path(self.baseFilename).parent)
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        # logging's default prints a traceback and the record's arguments to stderr.
        if not self._warned:
            self._warned = True
            kind = type(sys.exc_info()[1]).__name__
            print(f"ddassess: the log in {Path(self.baseFilename).parent} cannot be written ({kind}); "
                  "carrying on without it.", file=sys.stderr)


@contextmanager
def logging_for_session(verbose: bool = False) -> Iterator[Path]:
    """Send log records to the rotating log (INFO and up) and, unless the host already has
    handlers, to stderr (ddassess's own WARNING and up; with ``verbose``, every INFO and up);
    undone on leaving. Yields the log file's path."""
    root = logging.getLogger()
    path = log_dir() / LOG_NAME
    handlers: list[logging.Handler] = []
    to_file = _PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8",
                                          delay=True)
    to_file.setLevel(logging.INFO)
    to_file.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handlers.append(to_file)
    if not root.handlers:  # as logging.basicConfig: a host's handlers (pytest's) stay in charge
        to_terminal = logging.StreamHandler(sys.stderr)
        to_terminal.setLevel(logging.INFO if verbose else logging.WARNING)
        to_terminal.setFormatter(SafeFormatter("%(levelname)s %(name)s: %(message)s"))
        to_terminal.addFilter(_NotFileOnly())
        if not verbose:
            to_terminal.addFilter(_OwnRecords())
        handlers.append(to_terminal)
    level = root.level
    root.setLevel(logging.INFO)
    for handler in handlers:
        root.addHandler(handler)
    try:
        yield path
    finally:
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
