"""``ddassess case share CASE_REF --with PRACTITIONER [--role ROLE] [--basis BASIS --reason TEXT]``,
``ddassess case unshare CASE_REF --with PRACTITIONER [--reason TEXT]`` and ``ddassess case team
CASE_REF``: a case's care team, headless, with the rules of the desktop client's "Add to care
team…" (``services.care_team``): another service needs the case's consent, or a lawful basis
for sharing without consent given with its reason; a refusal says what was missing (exit 19).

PRACTITIONER is a practitioner's full name or id, as the team roster knows them. What is
printed goes to the practitioner's own terminal; nothing here logs.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ddassess.store import Store

ROLE_CHOICES = ("care_coordinator", "partner_worker", "team_lead", "member")
BASIS_CHOICES = ("consent", "risk", "safeguarding", "legal")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("case", help="a case's care team: share it, stop sharing it, list who has it")
    s = p.add_subparsers(dest="case_command", metavar="ACTION", required=True)
    share = s.add_parser("share", help="add a practitioner to a case's care team (consent or a lawful basis "
                                       "for another service)")
    share.add_argument("case_ref", metavar="CASE_REF", help="the case reference, e.g. DD-2026-00042")
    share.add_argument("--with", dest="practitioner", required=True, metavar="PRACTITIONER",
                       help="the practitioner's full name or id")
    share.add_argument("--role", choices=ROLE_CHOICES, default="member", help="their role in the care team "
                                                                               "(default: member)")
    share.add_argument("--basis", choices=BASIS_CHOICES, default=None,
                       help="consent (the default: the case's final consent form must allow their service), or "
                            "without consent: risk (serious risk to the person or others), safeguarding, legal")
    share.add_argument("--reason", default=None, help="why sharing without consent is needed, and who authorised "
                                                      "it (required with risk, safeguarding or legal)")
    share.set_defaults(handler=cmd_share)
    unshare = s.add_parser("unshare", help="take a practitioner out of a case's care team")
    unshare.add_argument("case_ref", metavar="CASE_REF", help="the case reference")
    unshare.add_argument("--with", dest="practitioner", required=True, metavar="PRACTITIONER",
                         help="the practitioner's full name or id")
    unshare.add_argument("--reason", default="", help="why (kept in the audit trail)")
    unshare.set_defaults(handler=cmd_unshare)
    team = s.add_parser("team", help="who is in a case's care team, in what role, and why")
    team.add_argument("case_ref", metavar="CASE_REF", help="the case reference")
    team.set_defaults(handler=cmd_team)


def _print_team(store: Store, case_id: int) -> None:
    from ddassess.services.care_team import care_team

    for m in care_team(store, case_id):
        print(m.describe())


def cmd_share(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.errors import InvalidInputError, SharingRefusedError
    from ddassess.formengine import load_catalogue
    from ddassess.services.care_team import LAWFUL_BASES, find_practitioner, share_case
    from ddassess.services.case_pathway import case_id_for_ref

    lawful = args.basis in LAWFUL_BASES
    if args.reason is not None and not lawful:
        raise InvalidInputError("--reason goes with a basis for sharing without consent.",
                                hint="Add --basis risk, safeguarding or legal, or leave out --reason.")
    if lawful and not (args.reason or "").strip():
        raise InvalidInputError(f"Sharing without consent (--basis {args.basis}) needs the reason.",
                                hint='Add --reason "what the risk or concern is, and who authorised it".')
    catalogue = load_catalogue()
    store, _ = open_for_cli(args)
    with store:
        case_id = case_id_for_ref(store, args.case_ref)
        who = find_practitioner(store, args.practitioner)
        try:
            member = share_case(store, catalogue, case_id, who.uuid, args.role, args.basis, args.reason or "")
        except SharingRefusedError as exc:
            exc.hint = ('To share without consent: --basis risk|safeguarding|legal --reason "why, and who '
                        'authorised it".')
            raise
        print(f"Shared {args.case_ref.strip().upper()} with {member.describe()}")
    return 0


def cmd_unshare(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.services.care_team import find_practitioner, remove_from_case
    from ddassess.services.case_pathway import case_id_for_ref

    store, _ = open_for_cli(args)
    with store:
        case_id = case_id_for_ref(store, args.case_ref)
        who = find_practitioner(store, args.practitioner)
        remove_from_case(store, case_id, who.uuid, args.reason)
        print(f"{who.name} is no longer in the care team of {args.case_ref.strip().upper()}. Its care team now:")
        _print_team(store, case_id)
    return 0


def cmd_team(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.services.case_pathway import case_id_for_ref

    store, _ = open_for_cli(args)
    with store:
        _print_team(store, case_id_for_ref(store, args.case_ref))
    return 0
