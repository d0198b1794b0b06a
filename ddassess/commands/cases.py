"""``ddassess cases list [--search TEXT] [--stage STAGE] [--all] [--high-risk]``: find cases
headless; ``ddassess cases risk REF [--level LEVEL --reason TEXT]``: show or change a case's
risk level (as the case view's "Change risk level…" does: services.case_risk).

The same search as the desktop client's case list (``services.case_list``: name, NHS
number, date of birth or case reference), so a case reference for ``careplan pdf`` can be
found without a display. Names go to stdout, the practitioner's own terminal, and nowhere
else: nothing here logs.
"""

from __future__ import annotations

import argparse

from ddassess.domain.models import PATHWAY_STAGES

PAGE = 500
HEADINGS = ("case", "name", "stage", "lead agency", "next review")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cases", help="find cases in the store")
    s = p.add_subparsers(dest="cases_command", metavar="ACTION", required=True)
    c = s.add_parser("list", help="list cases: reference, name, stage, lead agency, next review")
    c.add_argument("--search", default="", metavar="TEXT",
                   help="name, NHS number, date of birth (03/06/1985, 3 Jun 1985 or 1985-06-03) or case reference")
    c.add_argument("--stage", choices=PATHWAY_STAGES, help="only cases at this pathway stage")
    c.add_argument("--all", action="store_true", help="closed (discharged) cases too; open cases only without it")
    c.add_argument("--high-risk", action="store_true", help="only cases whose risk level is high or urgent")
    c.set_defaults(handler=cmd_list)
    r = s.add_parser("risk", help="show a case's risk level, or raise or lower it with a reason")
    r.add_argument("case_ref", help="the case reference, e.g. DD-2026-00042")
    r.add_argument("--level", metavar="LEVEL",
                   help="urgent, high or none; flags: follow the flags of the case's final forms again")
    r.add_argument("--reason", default=None, help="why (required with --level); kept with the change")
    r.set_defaults(handler=cmd_risk)


def cmd_risk(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.errors import InvalidInputError
    from ddassess.services.case_pathway import case_id_for_ref
    from ddassess.services.case_risk import case_risk, parse_level, set_case_risk

    if args.level is None and args.reason is not None:
        raise InvalidInputError("--reason goes with --level.", hint="Give the new level with --level.")
    level = parse_level(args.level) if args.level is not None else None  # before unlocking anything
    if args.level is not None and not (args.reason or "").strip():
        raise InvalidInputError("A reason is needed to change the case's risk level.",
                                hint='Add --reason "why", for example what was learnt at the joint review.')
    store, _ = open_for_cli(args)
    with store:
        case_id = case_id_for_ref(store, args.case_ref)
        risk = case_risk(store, case_id) if args.level is None else \
            set_case_risk(store, case_id, level, args.reason)
    print(risk.describe())
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.services.case_header import STAGE_TITLES
    from ddassess.services.case_list import list_cases
    from ddassess.services.case_list_rows import CaseQuery, CaseRow

    query = CaseQuery(text=args.search, stage=args.stage or "", risk_only=args.high_risk,
                      open_only=not (args.all or args.stage == "discharged"), sort="ref", descending=False)
    store, _ = open_for_cli(args)
    with store:
        rows: list[CaseRow] = []
        while True:
            page = list_cases(store, query, len(rows), PAGE)
            rows += page
            if len(page) < PAGE:
                break
    if not rows:
        print("No case matches." + (" Closed cases are left out: add --all to include them." if query.open_only
                                    else ""))
        return 0
    table = [HEADINGS] + [(r.ref, r.name, STAGE_TITLES.get(r.stage, r.stage), r.lead_agency or "-",
                           r.next_review_due.isoformat() if r.next_review_due else "-") for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADINGS) - 1)]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1])
    return 0
