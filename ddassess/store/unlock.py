"""Unlocking a store without SQLAlchemy: the first half of opening one.

``unlock`` does everything that decides whether a store opens: it finds the store, takes
the process lock, unwraps the database key (keyring, passphrase or recovery key), proves
the key on the file, checks the store's identity and schema (upgrading an older schema
after a backup) — with SQLCipher alone. It returns an ``Unlocked``: the lock and the key,
good for a plain connection. ``store.finish_open`` then builds the ``Store`` (SQLAlchemy,
about 400 ms to import) and records the unlock in the audit trail.

The client uses the gap: it shows the first page of cases from an ``Unlocked`` while
SQLAlchemy loads on another thread (``ui.mainwindow.MainWindow.opening``), so a
practitioner sees their cases about half a second sooner. ``open_store`` does both halves
at once.

Opening tells every failure apart, in this order, and changes no file when it fails:
no store, not a store, newer key file, already open, wrong passphrase / recovery key,
corrupt, newer schema.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3

from ddassess.errors import CorruptStoreError, NoStoreError, NotAStoreError, StoreAccessError
from ddassess.fileio import special_file
from ddassess.keys import KEY_FILE_NAME, KeyFile, UnwrappedKey
from ddassess.paths import writable
from ddassess.store import schema
from ddassess.store.cipher import (
    KeyHolder,
    classify_open_error,
    raw_connect,
    sniff_file,
)
from ddassess.store.lock import LOCK_FILE_NAME, StoreLock
from ddassess.store.tidy import tidy

DB_FILE_NAME = "ddassess.db"


class UnlockRequired(Exception):
    """No passphrase or recovery key was given and the keyring could not unlock."""

    def __init__(self, has_recovery: bool) -> None:
        super().__init__("a passphrase is needed")
        self.has_recovery = has_recovery


@dataclass(frozen=True)
class Credentials:
    passphrase: str | None = None
    recovery_key: str | None = None
    use_keyring: bool = True


class Unlocked:
    """A store whose key is unwrapped and proven, and whose lock this process holds.

    Exactly one of two things must follow: ``store.finish_open`` (which takes the key and
    the lock over, into a ``Store``) or ``release`` (which drops both; leaving a ``with``
    block releases). ``connect`` gives a
    plain keyed connection meanwhile; after either, it refuses (``StoreClosedError``).
    """

    def __init__(self, folder: Path, key_file: KeyFile, db_key: bytes, lock: StoreLock, how: str,
                 read_only: bool = False) -> None:
        self.folder, self.key_file, self.lock, self.how = folder, key_file, lock, how
        self.read_only = read_only
        self._keys = KeyHolder(db_key)

    @property
    def db_path(self) -> Path:
        return self.folder / DB_FILE_NAME

    def connect(self) -> sqlcipher3.Connection:
        """A keyed DB-API connection; the caller closes it."""
        return raw_connect(self.db_path, self._keys.key, read_only=self.read_only)

    def take(self) -> tuple[bytes, StoreLock]:
        """The key and the lock, handed to the ``Store`` that now owns them (once)."""
        key = self._keys.key
        self._keys.clear()
        return key, self.lock

    def release(self) -> None:
        """Give up without opening: the key is dropped and the lock freed."""
        if not self._keys.cleared:
            self._keys.clear()
            self.lock.release()

    def __enter__(self) -> Unlocked:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()  # nothing, once a Store has taken the key and the lock


def store_exists(folder: Path) -> bool:
    return (folder / KEY_FILE_NAME).exists() or (folder / DB_FILE_NAME).exists()


def unlock(folder: Path, creds: Credentials = Credentials(), *, upgrade: bool = True,
           read_only: bool = False) -> Unlocked:
    """Find, lock and unlock the store in ``folder``; see the module's description.

    ``read_only`` (``store check`` of a copy on a read-only folder or medium) writes
    nothing: no lock file is made, no upgrade, no settling of an unfinished rotation.
    """
    _check_folder(folder)
    KeyFile.load(folder / KEY_FILE_NAME)  # "not a store" / "newer" come before "already open"
    _check_access(folder, read_only)
    lock = StoreLock(folder)
    lock.acquire(read_only=read_only)
    try:
        # Read again under the lock: whoever held it before may have rotated the key or
        # changed the passphrase since, and this process must start from what is on disk.
        key_file = KeyFile.load(folder / KEY_FILE_NAME)
        keys, how = _candidate_keys(key_file, creds)
        db_key = _open_and_check(folder / DB_FILE_NAME, key_file, keys, upgrade and not read_only, read_only)
        if not read_only:
            tidy(folder, key_file, DB_FILE_NAME)  # leftovers and permissions, under the lock
    except BaseException:
        lock.release()
        raise
    return Unlocked(folder, key_file, db_key, lock, how, read_only)


STORE_FILES = (DB_FILE_NAME, KEY_FILE_NAME, LOCK_FILE_NAME, f"{DB_FILE_NAME}-wal", f"{DB_FILE_NAME}-shm")


def _check_special_files(folder: Path) -> None:
    """A folder, pipe or device where a store file belongs: say which, before anything opens it
    (reading a pipe would wait for ever; SQLite would say only "unable to open")."""
    if (kind := special_file(folder)) is not None and kind != "a folder":
        raise StoreAccessError(f"The store's place {folder} is {kind}, not a folder.",
                               hint="Point DDASSESS_HOME at the folder that holds your store.")
    for name in STORE_FILES:
        kind = special_file(folder / name)
        if kind is not None:
            raise StoreAccessError(
                f"{folder / name} is {kind}, where the store's file {name} belongs: the store cannot be opened.",
                hint="Move it aside and put the store's own file back (from your backups; the lock, -wal and "
                "-shm files ddassess makes itself). Nothing has been changed.",
            )


def _check_access(folder: Path, read_only: bool) -> None:
    """Opening to work writes (the lock, the journal, the audit trail): say so if it cannot."""
    needs = [folder / DB_FILE_NAME, folder / KEY_FILE_NAME, folder]
    if read_only:
        wal = folder / f"{DB_FILE_NAME}-wal"
        if wal.exists() and wal.stat().st_size > 0:  # immutable=1 would read the store without it
            raise StoreAccessError(
                f"The read-only store in {folder} was not closed cleanly: its last changes are still in "
                f"{wal.name}, which cannot be merged into the store where it is.",
                hint="Copy the whole folder to a writable place and run the command there. Nothing has been changed.",
            )
        unreadable = [p for p in needs[:2] if not os.access(p, os.R_OK)]
        if unreadable:
            raise StoreAccessError(f"ddassess has no permission to read {unreadable[0]}.",
                                   hint="Check the owner and permissions of the store's files.")
        return
    refused = [p for p in needs if not writable(p)]
    if refused:
        what = "the folder" if refused[0] == folder else refused[0].name
        raise StoreAccessError(
            f"The store in {folder} is read-only ({what} cannot be written: a read-only folder, file or "
            "medium, or another user's files), and opening it to work writes to it.",
            hint="Copy the store to a folder you can write, or make it writable. `ddassess store check` "
            "works on a read-only copy. Nothing has been changed.",
        )


def _check_folder(folder: Path) -> None:
    _check_special_files(folder)
    db_path, key_path = folder / DB_FILE_NAME, folder / KEY_FILE_NAME
    has_db, has_key = db_path.exists(), key_path.exists()
    if not has_db and not has_key:
        raise NoStoreError(
            f"There is no ddassess store in {folder}.",
            hint="Create one with `ddassess init` (or start ddassess to set one up).",
        )
    if has_db and not has_key:
        kind = sniff_file(db_path)
        if kind == "plain-sqlite":
            raise NotAStoreError(f"{db_path} is an ordinary SQLite database, not a ddassess store.",
                                 hint="Choose the folder of your store; nothing has been changed.")
        raise NotAStoreError(
            f"{folder} has a {DB_FILE_NAME} but no key file ({KEY_FILE_NAME}): it is not a ddassess "
            "store, or its key file has been lost.",
            hint="Restore the key file from a backup; nothing has been changed.",
        )
    if has_key and not has_db:
        raise CorruptStoreError(f"The store file {DB_FILE_NAME} is missing from {folder} "
                                "although its key file is there.",
                                hint="Restore the store file from a backup.")
    if has_key and sniff_file(db_path) == "empty":
        # SQLCipher opens an empty file with any key as an empty database: say it here.
        raise CorruptStoreError(f"The store file {DB_FILE_NAME} in {folder} is empty although its key file is there.",
                                hint="Nothing has been changed. Restore the store file from a backup "
                                "(backups/ beside it holds copies made before upgrades).")


def _candidate_keys(key_file: KeyFile, creds: Credentials) -> tuple[list[UnwrappedKey], str]:
    if creds.passphrase is not None:
        return key_file.unlock_with_passphrase(creds.passphrase), "passphrase"
    if creds.recovery_key is not None:
        return key_file.unlock_with_recovery_key(creds.recovery_key), "recovery"
    if creds.use_keyring:
        keys = key_file.unlock_with_keyring()
        if keys:
            return keys, "keyring"
    raise UnlockRequired(has_recovery="recovery" in key_file.wraps)


def _database_errors() -> tuple[type[Exception], ...]:
    """SQLite's error, and SQLAlchemy's wrapper of it once SQLAlchemy is loaded (a schema
    upgrade runs Alembic); unlocking alone never loads SQLAlchemy."""
    errors: tuple[type[Exception], ...] = (sqlcipher3.DatabaseError,)
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return errors + (sa_exc.DatabaseError,) if sa_exc is not None else errors


def _open_and_check(db_path: Path, key_file: KeyFile, keys: list[UnwrappedKey], upgrade: bool,
                    read_only: bool = False) -> bytes:
    last_error: Exception | None = None
    for candidate in keys:
        db_key = candidate.key
        try:
            conn = raw_connect(db_path, db_key, read_only=read_only)
        except sqlcipher3.DatabaseError as exc:
            last_error = exc
            continue
        try:
            _check_identity(conn, key_file)
            if schema.check_revision(conn) == "older":
                schema.check_label(conn, schema.current_revision(conn) or "")
                if not upgrade:
                    from ddassess.errors import StoreVersionError

                    raise StoreVersionError(
                        "This store needs an upgrade before this version can use it"
                        + (", and a read-only copy cannot be upgraded." if read_only else "."),
                        hint="Open it where it can be written (a copy will do); it is backed up first.")
                schema.backup_file(db_path, conn, f"before-upgrade-from-{schema.current_revision(conn)}")
                schema.upgrade(conn)
        except Exception as exc:
            if not isinstance(exc, _database_errors()):
                raise
            raise classify_open_error(db_path, getattr(exc, "orig", None) or exc) from None
        finally:
            conn.close()
        if key_file.pending and not read_only:
            from ddassess.store.rekey import settle_pending

            settle_pending(key_file, opened_pending=candidate.pending)
        return db_key
    assert last_error is not None
    raise classify_open_error(db_path, last_error) from None


def _check_identity(conn: sqlcipher3.Connection, key_file: KeyFile) -> None:
    try:
        row = conn.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()
    except sqlcipher3.OperationalError:
        row = None
    if row is None or row[0] != key_file.store_id:
        raise CorruptStoreError(
            "The key file beside this store belongs to a different store.",
            hint="Put the store's own key file back (from a backup); nothing has been changed.",
        )
