"""Headless store commands: init, unlock-test, store check, passphrase, key rotate.

Passphrases come from the terminal (never echoed) or, for scripts and tests, from
``DDASSESS_PASSPHRASE`` / ``DDASSESS_NEW_PASSPHRASE`` / ``DDASSESS_RECOVERY_KEY``;
never from command-line arguments, which other users can read in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ddassess.errors import InvalidInputError, UserCancelled

if TYPE_CHECKING:
    from ddassess.store import Store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create a new encrypted store in the data folder")
    p.add_argument("--name", help="your name, as it will appear on records")
    p.add_argument("--role", default="", help="your role, e.g. 'Substance misuse social worker'")
    p.add_argument("--agency", default="", help="your service, e.g. 'Substance misuse service'")
    p.add_argument("--no-keyring", action="store_true", help="do not keep a key in the system keyring")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("unlock-test", help="check that the store unlocks (keyring, passphrase or recovery key)")
    p.add_argument("--recovery", action="store_true", help="unlock with the recovery key")
    p.add_argument("--passphrase", dest="ask_passphrase", action="store_true",
                   help="ask for the passphrase even when the keyring could unlock")
    p.set_defaults(handler=cmd_unlock_test)

    p = sub.add_parser("store", help="inspect the store")
    store_sub = p.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    c = store_sub.add_parser("check", help="check integrity, the audit trail and the schema version")
    c.set_defaults(handler=cmd_store_check)
    c = store_sub.add_parser("info", help="where the store is and how it is protected (no case data)")
    c.set_defaults(handler=cmd_store_info)

    p = sub.add_parser("passphrase", help="change or reset the passphrase")
    pass_sub = p.add_subparsers(dest="passphrase_command", metavar="ACTION", required=True)
    c = pass_sub.add_parser("change", help="change the passphrase (the store is not re-encrypted)")
    c.set_defaults(handler=cmd_passphrase_change)
    c = pass_sub.add_parser("reset", help="set a new passphrase using the recovery key")
    c.set_defaults(handler=cmd_passphrase_reset)

    p = sub.add_parser("key", help="database key operations")
    key_sub = p.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    c = key_sub.add_parser("rotate", help="re-encrypt the store with a new key (e.g. after a laptop is lost)")
    c.set_defaults(handler=cmd_key_rotate)


# --- reading secrets ---------------------------------------------------------------


def read_secret(env_name: str, prompt: str, *, confirm: bool = False) -> str:
    value = os.environ.get(env_name)
    if value is not None:
        return value
    if not sys.stdin or not sys.stdin.isatty():
        raise InvalidInputError(
            f"No terminal to ask for the {prompt.lower().rstrip(': ')}.",
            hint=f"Run ddassess in a terminal, or set {env_name} for a script.",
        )
    try:
        first = getpass.getpass(prompt)
        if confirm and getpass.getpass("Type it again: ") != first:
            raise InvalidInputError("The two entries differ: nothing was changed. Try again.")
    except EOFError:
        raise UserCancelled() from None
    return first


def _folder(args: argparse.Namespace) -> Path:
    from ddassess.paths import store_dir

    return store_dir(demo=getattr(args, "demo", False))


def open_for_cli(args: argparse.Namespace, *, force_passphrase: bool = False, recovery: bool = False,
                 record_unlock: bool = True, read_only: bool = False) -> tuple[Store, str | None]:
    """Open the store: keyring first, then the passphrase (asked only when needed).

    Returns (store, the passphrase that opened it, or None when the keyring or the
    recovery key did); the store is a context manager that closes it.
    """
    from ddassess.store import Credentials, UnlockRequired, open_store

    folder = _existing_folder(args)
    if recovery:
        key = read_secret("DDASSESS_RECOVERY_KEY", "Recovery key: ")
        return _told(open_store(folder, Credentials(recovery_key=key), record_unlock=record_unlock,
                                read_only=read_only)), None
    if not force_passphrase:
        try:
            return _told(open_store(folder, Credentials(), record_unlock=record_unlock, read_only=read_only)), None
        except UnlockRequired:
            pass
    return _open_by_passphrase(args, folder, record_unlock=record_unlock, read_only=read_only)


def open_with_passphrase(args: argparse.Namespace) -> tuple[Store, str]:
    """The store opened by its passphrase, for a command that needs the passphrase too."""
    return _open_by_passphrase(args, _existing_folder(args), record_unlock=True, read_only=False)


def _existing_folder(args: argparse.Namespace) -> Path:
    folder = _folder(args)
    if getattr(args, "demo", False):
        from ddassess.errors import NoStoreError
        from ddassess.store import store_exists

        if not store_exists(folder):
            raise NoStoreError(f"There is no ddassess store in {folder} (the demo store) yet.",
                               hint="Create it with `ddassess demo create`.")
    return folder


def _open_by_passphrase(args: argparse.Namespace, folder: Path, *, record_unlock: bool,
                        read_only: bool) -> tuple[Store, str]:
    from ddassess.store import Credentials, open_store

    if getattr(args, "demo", False) and "DDASSESS_PASSPHRASE" not in os.environ:
        from ddassess.services.demo import DEMO_PASSPHRASE  # published: the demo holds fictional people only

        return open_store(folder, Credentials(passphrase=DEMO_PASSPHRASE), record_unlock=record_unlock), DEMO_PASSPHRASE
    passphrase = read_secret("DDASSESS_PASSPHRASE", "Passphrase: ")
    return _told(open_store(folder, Credentials(passphrase=passphrase), record_unlock=record_unlock,
                            read_only=read_only)), passphrase


def _told(store: Store) -> Store:
    """The store, once the user has been told of a recovery key that needs writing down."""
    from ddassess.services.vault import recovery_key_notice

    notice = recovery_key_notice(store)
    if notice:
        print(f"ddassess: {notice}", file=sys.stderr, flush=True)
    return store


# --- commands ----------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from ddassess.keys import keyring_description
    from ddassess.store import Credentials, create_store, open_store

    folder = _folder(args)
    name = args.name
    if not name:
        if not sys.stdin.isatty():
            raise InvalidInputError("Give your name with --name: it is recorded with everything you save.")
        name = input("Your name: ")
    passphrase = read_secret("DDASSESS_PASSPHRASE", "Choose a passphrase: ", confirm=True)
    created = create_store(folder, passphrase, practitioner={"name": name, "role": args.role, "agency": args.agency},
                           use_keyring=not args.no_keyring)
    uses_keyring = created.store.key_file.has_keyring
    created.store.close()
    # The key is shown before the test-unlock: should that fail, the store still exists and
    # its recovery key must not be lost with the error.
    print(f"Created an encrypted store in {folder}")
    print()
    print("RECOVERY KEY — write it down or print it, and keep it somewhere safe, apart from this laptop.")
    print("It is shown only now. With it you can set a new passphrase if this one is forgotten.")
    print()
    print(f"    {created.recovery_key}")
    print(flush=True)
    # Test-unlock with the passphrase before the user relies on it.
    open_store(folder, Credentials(passphrase=passphrase, use_keyring=False)).close()
    print("The passphrase was checked: it unlocks the store.")
    if args.no_keyring:
        print("The system keyring is not used: ddassess will ask for your passphrase each time.")
    elif not uses_keyring:
        print(keyring_description())
    else:
        print("The system keyring will unlock this store on this computer; your passphrase always works too.")
    return 0


def cmd_unlock_test(args: argparse.Namespace) -> int:
    store, _ = open_for_cli(args, force_passphrase=args.ask_passphrase, recovery=args.recovery)
    with store:
        print(f"Unlocked with the {store.unlocked_by}: {store.folder}")
    return 0


def cmd_store_check(args: argparse.Namespace) -> int:
    from ddassess.errors import IntegrityProblem
    from ddassess.store.check import check_store
    from ddassess.store.store import record_access

    # The unlock event is written only after a clean check: a store whose damage makes
    # that first write fail must still get its report (exit 8), not only "corrupt".
    # A copy on a read-only folder or medium is checked as it is; nothing is recorded in it.
    read_only = _read_only_store(_folder(args))
    store, _ = open_for_cli(args, record_unlock=False, read_only=read_only)
    with store:
        report = check_store(store)
        if report.ok and not read_only:
            record_access(store, "unlock")
    for line in report.lines():
        print(line)
    if read_only:
        print("(a read-only store: checked as it is, and nothing was recorded in it)")
    if not report.ok:
        raise IntegrityProblem(
            "The store check found problems (listed above).",
            hint="Keep this laptop's store as it is and tell your team lead; restore from a backup if needed.",
        )
    return 0


def _read_only_store(folder: Path) -> bool:
    from ddassess.paths import writable
    from ddassess.store.unlock import DB_FILE_NAME

    return folder.is_dir() and (folder / DB_FILE_NAME).is_file() and not (
        writable(folder) and writable(folder / DB_FILE_NAME))


def cmd_store_info(args: argparse.Namespace) -> int:
    from ddassess.keys import KEY_FILE_NAME, KeyFile, keyring_description

    folder = _folder(args)
    key_file = KeyFile.load(folder / KEY_FILE_NAME)
    print(f"Store folder: {folder}")
    print(f"Store id: {key_file.store_id}")
    print(f"Created: {key_file.created_at}")
    print("Unlocks with: " + ", ".join(sorted(key_file.wraps)))
    if key_file.recovery_key_unconfirmed:
        print("A previous recovery key also still works, until a new one is confirmed: "
              "run `ddassess recovery-key renew`.")
    print(keyring_description())
    return 0


def cmd_passphrase_change(args: argparse.Namespace) -> int:
    store, old = open_with_passphrase(args)
    with store:
        new = read_secret("DDASSESS_NEW_PASSPHRASE", "New passphrase: ", confirm=True)
        store.change_passphrase(old, new)
    print("Passphrase changed. The store itself was not re-encrypted; your recovery key still works.")
    return 0


def cmd_passphrase_reset(args: argparse.Namespace) -> int:
    store, _ = open_for_cli(args, recovery=True)
    with store:
        new = read_secret("DDASSESS_NEW_PASSPHRASE", "New passphrase: ", confirm=True)
        store.reset_passphrase(new)
    print("New passphrase set. The recovery key still works.")
    return 0


def cmd_key_rotate(args: argparse.Namespace) -> int:
    from ddassess.commands.recovery import show_and_confirm

    store, passphrase = open_with_passphrase(args)
    with store:
        recovery = store.rotate_key(passphrase)
        print("The store is now encrypted with a new key. Your passphrase is unchanged.")
        backups = store.folder / "backups"
        if backups.is_dir() and any(backups.iterdir()):
            print(f"Copies made before earlier upgrades, in {backups}, still open with the old key and passphrase: "
                  "delete them if that passphrase may be known to someone else.")
        print()
        show_and_confirm(store, recovery, "NEW RECOVERY KEY — write this one down and keep it safe:",
                         "The old recovery key no longer works.")
    return 0
