"""``ddassess team ...``: join a team from another laptop, admit, revoke, the roster.

Secrets come from the terminal or from DDASSESS_CA_PASSPHRASE (the team authority's, as
for ``signing issue``) and DDASSESS_SIGNING_PASSPHRASE (a new care plan signing key's,
asked by ``team request`` when the practitioner has no signing certificate yet).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ddassess.commands.store import open_for_cli, read_secret
from ddassess.errors import InvalidInputError

MAX_TEAM_FILE = 4 * 1024 * 1024


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("team", help="team membership across laptops (request, admit, join, revoke)")
    s = p.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    c = s.add_parser("request", help="make this laptop's keys and a request file for the team lead")
    c.add_argument("--out", type=Path, required=True, help="the request file to write")
    c.add_argument("--no-signing-certificate", action="store_true",
                   help="do not ask for a care plan signing certificate with it")
    c.set_defaults(handler=cmd_request)
    c = s.add_parser("admit", help="admit a practitioner's request (team lead): writes their membership file")
    c.add_argument("file", type=Path, help="the request file")
    c.add_argument("--out", type=Path, required=True, help="the membership file to write")
    c.set_defaults(handler=cmd_admit)
    c = s.add_parser("join", help="join the team with the membership file the team lead gave back")
    c.add_argument("file", type=Path)
    c.set_defaults(handler=cmd_join)
    c = s.add_parser("revoke", help="revoke a member's laptop (team lead): a new roster every member honours")
    c.add_argument("practitioner", help="the member's name or practitioner id, as `team list` shows it")
    c.add_argument("--reason", default="", help="why (a lost laptop, left the team), kept in the roster")
    c.set_defaults(handler=cmd_revoke)
    c = s.add_parser("list", help="the members of the team in the roster in force")
    c.set_defaults(handler=cmd_list)
    c = s.add_parser("roster", help="write the roster in force to a file, or take in a newer one")
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--out", type=Path, help="write the roster file here")
    g.add_argument("--import", dest="import_file", type=Path, metavar="FILE", help="take in this roster file")
    c.set_defaults(handler=cmd_roster)


def read_team_file(path: Path, what: str) -> bytes:
    """A team file the user named: a plain file of sensible size, or a clear message."""
    from ddassess.fileio import FileTooLarge, NotARegularFile, read_regular_file

    try:
        return read_regular_file(path, MAX_TEAM_FILE)
    except FileNotFoundError:
        raise InvalidInputError(f"There is no file {path}.", hint=f"Check the path of the {what}.") from None
    except NotARegularFile as exc:
        raise InvalidInputError(f"{path} is {exc.kind}, not a {what}.") from None
    except FileTooLarge:
        raise InvalidInputError(f"{path} is far larger than any {what}: it is not one.") from None
    except PermissionError:
        raise InvalidInputError(f"{path} cannot be read (permission denied).") from None
    except OSError as exc:
        raise InvalidInputError(f"{path} cannot be read ({exc.strerror or type(exc).__name__}).") from None


def check_out(path: Path) -> None:
    """Fail before any work when the file could not be written there."""
    folder = path.expanduser().resolve().parent
    if not folder.is_dir():
        raise InvalidInputError(f"The folder {folder} does not exist.", hint="Choose a folder that exists.")
    if not os.access(folder, os.W_OK):
        raise InvalidInputError(f"ddassess cannot write in {folder}.", hint="Choose a folder you can save to.")
    if path.is_dir():
        raise InvalidInputError(f"{path} is a folder: give a file name.")


def _write(path: Path, data: bytes) -> None:
    from ddassess.fileio import atomic_write

    atomic_write(path, data, mode=0o644)


def cmd_request(args: argparse.Namespace) -> int:
    from ddassess.services import signing, team

    check_out(args.out)
    store, _ = open_for_cli(args)
    with store:
        passphrase = None
        if not args.no_signing_certificate and not signing.has_signing_certificate(store):
            passphrase = read_secret("DDASSESS_SIGNING_PASSPHRASE", "Choose your signing passphrase: ", confirm=True)
        made = team.make_request(store, passphrase)
    _write(args.out, made.data)
    print(f"Wrote the request to {args.out}. Give it to your team lead.")
    print(f"Request code: {made.code} — read it to the team lead when they admit you; it must be the same.")
    if made.with_signing_certificate:
        print("It asks for a care plan signing certificate too, protected by the signing passphrase you chose.")
    return 0


def cmd_admit(args: argparse.Namespace) -> int:
    from ddassess.services import team

    data = read_team_file(args.file, "request file")
    name, code = team.request_code(data)  # a bad file is refused before any passphrase is asked
    check_out(args.out)
    store, _ = open_for_cli(args)
    with store:
        ca_pass = read_secret("DDASSESS_CA_PASSPHRASE", "Team authority passphrase: ")
        admitted = team.admit(store, data, ca_pass)
    _write(args.out, admitted.data)
    print(f"Admitted {name}: request code {code} (check it with them). Roster version {admitted.roster_version}.")
    print(f"Wrote their membership file to {args.out}: give it to them to join with `ddassess team join`.")
    if admitted.server_certificate:
        print("It carries their laptop's certificate for the team server too: once joined, it can sync.")
    else:
        print("Their request was made by an older ddassess: the membership file carries no certificate for the team "
              "server. If your team uses one, they ask for it with `ddassess sync request --out FILE`, you issue it "
              "with `ddassess sync issue FILE --out CERT`, and they keep it with `ddassess sync certificate CERT`.")
    return 0


def cmd_join(args: argparse.Namespace) -> int:
    from ddassess.services import team

    data = read_team_file(args.file, "membership file")
    store, _ = open_for_cli(args)
    with store:
        joined = team.join(store, data)
    print(f"Joined the team {joined.team_name} (authority fingerprint {joined.team_fingerprint[:16]}…; "
          f"roster version {joined.roster_version}).")
    if joined.with_signing_certificate:
        print("Your care plan signing certificate is in the store: sign with your signing passphrase.")
    if joined.server_certificate:
        print("This laptop's certificate for the team server is kept: if your team has one, sync with "
              "`ddassess sync --server URL`.")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from ddassess.services import team

    store, _ = open_for_cli(args)
    with store:
        ca_pass = read_secret("DDASSESS_CA_PASSPHRASE", "Team authority passphrase: ")
        name, version = team.revoke(store, args.practitioner, ca_pass, args.reason)
    print(f"Revoked {name}'s membership: roster version {version}. Every member honours it once the roster "
          "reaches them (in your next bundle, or `ddassess team roster --out FILE`).")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from ddassess.services import team

    store, _ = open_for_cli(args)
    with store:
        name, version, members = team.members(store)
    print(f"Team {name}, roster version {version}")
    for m in members:
        state = "active" if m.active else f"revoked {str(m.revoked_at)[:10]}"
        print(f"{m.name}\t{m.role}\t{m.agency}\t{state}\t{m.practitioner}")
    return 0


def cmd_roster(args: argparse.Namespace) -> int:
    from ddassess.services import team

    if args.out is not None:
        check_out(args.out)
        store, _ = open_for_cli(args)
        with store:
            data = team.roster_file(store)
        _write(args.out, data)
        print(f"Wrote the roster in force to {args.out}.")
        return 0
    data = read_team_file(args.import_file, "roster file")
    store, _ = open_for_cli(args)
    with store:
        version = team.import_roster(store, data)
    print(f"The team's roster is now version {version}.")
    return 0
