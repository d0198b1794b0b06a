"""``ddassess cases list [--search TEXT] [--stage STAGE] [--all] [--high-risk]``: find cases
headless; ``ddassess cases risk REF [--level LEVEL --reason TEXT]``: show or change a case's
risk level (as the case view's "Change risk level…" does: services.case_risk);
``ddassess cases person REF`` shows the case's person, ``ddassess cases edit-person REF
--phone ... --gp-practice ...`` changes their details (audited, checked as the desktop
client's "Edit person…" checks them; a detail not given stays as it is, "" clears it);
``ddassess cases open --given-name ... --family-name ... [--date-of-birth ...]`` registers a
person and opens a case for them (as "New referral" does); ``ddassess cases history REF
[--form FORM] [--page N]`` prints the case's history in words, newest first, a page at a
time (services.case_history, as the case page's "Case history…").

The same search as the desktop client's case list (``services.case_list``: name, NHS
number, date of birth or case reference), so a case reference for ``careplan pdf`` can be
found without a display. Names go to stdout, the practitioner's own terminal, and nowhere
else: nothing here logs.
"""

from __future__ import annotations

import argparse

from ddassess.domain.models import PATHWAY_STAGES, PersonDetails

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
    r.add_argument("case_ref", help="the case reference, e.g. DD-K9Z3P-T5S04")
    r.add_argument("--level", metavar="LEVEL",
                   help="urgent, high or none; flags: follow the flags of the case's final forms again")
    r.add_argument("--reason", default=None, help="why (required with --level); kept with the change")
    r.set_defaults(handler=cmd_risk)
    show = s.add_parser("person", help="show everything recorded about the person of a case")
    show.add_argument("ref", metavar="REF", help="the case reference, e.g. DD-K9Z3P-T5S04")
    show.set_defaults(handler=cmd_person)
    edit = s.add_parser("edit-person", help="change the details of the person of a case (audited)")
    edit.add_argument("ref", metavar="REF", help="the case reference, e.g. DD-K9Z3P-T5S04")
    for option, (_attr, words) in EDITABLE.items():
        edit.add_argument(f"--{option}", metavar="TEXT", help=words)
    edit.set_defaults(handler=cmd_edit_person)
    op = s.add_parser("open", help="register a person (or find them) and open a case for them; prints its reference")
    op.add_argument("--given-name", required=True, metavar="TEXT", help="given name")
    op.add_argument("--family-name", required=True, metavar="TEXT", help="family name")
    op.add_argument("--date-of-birth", metavar="DATE", help="1985-06-03, 03/06/1985 or 3 Jun 1985")
    op.add_argument("--nhs-number", metavar="NUMBER",
                    help="10 digits (typed here it stays in your shell's history: you may add it later in the client)")
    for option, (_attr, words) in EDITABLE.items():
        if option not in ("given-name", "family-name"):
            op.add_argument(f"--{option}", metavar="TEXT", help=words)
    op.add_argument("--existing", action="store_true",
                    help="the person is already in the store (same NHS number, or same name and date of birth): "
                         "open a new case for them")
    op.add_argument("--different-person", action="store_true",
                    help="someone else with the same name and date of birth: register them as a new person")
    op.set_defaults(handler=cmd_open)
    hist = s.add_parser("history", help="who did what on a case, and when, in words (newest first)")
    hist.add_argument("ref", metavar="REF", help="the case reference, e.g. DD-2026-00042")
    hist.add_argument("--form", metavar="FORM", help="only this form's history (a form id, e.g. phq9); "
                      "'case': only the case's and the person's")
    hist.add_argument("--page", type=int, default=1, metavar="N", help="page N, older as N grows (default 1)")
    hist.set_defaults(handler=cmd_history)


