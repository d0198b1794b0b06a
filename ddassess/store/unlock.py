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

import sys
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3

from ddassess.errors import CorruptStoreError, NoStoreError, NotAStoreError
from ddassess.keys import KEY_FILE_NAME, KeyFile, UnwrappedKey
from ddassess.store import schema
from ddassess.store.cipher import (
    KeyHolder,
    classify_open_error,
    raw_connect,
    sniff_file,
)
from ddassess.store.lock import StoreLock
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

    def __init__(self, folder: Path, key_file: KeyFile, db_key: bytes, lock: StoreLock, how: str) -> None:
        self.folder, self.key_file, self.lock, self.how = folder, key_file, lock, how
        self._keys = KeyHolder(db_key)

    @property
    def db_path(self) -> Path:
        return self.folder / DB_FILE_NAME

    def connect(self) -> sqlcipher3.Connection:
        """A keyed DB-API connection; the caller closes it."""
        return raw_connect(self.db_path, self._keys.key)

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


def unlock(folder: Path, creds: Credentials = Credentials(), *, upgrade: bool = True) -> Unlocked:
    """Find, lock and unlock the store in ``folder``; see the module's description."""
    _check_folder(folder)
    KeyFile.load(folder / KEY_FILE_NAME)  # "not a store" / "newer" come before "already open"
    lock = StoreLock(folder)
    lock.acquire()
    try:
        # Read again under the lock: whoever held it before may have rotated the key or
        # changed the passphrase since, and this process must start from what is on disk.
        key_file = KeyFile.load(folder / KEY_FILE_NAME)
        keys, how = _candidate_keys(key_file, creds)
        db_key = _open_and_check(folder / DB_FILE_NAME, key_file, keys, upgrade)
        tidy(folder, key_file, DB_FILE_NAME)  # leftovers and permissions, under the lock
    except BaseException:
        lock.release()
        raise
    return Unlocked(folder, key_file, db_key, lock, how)


def _check_folder(folder: Path) -> None:
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
        raise CorruptStoreError(f"The store file {DB_FILE_NAME} is missing from {folder} although its key file is there.",
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


def _open_and_check(db_path: Path, key_file: KeyFile, keys: list[UnwrappedKey], upgrade: bool) -> bytes:
    last_error: Exception | None = None
    for candidate in keys:
        db_key = candidate.key
        try:
            conn = raw_connect(db_path, db_key)
        except sqlcipher3.DatabaseError as exc:
            last_error = exc
            continue
        try:
            _check_identity(conn, key_file)
            if schema.check_revision(conn) == "older":
                if not upgrade:
                    from ddassess.errors import StoreVersionError

                    raise StoreVersionError("This store needs an upgrade before this version can use it.")
                schema.backup_file(db_path, conn, f"before-upgrade-from-{schema.current_revision(conn)}")
                schema.upgrade(conn)
        except Exception as exc:
            if not isinstance(exc, _database_errors()):
                raise
            raise classify_open_error(db_path, getattr(exc, "orig", None) or exc) from None
        finally:
            conn.close()
        if key_file.pending:
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
