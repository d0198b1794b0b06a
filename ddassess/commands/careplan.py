"""``ddassess careplan pdf CASE_REF --out FILE.pdf [--sign]``: a case's joint care plan as
a PDF, signed as the unlocked practitioner when asked (DDASSESS_SIGNING_PASSPHRASE)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("careplan", help="joint care plans")
    s = p.add_subparsers(dest="careplan_command", metavar="ACTION", required=True)
    c = s.add_parser("pdf", help="write a case's current care plan as PDF")
    c.add_argument("case_ref", help="the case reference, e.g. DD-K9Z3P-T5S04")
    c.add_argument("--out", type=Path, required=True, help="the PDF file to write")
    c.add_argument("--sign", action="store_true", help="sign it with your signing certificate")
    c.add_argument("--as", dest="role", default="care_coordinator",
                   choices=["care_coordinator", "partner", "team_lead"], help="the signature block to sign")
    c.set_defaults(handler=cmd_pdf)


def cmd_pdf(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli, read_secret
    from ddassess.formengine import load_catalogue
    from ddassess.services.careplan_files import check_writable, export_care_plan
    from ddassess.services.case_pathway import case_id_for_ref
    from ddassess.services.signing import load_identity

    check_writable(args.out)  # before unlocking anything
    store, _ = open_for_cli(args)
    with store:
        case_id = case_id_for_ref(store, args.case_ref)
        identity = None
        if args.sign:
            identity = load_identity(store, read_secret("DDASSESS_SIGNING_PASSPHRASE", "Signing passphrase: "))
        plan = export_care_plan(store, load_catalogue(), case_id, args.out, identity, args.role)
    state = "signed" if args.sign else "unsigned"
    print(f"Wrote the {state} joint care plan {plan.plan_id} version {plan.version} to {args.out}")
    return 0
