"""``ddassess report ...``: the team lead's printed reports.

``report kpi --period 2026-Q3 --out FILE.pdf [--csv FILE.csv] [--named]``: the shared KPIs
for a period compared with the one before, as an A4 PDF (no names of people unless
``--named`` adds an appendix) and, with ``--csv``, the commissioners' aggregate table with
small numbers suppressed. Each file written is recorded in the audit trail.

Each report registers its own action in ``ACTIONS`` (the complex case review agenda adds
``report agenda`` beside ``kpi``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="the team lead's reports: shared KPIs for commissioners, meeting agendas")
    actions = p.add_subparsers(dest="report_command", metavar="ACTION", required=True)
    for add in ACTIONS:
        add(actions)


def _add_kpi(actions: argparse._SubParsersAction) -> None:
    k = actions.add_parser("kpi", help="the shared KPIs for a period, compared with the period before")
    k.add_argument("--period", required=True,
                   help="2026-Q3 (a quarter), 2026-07 (a month), 2026 (a year) or 2026-07-01..2026-08-15")
    k.add_argument("--out", type=Path, required=True, help="the PDF file to write")
    k.add_argument("--csv", type=Path, help="also write the commissioners' aggregate CSV (small numbers suppressed)")
    k.add_argument("--named", action="store_true",
                   help="add an appendix naming the complex high-risk cases (for the team, not commissioners)")
    k.set_defaults(handler=cmd_kpi)


def _add_agenda(actions: argparse._SubParsersAction) -> None:
    a = actions.add_parser("agenda", help="the complex case review meeting's agenda (names the people discussed)")
    a.add_argument("--out", type=Path, required=True, help="the PDF file to write")
    a.set_defaults(handler=cmd_agenda)


ACTIONS: list[Callable[[argparse._SubParsersAction], None]] = [_add_kpi, _add_agenda]


def cmd_kpi(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.domain.periods import parse_period
    from ddassess.services.careplan_files import check_writable
    from ddassess.services.team_report import write_kpi_csv, write_kpi_pdf

    period = parse_period(args.period)  # bad input is refused before anything is unlocked
    check_writable(args.out)
    if args.csv is not None:
        check_writable(args.csv)
    store, _ = open_for_cli(args)
    with store:
        written = write_kpi_pdf(store, period, args.out, named=args.named)
        print(f"Wrote the KPI report for {period.label} (compared with {period.previous().label}) to {written}")
        if args.csv is not None:
            write_kpi_csv(store, period, args.csv)
            print(f"Wrote the commissioners' aggregate CSV for {period.label} to {args.csv}")
    return 0


def cmd_agenda(args: argparse.Namespace) -> int:
    """``report agenda --out FILE.pdf``: the open cases that are high-risk, overdue for review
    or flagged, with their open actions, for the complex case review meeting."""
    from ddassess.commands.store import open_for_cli
    from ddassess.formengine import load_catalogue
    from ddassess.services.careplan_files import check_writable
    from ddassess.services.meeting_agenda import export_agenda

    check_writable(args.out)  # before unlocking anything
    store, _ = open_for_cli(args)
    with store:
        agenda = export_agenda(store, load_catalogue(), args.out)
    count = len(agenda.items)
    print(f"Wrote the complex case review agenda ({count} case{'s' if count != 1 else ''}) to {args.out}")
    return 0
