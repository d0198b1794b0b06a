"""``ddassess export fhir|csv`` and ``ddassess import fhir``: a case as FHIR R4, a form's
responses or the cases as CSV, and FHIR answers or a whole exported case brought in.

Every export writes personal data outside the encrypted store: it says so on stderr, and the
audit trail keeps who exported what, where and why (``--reason``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REASON_HELP = "why the data leaves (or enters) the store, kept in the audit trail"


def register(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("export", help="write a case as FHIR R4, or responses or cases as CSV")
    es = e.add_subparsers(dest="export_command", metavar="FORMAT", required=True)
    f = es.add_parser("fhir", help="one case as a FHIR R4 Bundle (JSON)")
    f.add_argument("case_ref", help="the case reference, e.g. DD-2026-00042")
    f.add_argument("--out", type=Path, required=True, help="the .json file to write")
    f.add_argument("--document", action="store_true",
                   help="a FHIR document (Bundle type document) led by the care plan's Composition")
    f.add_argument("--reason", default="", help=REASON_HELP)
    f.set_defaults(handler=cmd_export_fhir)
    c = es.add_parser("csv", help="every response of one form, or every case, as CSV")
    which = c.add_mutually_exclusive_group(required=True)
    which.add_argument("--form", metavar="FORM_ID", help="the form whose responses to write (one row each)")
    which.add_argument("--cases", action="store_true", help="one row per case")
    c.add_argument("--out", type=Path, required=True, help="the .csv file to write")
    c.add_argument("--reason", default="", help=REASON_HELP)
    c.set_defaults(handler=cmd_export_csv)
    i = sub.add_parser("import", help="bring FHIR answers or a whole exported case into the store")
    is_ = i.add_subparsers(dest="import_command", metavar="FORMAT", required=True)
    fi = is_.add_parser("fhir", help="QuestionnaireResponses as drafts on a case (--case), or a whole case")
    fi.add_argument("file", type=Path, help="the FHIR JSON file")
    fi.add_argument("--case", dest="case_ref", help="the case to add the answers to, as drafts")
    fi.add_argument("--reason", default="", help=REASON_HELP)
    fi.set_defaults(handler=cmd_import_fhir)


def _reason(args: argparse.Namespace, default: str) -> str:
    return args.reason.strip() or default


def _warn() -> None:
    from ddassess.services.interchange import PERSONAL_DATA_WARNING

    print(f"ddassess: {PERSONAL_DATA_WARNING}", file=sys.stderr)


def cmd_export_fhir(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.formengine import load_catalogue
    from ddassess.services.case_pathway import case_id_for_ref
    from ddassess.services.interchange import CLI_REASON, check_writable, export_fhir

    check_writable(args.out, ".json")  # before unlocking anything
    store, _ = open_for_cli(args)
    with store:
        case_id = case_id_for_ref(store, args.case_ref)
        n = export_fhir(store, load_catalogue(), case_id, args.out, _reason(args, CLI_REASON),
                        document=args.document)
    _warn()
    what = "care plan document" if args.document else "bundle"
    print(f"Wrote case {args.case_ref.strip().upper()} as a FHIR R4 {what} of {n} resources to {args.out}")
    return 0


def cmd_export_csv(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.formengine import load_catalogue
    from ddassess.services.interchange import CLI_REASON, check_writable, export_cases_csv, export_form_csv

    check_writable(args.out, ".csv")
    store, _ = open_for_cli(args)
    with store:
        if args.cases:
            done = export_cases_csv(store, args.out, _reason(args, CLI_REASON))
        else:
            done = export_form_csv(store, load_catalogue(), args.form, args.out, _reason(args, CLI_REASON))
    _warn()
    what = "cases" if args.cases else f"responses of {args.form}"
    print(f"Wrote {done.rows} {what} to {args.out}" + (f" (codebook: {done.codebook})" if done.codebook else ""))
    return 0


def cmd_import_fhir(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.formengine import load_catalogue
    from ddassess.services.case_pathway import case_id_for_ref
    from ddassess.services.fhir_import import import_case_bundle, import_responses

    reason = _reason(args, "imported with the ddassess command line")
    store, _ = open_for_cli(args)
    with store:
        catalogue = load_catalogue()
        if args.case_ref:
            made = import_responses(store, catalogue, case_id_for_ref(store, args.case_ref), args.file, reason)
            print(f"Added {len(made)} draft form(s) to case {args.case_ref.strip().upper()}; check and finalise "
                  "them in the case.")
        else:
            ref = import_case_bundle(store, catalogue, args.file, reason)
            print(f"Imported case {ref} from {args.file}")
    return 0
