"""``ddassess signing ...``: the team authority, practitioners' certificates, trust.

Secrets come from the terminal or from DDASSESS_CA_PASSPHRASE,
DDASSESS_SIGNING_PASSPHRASE and DDASSESS_P12_PASSWORD; never from arguments.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ddassess.commands.pdf import read_input_file
from ddassess.commands.store import open_for_cli, read_secret


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("signing", help="signing certificates for care plans")
    s = p.add_subparsers(dest="signing_command", metavar="ACTION", required=True)
    c = s.add_parser("create-authority", help="create the team's certificate authority (team lead)")
    c.add_argument("--team", required=True, help="the team's name, shown on its certificates")
    c.set_defaults(handler=cmd_create_authority)
    c = s.add_parser("issue", help="issue yourself a signing certificate from the team authority")
    c.set_defaults(handler=cmd_issue)
    c = s.add_parser("import", help="import your organisation's signing certificate (.p12/.pfx)")
    c.add_argument("file", type=Path)
    c.set_defaults(handler=cmd_import)
    c = s.add_parser("trust", help="trust another authority's certificate (PEM) when verifying")
    c.add_argument("file", type=Path)
    c.set_defaults(handler=cmd_trust)
    c = s.add_parser("export-trust", help="write the trusted authorities (PEM) for others to verify with")
    c.add_argument("--out", type=Path, required=True)
    c.set_defaults(handler=cmd_export_trust)


def cmd_create_authority(args: argparse.Namespace) -> int:
    from ddassess.services import signing

    store, _ = open_for_cli(args)
    with store:
        ca_pass = read_secret("DDASSESS_CA_PASSPHRASE", "New passphrase for the team authority: ", confirm=True)
        fp = signing.create_team_authority(store, args.team, ca_pass)
    print(f"Team authority created (fingerprint {fp[:16]}…). Keep its passphrase with the team lead.")
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    from ddassess.services import signing

    store, _ = open_for_cli(args)
    with store:
        ca_pass = read_secret("DDASSESS_CA_PASSPHRASE", "Team authority passphrase: ")
        own = read_secret("DDASSESS_SIGNING_PASSPHRASE", "Choose your signing passphrase: ", confirm=True)
        fp = signing.issue_identity(store, ca_pass, own)
    print(f"Signing certificate issued (fingerprint {fp[:16]}…).")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from ddassess.services import signing

    data = read_input_file(args.file, "certificate file")
    store, _ = open_for_cli(args)
    with store:
        p12_pass = read_secret("DDASSESS_P12_PASSWORD", "Password of the certificate file: ")
        own = read_secret("DDASSESS_SIGNING_PASSPHRASE", "Choose your signing passphrase: ", confirm=True)
        fp = signing.import_identity(store, data, p12_pass, own)
    print(f"Signing certificate imported (fingerprint {fp[:16]}…).")
    return 0


def cmd_trust(args: argparse.Namespace) -> int:
    from ddassess.services import signing

    data = read_input_file(args.file, "certificate")
    store, _ = open_for_cli(args)
    with store:
        fp = signing.trust_authority(store, data)
    print(f"Trusted (fingerprint {fp[:16]}…).")
    return 0


def cmd_export_trust(args: argparse.Namespace) -> int:
    from ddassess.fileio import atomic_write
    from ddassess.pdf.certs import cert_pem
    from ddassess.services import signing

    store, _ = open_for_cli(args)
    with store:
        roots = signing.trusted_roots(store)
    atomic_write(args.out, b"".join(cert_pem(c) for c in roots), mode=0o644)
    print(f"Wrote {len(roots)} trusted authority certificate(s) to {args.out}.")
    return 0
