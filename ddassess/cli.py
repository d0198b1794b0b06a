"""The ``ddassess`` command: the desktop client by default, plus headless subcommands."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from ddassess import __version__
from ddassess.errors import UserCancelled, UserFacingError
from ddassess.logs import logging_for_session, write_crash_report


def build_parser() -> argparse.ArgumentParser:
    from ddassess.commands import careplan as careplan_cmds
    from ddassess.commands import case as case_cmds
    from ddassess.commands import cases as cases_cmds
    from ddassess.commands import conflicts as conflicts_cmds
    from ddassess.commands import demo as demo_cmds
    from ddassess.commands import exchange as exchange_cmds
    from ddassess.commands import forms as forms_cmds
    from ddassess.commands import interchange as interchange_cmds
    from ddassess.commands import pdf as pdf_cmds
    from ddassess.commands import recovery as recovery_cmds
    from ddassess.commands import report as report_cmds
    from ddassess.commands import signing as signing_cmds
    from ddassess.commands import store as store_cmds
    from ddassess.commands import sync as sync_cmds
    from ddassess.commands import team as team_cmds

    parser = argparse.ArgumentParser(
        prog="ddassess",
        description="Joint dual-diagnosis assessment on an encrypted local case store. "
        "With no command, starts the desktop client.",
    )
    parser.add_argument("--version", action="version", version=f"ddassess {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use the separate demo store with fictional people (created on first use)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (never case data)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    store_cmds.register(sub)
    forms_cmds.register(sub)
    demo_cmds.register(sub)
    pdf_cmds.register(sub)
    signing_cmds.register(sub)
    careplan_cmds.register(sub)
    recovery_cmds.register(sub)
    cases_cmds.register(sub)
    team_cmds.register(sub)
    case_cmds.register(sub)
    exchange_cmds.register(sub)
    sync_cmds.register(sub)
    conflicts_cmds.register(sub)
    interchange_cmds.register(sub)
    report_cmds.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    with logging_for_session(verbose=args.verbose):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            from ddassess.commands.gui import run_gui

            return run_gui(args)
        return int(handler(args) or 0)
    except UserCancelled:
        return 130
    except UserFacingError as exc:
        print(f"ddassess: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ddassess: stopped.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_went_away()
    except Exception as exc:  # noqa: BLE001 - the last resort: a bug, reported without its details
        return _report_bug(exc)


def _reader_went_away() -> int:
    """What the command printed is read by another program that stopped reading (``| head``):
    not a fault. Nothing more is written (Python's own flush at exit would fail again), and
    the exit status is a shell's for a program stopped by SIGPIPE."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + signal.SIGPIPE


def _report_bug(exc: Exception) -> int:
    """Say that something unexpected went wrong, by type only, and where the details are.

    An exception's message can hold SQL with its parameters, or case data; so neither the
    terminal nor the crash report gets it (see ddassess.logs, the same for the desktop client).
    """
    kind = type(exc).__name__
    path = write_crash_report(exc)
    where = f"details for a bug report (no case data) are in {path}" if path else "the log could not be written"
    print(f"ddassess: an unexpected error ({kind}) stopped this command; {where}. "
          "Everything saved before it is safe in the encrypted store.", file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
