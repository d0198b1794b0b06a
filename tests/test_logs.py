"""One log policy for the desktop client and the command line (ddassess.logs).

A crash in either writes the same kind of crash report: type and frames (file, line,
function), never the exception's message, a source line or a local value. The crashes
here are injected into real code paths by replacing one function with ``_explode``,
whose message, source line and locals all carry a fictional marker that must not appear
in anything written.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import sys
from pathlib import Path

import pytest

from ddassess import logs, paths
from ddassess.cli import main

MARKER = "Fictiona Crashmarker-4471"
_HEADER = re.compile(r"ddassess \S+ on Python \S+, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
_TYPE = re.compile(r"(unexpected |caused by |while handling )[\w.]+")
_FRAME = re.compile(r"  \S+\.py:\d+ in [\w<>.]+")


def _explode(*args: object, **kwargs: object) -> None:
    secret = MARKER  # a local holding case data
    people: dict[str, str] = {}
    try:
        people[secret]
    except KeyError as exc:
        raise ValueError("Fictiona Crashmarker-4471 could not be read: " + secret) from exc


def _crash_reports(data_home: Path) -> list[Path]:
    return sorted((data_home / "logs").glob("crash-*.log"))


def _check_report(path: Path) -> list[str]:
    """The report's lines, each a header, a type or a frame; the functions it names."""
    text = path.read_text(encoding="utf-8")
    assert MARKER not in text and "could not be read" not in text and "secret" not in text
    lines = text.splitlines()
    assert _HEADER.fullmatch(lines[0]), lines[0]
    assert lines[1] == "unexpected ValueError"
    for line in lines[1:]:
        assert _TYPE.fullmatch(line) or _FRAME.fullmatch(line), line
    assert "caused by KeyError" in lines
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    return [line.rsplit(" in ", 1)[1] for line in lines if _FRAME.fullmatch(line)]


def test_a_crash_of_a_command_writes_a_report_without_case_data(data_home, monkeypatch, capsys):
    monkeypatch.setattr("ddassess.commands.forms._catalogue", _explode)
    assert main(["forms", "list"]) == 1
    err = capsys.readouterr().err
    [report] = _crash_reports(data_home)
    assert f"an unexpected error (ValueError) stopped this command; details for a bug report (no case data) " \
           f"are in {report}." in err
    assert MARKER not in err
    functions = _check_report(report)
    assert functions[:2] == ["_run", "cmd_list"] and functions.count("_explode") == 2
    logged = (data_home / "logs" / logs.LOG_NAME).read_text(encoding="utf-8")
    assert f"ERROR ddassess.logs: unexpected ValueError: crash report {report.name}" in logged
    assert MARKER not in logged


@pytest.mark.qt_no_exception_capture  # the application's own excepthook is under test
def test_a_crash_in_the_desktop_client_writes_the_same_report(qtbot, data_home):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from ddassess.ui.errors import install_excepthook

    shown: list[tuple[str, str]] = []

    def close_the_crash_dialog() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, close_the_crash_dialog)
            return
        shown.append((box.text(), box.detailedText()))
        box.done(0)

    previous = sys.excepthook
    install_excepthook()
    try:
        with logs.logging_for_session():
            QTimer.singleShot(0, close_the_crash_dialog)
            QTimer.singleShot(0, _explode)  # a slot that raises, as a button's handler could
            qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    finally:
        sys.excepthook = previous
    [report] = _crash_reports(data_home)
    functions = _check_report(report)
    assert functions.count("_explode") == 2
    text, details = shown[0]
    assert "Everything saved so far is safe" in text and str(report) in text
    assert details == report.read_text(encoding="utf-8").split("\n", 1)[1].removeprefix("unexpected ")
    assert MARKER not in text + details
    logged = (data_home / "logs" / logs.LOG_NAME).read_text(encoding="utf-8")
    assert f"unexpected ValueError: crash report {report.name}" in logged and MARKER not in logged


