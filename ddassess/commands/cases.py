"""``ddassess cases list [--search TEXT] [--stage STAGE] [--all]``: find cases headless.

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
    c.set_defaults(handler=cmd_list)


def cmd_list(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.services.case_header import STAGE_TITLES
    from ddassess.services.case_list import list_cases
    from ddassess.services.case_list_rows import CaseQuery, CaseRow

    query = CaseQuery(text=args.search, stage=args.stage or "",
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
