"""``ddassess recovery-key renew``: issue a new recovery key, authenticated by the passphrase.

The new key is written beside the old one before it is printed, and the old ones stop
working only once it has been printed (``Store.start_new_recovery_key`` /
``confirm_recovery_key``): a crash at any point leaves a recovery key the user has.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ddassess.store import Store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recovery-key", help="issue a new recovery key")
    rk_sub = p.add_subparsers(dest="recovery_command", metavar="ACTION", required=True)
    c = rk_sub.add_parser("renew", help="print a new recovery key (asks for the passphrase); earlier ones stop working")
    c.set_defaults(handler=cmd_recovery_key_renew)


def cmd_recovery_key_renew(args: argparse.Namespace) -> int:
    from ddassess.commands.store import open_with_passphrase

    store, passphrase = open_with_passphrase(args)
    with store:
        key = store.start_new_recovery_key(passphrase)
        show_and_confirm(store, key, "NEW RECOVERY KEY — write it down or print it, and keep it somewhere safe, "
                         "apart from this laptop.\nIt is shown only now. With it you can set a new passphrase "
                         "if yours is forgotten.", "Earlier recovery keys no longer work.")
    return 0


def show_and_confirm(store: Store, key: str, heading: str, after: str) -> None:
    """Print a new recovery key; only once it is out do earlier ones stop working (rekey.py)."""
    print(heading)
    print()
    print(f"    {key}")
    print(flush=True)
    store.confirm_recovery_key()
    print(after)