def test_an_exception_in_the_log_is_its_type_and_frames_only(data_home):
    log = logging.getLogger("ddassess.test_logs")
    with logs.logging_for_session():
        try:
            _explode()
        except ValueError:
            log.exception("reading a row failed")
        log.warning("a stack", stack_info=True)
    logged = (data_home / "logs" / logs.LOG_NAME).read_text(encoding="utf-8")
    assert "ERROR ddassess.test_logs: reading a row failed\nValueError\n" in logged
    assert re.search(r"\n  \S+test_logs\.py:\d+ in _explode\ncaused by KeyError\n", logged)
    assert MARKER not in logged and "could not be read" not in logged
    assert "stack_info=True" not in logged and "(stack left out: it quotes source lines)" in logged


def test_the_log_rotates_and_keeps_a_bounded_number_of_files(data_home):
    log = logging.getLogger("ddassess.test_logs")
    line = "x" * 1000
    root_handlers = list(logging.getLogger().handlers)
    with logs.logging_for_session() as path:
        for n in range(int(logs.MAX_BYTES * (logs.BACKUPS + 1.5)) // len(line)):
            log.info("%d %s", n, line)
    assert logging.getLogger().handlers == root_handlers  # nothing left behind
    kept = sorted(p.name for p in path.parent.iterdir())
    assert kept == [logs.LOG_NAME] + [f"{logs.LOG_NAME}.{n}" for n in range(1, logs.BACKUPS + 1)]
    for name in kept:
        size = (path.parent / name).stat().st_size
        assert size <= logs.MAX_BYTES
        assert stat.S_IMODE((path.parent / name).stat().st_mode) == 0o600
    newest = path.read_text(encoding="utf-8").splitlines()[-1]
    assert newest.endswith(f"INFO ddassess.test_logs: {n} {line}")


def test_nothing_logged_makes_no_log_file(data_home):
    with logs.logging_for_session() as path:
        logging.getLogger("ddassess.test_logs").debug("below the log's level")
    assert not path.parent.exists()


def test_without_ddassess_home_logs_go_to_the_user_log_folder(monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.delenv("DDASSESS_HOME")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert paths.log_dir() == Path(platformdirs.user_log_dir("ddassess", appauthor=False))
    assert paths.log_dir().is_relative_to(tmp_path / "state")


def test_an_unwritable_log_folder_is_said_once_and_the_command_goes_on(data_home, capsys):
    data_home.mkdir(parents=True)
    (data_home / "logs").write_text("a file where the folder belongs")
    log = logging.getLogger("ddassess.test_logs")
    with logs.logging_for_session():
        log.warning("first")
        log.warning("second")
    err = capsys.readouterr().err
    assert err.count("cannot be written") == 1 and "Traceback" not in err
    assert os.path.isfile(data_home / "logs")


def test_a_librarys_warnings_go_to_the_log_not_the_terminal(data_home, tmp_path):
    """pyHanko warns, with frames, when it meets a changed document; ``pdf verify`` says so in
    its own words first, so the terminal shows ddassess's own records only (unless
    --verbose) and the library's stay in the log file."""
    import subprocess

    code = ("import logging\nfrom ddassess.logs import logging_for_session\n"
            "with logging_for_session(verbose={v}):\n"
            "    logging.getLogger('pyhanko.sign.diff_analysis').warning('library says %s', 'hello')\n"
            "    logging.getLogger('ddassess.pdf').warning('ddassess says %s', 'hello')\n")
    env = os.environ | {"DDASSESS_HOME": str(data_home)}
    quiet = subprocess.run([sys.executable, "-c", code.format(v=False)], env=env, capture_output=True, text=True,
                           timeout=60)
    assert "ddassess says hello" in quiet.stderr and "library says" not in quiet.stderr
    log_text = (data_home / "logs" / logs.LOG_NAME).read_text(encoding="utf-8")
    assert "library says hello" in log_text and "ddassess says hello" in log_text
    loud = subprocess.run([sys.executable, "-c", code.format(v=True)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert "library says hello" in loud.stderr
