"""``ddassess conflicts list [--case REF]`` and ``conflicts resolve ID --choose N --reason TEXT``:
the same field changed two ways on two laptops, kept with both values until a person chooses
(``services.conflicts``); the choice is audited and travels like any change."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("conflicts", help="changes made two ways on two laptops, and choosing between them")
    s = p.add_subparsers(dest="conflicts_command", metavar="ACTION", required=True)
    c = s.add_parser("list", help="the open conflicts, with each value, who and when")
    c.add_argument("--case", dest="case_ref", metavar="REF", help="only this case's")
    c.set_defaults(handler=cmd_list)
    c = s.add_parser("resolve", help="keep one of a conflict's values (recorded with your reason)")
    c.add_argument("conflict", metavar="ID", help="the conflict's id as `conflicts list` shows it (or its start)")
    c.add_argument("--choose", type=int, required=True, metavar="N", help="the number of the value to keep")
    c.add_argument("--reason", required=True, help="why this value is kept")
    c.set_defaults(handler=cmd_resolve)


def cmd_list(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.services.case_pathway import case_id_for_ref
    from ddassess.services.conflicts import list_conflicts

    store, _ = open_for_cli(args)
    with store:
        case_id = case_id_for_ref(store, args.case_ref) if args.case_ref else None
        found = list_conflicts(store, case_id)
    if not found:
        print("No open conflicts.")
    for c in found:
        where = " — ".join(x for x in (c.form_title, c.field_label) if x)
        kind = " (changed after the form was finalised)" if c.kind == "final" else ""
        print(f"{c.uuid}  {c.case_ref}  {where}{kind}")
        for n, v in enumerate(c.values, start=1):
            print(f"  {n}. {v.text}  — {v.author}, {v.at:%d %b %Y %H:%M}")
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.errors import InvalidInputError
    from ddassess.services.conflicts import list_conflicts, resolve_conflict

    store, _ = open_for_cli(args)
    with store:
        wanted = args.conflict.strip().lower()
        matches = [c for c in list_conflicts(store) if c.uuid.startswith(wanted)] if len(wanted) >= 4 else []
        if len(matches) != 1:
            raise InvalidInputError(f"No single open conflict has the id {args.conflict}." if not matches else
                                    f"More than one open conflict starts with {args.conflict}.",
                                    hint="Give the id as `ddassess conflicts list` shows it.")
        view = matches[0]
        if not 1 <= args.choose <= len(view.values):
            raise InvalidInputError(f"--choose must be between 1 and {len(view.values)} for this conflict.")
        resolve_conflict(store, view.uuid, args.choose - 1, args.reason)
    print(f"Kept value {args.choose} ({view.values[args.choose - 1].text}) for {view.case_ref} "
          f"{view.field_label}. The choice is recorded and will travel with your next bundle.")
    return 0
