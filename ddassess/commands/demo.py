"""``ddassess demo create``: make the demo store headless (fictional people only)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the demo store with fictional people")
    s = p.add_subparsers(dest="demo_command", metavar="ACTION", required=True)
    c = s.add_parser("create", help="create (or open) the demo store and say where it is")
    c.set_defaults(handler=cmd_create)


def cmd_create(args: argparse.Namespace) -> int:
    from ddassess.formengine import load_catalogue
    from ddassess.paths import store_dir
    from ddassess.services.case_list import count_cases
    from ddassess.services.case_list_rows import CaseQuery
    from ddassess.services.demo import DEMO_PASSPHRASE, open_or_create_demo

    folder = store_dir(demo=True)
    store = open_or_create_demo(folder, load_catalogue())
    with store:
        n = count_cases(store, CaseQuery(open_only=False))
    print(f"Demo store with {n} fictional cases in {folder}")
    print(f"Its passphrase is published: {DEMO_PASSPHRASE!r}. Start it with `ddassess --demo`.")
    return 0
