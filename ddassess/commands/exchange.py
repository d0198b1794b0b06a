"""``ddassess exchange export --to PRACTITIONER|--team --out FILE``, ``exchange import FILE``
and ``exchange status``: changes to shared cases carried between laptops as encrypted bundle
files (``services.exchange``). The store's passphrase comes from the terminal or
DDASSESS_PASSPHRASE as for every command; a bundle is signed with this laptop's exchange
key, certified when it joined the team, so no other secret is asked for.

What is printed names colleagues, counts and case references, on the practitioner's own
terminal; nothing here logs.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("exchange", help="send and receive changes to shared cases as encrypted bundle files")
    s = p.add_subparsers(dest="exchange_command", metavar="ACTION", required=True)
    c = s.add_parser("export", help="write a bundle of the changes a colleague (or the team) has not been sent")
    who = c.add_mutually_exclusive_group(required=True)
    who.add_argument("--to", dest="practitioner", metavar="PRACTITIONER",
                     help="the colleague's full name or id, as `team list` shows it")
    who.add_argument("--team", action="store_true",
                     help="every colleague in the care team of a case held here")
    c.add_argument("--out", type=Path, required=True, help="the bundle file to write (ending in .ddbundle)")
    c.set_defaults(handler=cmd_export)
    c = s.add_parser("import", help="receive a bundle file (repeating it changes nothing)")
    c.add_argument("file", type=Path, help="the bundle file")
    c.set_defaults(handler=cmd_import)
    c = s.add_parser("status", help="what is waiting to be sent, to whom")
    c.set_defaults(handler=cmd_status)


def cmd_export(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.services import exchange
    from ddassess.services.care_team import find_practitioner
    from ddassess.services.interchange import check_writable

    check_writable(args.out, exchange.SUFFIX)
    store, _ = open_for_cli(args)
    with store:
        to = None if args.team else find_practitioner(store, args.practitioner).uuid
        report = exchange.export_changes(store, to=to, out=args.out)
    print(f"Wrote {args.out} for {', '.join(report.recipients)}: {report.envelopes} envelope(s) of "
          f"{report.cases} case(s) ({report.sealed_operations} new change(s) made here).")
    if not report.envelopes:
        print("Nothing new was waiting for them: the bundle carries only the team roster and case keys.")
    for name in report.not_members:
        print(f"Not sent to {name}: they are in a care team here but not yet a member of the team.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.services import exchange

    store, _ = open_for_cli(args)
    with store:
        report = exchange.import_changes(store, args.file)
    print(f"Bundle from {report.sender}, made {report.made_at}.")
    if report.nothing_new:
        print("Nothing new: everything in it was received before. Nothing was changed.")
    else:
        print(f"Received {report.envelopes} envelope(s): {report.operations} change(s) applied, "
              f"{report.conflicts} new conflict(s), {report.waiting} waiting for a record not received yet.")
        if report.authors:
            print(f"Changes by: {', '.join(report.authors)}")
        for ref, forms in sorted(report.cases.items()):
            print(f"  {ref}" + (f": {', '.join(forms)}" if forms else ""))
        if report.roster_adopted:
            print("The team roster in it was newer and is now in force here.")
    if report.duplicates and not report.nothing_new:
        print(f"{report.duplicates} envelope(s) in it were received before.")
    if report.skipped:
        print(f"{report.skipped} envelope(s) are for cases you are not in the care team of (not readable here).")
    if report.released:
        print(f"{report.released} change(s) that waited for their case key were applied.")
    if report.waiting_for_key:
        print(f"{report.waiting_for_key} change(s) wait for their case key: they are kept and applied when it "
              "arrives (from the colleague who shares the case, by bundle or the team server).")
    for why in report.refused:
        print(f"Refused: {why}")
    if report.conflicts:
        print("See them with: ddassess conflicts list")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.services import exchange

    store, _ = open_for_cli(args)
    with store:
        waiting = exchange.waiting_to_send(store)
    if not waiting:
        print("Nothing is waiting to be sent.")
    for w in waiting:
        print(f"{w.name}\t{w.cases} case(s)\t{w.operations} change(s) waiting\t{w.practitioner}")
    return 0