def cmd_history(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.errors import InvalidInputError
    from ddassess.formengine import load_catalogue
    from ddassess.services.case_history import CASE_ONLY, PAGE
    from ddassess.services.case_history import case_history as history_of
    from ddassess.services.case_pathway import case_id_for_ref

    if args.page < 1:
        raise InvalidInputError(f"--page {args.page} is not a page: pages count from 1.",
                                hint="Leave --page out for the newest entries.")
    catalogue = load_catalogue()
    form_id = CASE_ONLY if args.form == "case" else args.form
    if form_id:
        catalogue.get(form_id)  # an unknown form is said so, with the nearest name
    store, _ = open_for_cli(args)
    with store:
        case_id = case_id_for_ref(store, args.ref)
        h = history_of(store, catalogue, case_id, form_id=form_id, offset=(args.page - 1) * PAGE)
    for line in h.lines():
        print(line)
    if not h.entries:
        print("Nothing recorded." if args.page == 1 else f"There are {h.total} entries: page {args.page} is past "
              "the oldest.")
    elif h.has_older:
        print(f"(entries {h.offset + 1}–{h.offset + len(h.entries)} of {h.total}; --page {args.page + 1} for older)")
    return 0


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


# Options of edit-person: --option -> (PersonDetails attribute, help)
EDITABLE = {
    "given-name": ("given_name", "given name"), "family-name": ("family_name", "family name"),
    "preferred-name": ("preferred_name", "the name they go by"), "pronouns": ("pronouns", "e.g. she/her"),
    "gender": ("gender", "gender"),
    "ethnicity": ("ethnicity", "NHS ethnic category code (A-S, Z not stated, 99 not known)"),
    "address": ("address", "address; separate lines with \\n"), "postcode": ("postcode", "UK postcode"),
    "phone": ("phone", "phone number"), "email": ("email", "email address"),
    "gp-practice": ("gp_practice", "GP practice"), "next-of-kin": ("next_of_kin_name", "next of kin's name"),
    "next-of-kin-relationship": ("next_of_kin_relationship", "next of kin's relationship"),
    "next-of-kin-phone": ("next_of_kin_phone", "next of kin's phone number"),
    "communication-needs": ("communication_needs", "communication needs"),
}


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


def _print_person(d: PersonDetails) -> None:
    from ddassess.domain.nhs import format_nhs_number
    from ddassess.domain.person import ETHNICITY_WORDS

    rows = [("name", d.display_name), ("date of birth", d.date_of_birth.isoformat() if d.date_of_birth else ""),
            ("NHS number", format_nhs_number(d.nhs_number) if d.nhs_number else ""),
            ("ethnicity", f"{d.ethnicity} {ETHNICITY_WORDS[d.ethnicity]}" if d.ethnicity in ETHNICITY_WORDS else "")]
    rows[1:1] = [(option.replace("-", " "), str(getattr(d, attr))) for option, (attr, _w) in EDITABLE.items()
                 if attr not in ("given_name", "family_name", "ethnicity")]
    width = max(len(k) for k, _v in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  " + (value.replace("\n", ", ") if value else "-"))


def cmd_person(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_for_cli
    from ddassess.services import case_changes
    from ddassess.services.case_pathway import case_detail, case_id_for_ref

    store, _ = open_for_cli(args)
    with store:
        detail = case_detail(store, case_id_for_ref(store, args.ref))
        _print_person(case_changes.person_details(store, detail.person_id))
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    """As the desktop client's "New referral": a person already in the store (the same NHS
    number, or the same name and date of birth) is named and not added twice."""
    import dataclasses
    import re

    from ddassess.commands.store import open_for_cli
    from ddassess.domain.nhs import format_nhs_number
    from ddassess.errors import InvalidInputError
    from ddassess.services import case_changes
    from ddassess.services.case_list import parse_date_of_birth

    dob = None
    if args.date_of_birth:
        dob = parse_date_of_birth(args.date_of_birth)
        if dob is None:
            raise InvalidInputError(f"The date of birth {args.date_of_birth!r} is not a date: "
                                    "write it as 1985-06-03, 03/06/1985 or 3 Jun 1985.")
    nhs = re.sub(r"\s", "", args.nhs_number or "") or None
    given: dict[str, str] = {attr: getattr(args, option.replace("-", "_")) or ""
                             for option, (attr, _w) in EDITABLE.items()}
    given["address"] = given["address"].replace("\\n", "\n")
    details = dataclasses.replace(PersonDetails("", ""), **given, date_of_birth=dob, nhs_number=nhs)
    problems = case_changes.person_problems(details)
    if problems:
        raise InvalidInputError(" ".join(problems))
    store, _ = open_for_cli(args)
    with store:
        existing = case_changes.find_person_by_nhs(store, nhs) if nhs else None
        same_number = existing is not None
        if existing is None and dob and not args.different_person:
            existing = next((p for p in case_changes.search_people(store, details.display_name)
                             if p.date_of_birth == dob), None)
        if existing is not None and not args.existing:
            born = existing.date_of_birth.strftime("%d %b %Y") if existing.date_of_birth else "date of birth unknown"
            number = f"NHS {format_nhs_number(existing.nhs_number)}" if existing.nhs_number else "no NHS number"
            why = "has this NHS number" if same_number else "has the same name and date of birth"
            more = "" if same_number else ", or --different-person if this is someone else"
            print(f"Already in the store: {existing.display_name} ({born}, {number}) {why}. Nothing was added. "
                  f"Add --existing to open a new case for them{more}.")
            return 2
        person = existing if existing is not None else case_changes.register_person(store, details)
        case = case_changes.open_case(store, person.id)
    print(f"{case.ref}  opened for {person.display_name}")
    return 0


def cmd_edit_person(args: argparse.Namespace) -> int:
    import dataclasses

    from ddassess.commands.store import open_for_cli
    from ddassess.services import case_changes
    from ddassess.services.case_pathway import case_detail, case_id_for_ref

    given = {attr: getattr(args, option.replace("-", "_")) for option, (attr, _w) in EDITABLE.items()
             if getattr(args, option.replace("-", "_")) is not None}
    if "address" in given:
        given["address"] = given["address"].replace("\\n", "\n")
    if not given:
        print("Nothing to change: give at least one detail, e.g. --phone \"07700 900123\" (see --help).")
        return 2
    store, _ = open_for_cli(args)
    with store:
        detail = case_detail(store, case_id_for_ref(store, args.ref))
        before = case_changes.person_details(store, detail.person_id)
        case_changes.update_person(store, detail.person_id, dataclasses.replace(before, **given))
        _print_person(case_changes.person_details(store, detail.person_id))
    return 0
