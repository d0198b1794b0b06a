"""``ddassess sync --server URL`` and the laptop's certificate for the team server.

- ``sync request --out FILE``: this laptop asks for its server certificate (no secret in it);
- ``sync issue FILE --out CERT``: the team lead issues it (team authority passphrase);
- ``sync certificate CERT``: this laptop keeps the certificate the lead gave back;
- ``sync server-cert --host NAME --out-dir DIR``: the team lead makes the server's own
  certificate and key (and the authority's certificate) for whoever runs the server;
- ``sync --server URL``: send what waits, receive what is new (docs/server.md).

Secrets come from the terminal or DDASSESS_PASSPHRASE / DDASSESS_CA_PASSPHRASE as for
every command. What is printed is counts and colleagues' names; nothing here logs.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ddassess.commands.store import open_for_cli, read_secret
from ddassess.commands.team import check_out, read_team_file


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sync", help="sync shared cases with the team server, and this laptop's certificate for it")
    p.add_argument("--server", metavar="URL", help="the team server, e.g. https://server.example:8443")
    p.set_defaults(handler=cmd_sync)
    s = p.add_subparsers(dest="sync_command", metavar="ACTION")
    c = s.add_parser("request", help="ask the team lead for this laptop's server certificate")
    c.add_argument("--out", type=Path, required=True, help="the request file to write")
    c.set_defaults(handler=cmd_request)
    c = s.add_parser("issue", help="(team lead) issue a laptop's server certificate from its request")
    c.add_argument("file", type=Path, help="the request file")
    c.add_argument("--out", type=Path, required=True, help="the certificate file to write (.pem)")
    c.set_defaults(handler=cmd_issue)
    c = s.add_parser("certificate", help="keep the server certificate the team lead issued this laptop")
    c.add_argument("file", type=Path, help="the certificate file")
    c.set_defaults(handler=cmd_certificate)
    c = s.add_parser("server-cert", help="(team lead) make the team server's TLS certificate and key")
    c.add_argument("--host", action="append", required=True, help="a name or address of the server (repeat)")
    c.add_argument("--out-dir", type=Path, required=True, help="a new folder for server.pem, server.key, "
                   "authority.pem")
    c.set_defaults(handler=cmd_server_cert)


def cmd_request(args: argparse.Namespace) -> int:
    from ddassess.sync import identity

    check_out(args.out)
    store, _ = open_for_cli(args)
    with store:
        data = identity.certificate_request(store)
    args.out.write_bytes(data)
    print(f"Wrote {args.out}: give it to the team lead, who issues this laptop's server certificate "
          "with `ddassess sync issue`.")
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    from ddassess.sync import identity

    data = read_team_file(args.file, "server certificate request")
    check_out(args.out)
    store, _ = open_for_cli(args)
    with store:
        ca_pass = read_secret("DDASSESS_CA_PASSPHRASE", "Team authority passphrase: ")
        pem = identity.issue_certificate(store, data, ca_pass)
    args.out.write_bytes(pem)
    print(f"Wrote {args.out}: give it back; they keep it with `ddassess sync certificate`.")
    return 0


def cmd_certificate(args: argparse.Namespace) -> int:
    from ddassess.sync import identity

    data = read_team_file(args.file, "server certificate")
    store, _ = open_for_cli(args)
    with store:
        identity.keep_certificate(store, data)
    print("This laptop's server certificate is kept: sync with `ddassess sync --server URL`.")
    return 0


def cmd_server_cert(args: argparse.Namespace) -> int:
    from ddassess.errors import InvalidInputError
    from ddassess.sync import identity

    if args.out_dir.exists():
        raise InvalidInputError(f"{args.out_dir} already exists.", hint="Name a new folder: nothing is overwritten.")
    store, _ = open_for_cli(args)
    with store:
        ca_pass = read_secret("DDASSESS_CA_PASSPHRASE", "Team authority passphrase: ")
        cert, key, authority = identity.server_certificate(store, ca_pass, list(args.host))
    args.out_dir.mkdir(parents=True, mode=0o700)
    (args.out_dir / "server.pem").write_bytes(cert)
    fd = os.open(args.out_dir / "server.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    (args.out_dir / "authority.pem").write_bytes(authority)
    print(f"Wrote server.pem, server.key and authority.pem to {args.out_dir}: copy them to the server and name "
          "them in its configuration file.")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from ddassess.errors import InvalidInputError
    from ddassess.sync import client, engine, identity

    if not args.server:
        raise InvalidInputError("Name the team server: `ddassess sync --server URL`.",
                                hint="Ask the team lead for its address.")
    store, _ = open_for_cli(args)
    with store:
        ident = identity.tls_identity(store)
        conn = client.ServerClient(args.server, client.tls_context(ident.authority_pem, ident.cert_pem, ident.key))
        try:
            report = engine.sync(store, conn)
        finally:
            conn.close()
    print(f"Synced with {args.server}: sent {report.pushed} item(s) ({report.sealed} new change(s) sealed), "
          f"received {report.pulled} item(s) in {report.pages} page(s), applied {report.applied} change(s), "
          f"{report.conflicts} new conflict(s).")
    if report.roster_adopted:
        print("A newer team roster came from the server and is now in force.")
    if report.released:
        print(f"{report.released} change(s) that waited for their case key were applied.")
    if report.waiting:
        print(f"{report.waiting} changes wait for their case key: they are kept and applied when it arrives "
              "(a later sync, or a bundle from the colleague who shares the case).")
    if report.skipped:
        print(f"{report.skipped} envelope(s) are for cases you are not in the care team of (not readable here).")
    for why in report.refused:
        print(f"Refused: {why}")
    return 0
