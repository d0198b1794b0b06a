"""``ddassess pdf verify FILE.pdf``: report every signature of a care plan PDF.

Exit 0 only when every signature is intact, valid, trusted by one of the given team
authorities, made by a practitioner's certificate at a credible time, and followed by
nothing but further signatures into the plan's own signature blocks (docs/signing.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ddassess.codes import Code
from ddassess.errors import InvalidInputError, UserFacingError

if TYPE_CHECKING:
    from cryptography.x509 import Certificate


class SignatureProblem(UserFacingError):
    code = Code.PDF_003
    exit_code = 13


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pdf", help="signed care plan PDFs")
    pdf_sub = p.add_subparsers(dest="pdf_command", metavar="ACTION", required=True)
    v = pdf_sub.add_parser("verify", help="check every signature of a PDF")
    v.add_argument("file", type=Path, help="the PDF to check")
    v.add_argument("--trust", type=Path, action="append", default=[], metavar="CA.pem",
                   help="an authority's certificate to trust (repeat for several); "
                        "without it, the authorities trusted in your store")
    v.set_defaults(handler=cmd_verify)
    c = pdf_sub.add_parser("sign", help="add your signature to a care plan PDF others have signed")
    c.add_argument("file", type=Path)
    c.add_argument("--as", dest="role", required=True, choices=["care_coordinator", "partner", "team_lead"],
                   help="the signature block to sign")
    c.set_defaults(handler=cmd_sign)


def read_input_file(path: Path, what: str) -> bytes:
    """A file the user named, with a clear message when it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInputError(f"There is no file {path}.", hint=f"Check the path of the {what}.") from None
    except IsADirectoryError:
        raise InvalidInputError(f"{path} is a folder, not a {what}.") from None
    except PermissionError:
        raise InvalidInputError(f"{path} cannot be read (permission denied).") from None


def _store_roots(args: argparse.Namespace) -> list[Certificate]:
    from ddassess.commands.store import open_for_cli
    from ddassess.services.signing import trusted_roots

    store, _ = open_for_cli(args)
    with store:
        roots = trusted_roots(store)
    if not roots:
        raise InvalidInputError(
            "Your store trusts no signing authority yet, so no signature can be called trusted.",
            hint="Give the authority's certificate with --trust CA.pem, or add it with `ddassess signing trust`.",
        )
    return roots


def cmd_verify(args: argparse.Namespace) -> int:
    from ddassess.pdf.certs import load_cert_pem
    from ddassess.pdf.signing import NotAPdfError, NotSignedError
    from ddassess.pdf.verification import check_plan, signatures_of

    pdf = read_input_file(args.file, "PDF")
    try:
        signatures_of(pdf)  # "not a PDF" (11) or "not signed" (12) before anything about trust
    except NotSignedError:
        print("NOT TRUSTWORTHY: this PDF is not signed, so nothing vouches for its content")
        raise
    except NotAPdfError:
        print("NOT TRUSTWORTHY: this file cannot be read as a PDF, so nothing in it can be checked")
        raise
    if args.trust:
        roots = [load_cert_pem(read_input_file(p, "certificate")) for p in args.trust]
    else:
        roots = _store_roots(args)
    check = check_plan(pdf, roots)
    print("\n".join(check.lines()))
    reports = check.reports
    bad = [r for r in reports if not r.ok]
    if bad:
        raise SignatureProblem(f"{len(bad)} of {len(reports)} signature(s) failed the check (see above).",
                               hint="Do not rely on this copy; ask the sender for the original.")
    print(f"All {len(reports)} signature(s) are intact, valid and trusted.")
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli, read_secret
    from ddassess.services.careplan_files import countersign
    from ddassess.services.signing import load_identity

    store, _ = open_for_cli(args)
    with store:
        identity = load_identity(store, read_secret("DDASSESS_SIGNING_PASSPHRASE", "Signing passphrase: "))
        countersign(store, args.file, identity, args.role)
    print(f"Signed {args.file} as {args.role.replace('_', ' ')}.")
    return 0
