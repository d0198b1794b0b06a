"""Creating, opening and re-keying a case store: a folder with three files.

::

    <folder>/ddassess.db         SQLCipher 4 database (+ -wal, -shm while open)
    <folder>/ddassess.keys.json  the non-secret key file (keys/key_file.py): wrapped database key
    <folder>/ddassess.lock       names the process holding the store (the lock is on the folder)
    <folder>/backups/<stamp>-before-upgrade-from-<rev>/
                                 ddassess.db + ddassess.keys.json copied before a schema
                                 upgrade (re-keying makes no copy: see rekey.py)

Opening is in two halves: ``unlock.py`` finds, locks and unlocks the store with SQLCipher
alone (and tells every failure apart); ``finish_open`` here builds the ``Store`` on
SQLAlchemy and records the unlock. ``open_store`` does both.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3
from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlalchemy.orm import Session, sessionmaker

from ddassess import __version__
from ddassess.errors import (
    CorruptStoreError,
    StoreError,
    StoreExistsError,
)
from ddassess.keys import (
    KEY_FILE_NAME,
    KdfParams,
    KeyFile,
    check_new_passphrase,
    new_database_key,
    new_recovery_key,
)
from ddassess.paths import ensure_private_dir
from ddassess.store import audit, schema
from ddassess.store.cipher import KeyHolder, raw_connect
from ddassess.store.engine import make_engine
from ddassess.store.lock import StoreLock
from ddassess.store.records import MetaRecord, PractitionerRecord, new_uuid
from ddassess.store.unlock import (
    DB_FILE_NAME,
    Credentials,
    Unlocked,
    UnlockRequired,
    store_exists,
    unlock,
)

log = logging.getLogger(__name__)

__all__ = ["DB_FILE_NAME", "CreatedStore", "Credentials", "Store", "UnlockRequired", "Unlocked", "create_store",
           "finish_open", "open_store", "store_exists"]


class Store:
    """An open, unlocked store. Holds the process lock until ``close``.

    After ``close`` the object is dead: the key holder the engine reads from is empty and
    every read, write or raw connection raises ``StoreClosedError`` — it cannot quietly
    reconnect and decrypt beside another process that has since taken the lock.
    """

    def __init__(self, folder: Path, key_file: KeyFile, db_key: bytes, lock: StoreLock,
                 unlocked_by: str, read_only: bool = False) -> None:
        self.folder = folder
        self.read_only = read_only  # a read-only copy, opened by ``store check``: nothing is written
        self.key_file = key_file
        self.lock = lock
        self.unlocked_by = unlocked_by  # keyring / passphrase / recovery / created
        self._keys = KeyHolder(db_key)
        self.engine: Engine = make_engine(folder / DB_FILE_NAME, self._keys, read_only=read_only)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self.engine.execution_options(immediate=True), expire_on_commit=False)
        self.store_id = key_file.store_id
        self._owner_uuid: str | None = None

    @property
    def _db_key(self) -> bytes:
        return self._keys.key  # StoreClosedError after close

    @property
    def closed(self) -> bool:
        return self._keys.cleared

    # sessions ----------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work: committed (and on disk) when the block ends, rolled back on error."""
        self._keys.key  # noqa: B018 - refuse at once when closed
        with self._writer.begin() as session:
            # Shared records changed in this unit of work write their operations in it
            # (exchange/capture.py, installed by the services package).
            session.info["ddassess_store"] = self
            yield session

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        self._keys.key  # noqa: B018 - refuse at once when closed
        with self._reader() as session, session.begin():
            yield session

    # identity ----------------------------------------------------------------------

    @property
    def db_path(self) -> Path:
        return self.folder / DB_FILE_NAME

    def meta(self, key: str) -> str | None:
        with self.read() as s:
            row = s.get(MetaRecord, key)
            return row.value if row else None

    @property
    def owner_uuid(self) -> str:
        if self._owner_uuid is None:
            self._owner_uuid = self.meta("owner_practitioner") or "system"
        return self._owner_uuid

    def owner(self) -> PractitionerRecord | None:
        from sqlalchemy import select

        with self.read() as s:
            return s.scalars(select(PractitionerRecord).where(PractitionerRecord.uuid == self.owner_uuid)).first()

    # keys --------------------------------------------------------------------------

    def change_passphrase(self, old: str, new: str, kdf: KdfParams | None = None) -> None:
        """Re-wrap the database key with a new passphrase; the store file is not touched."""
        self.key_file.unlock_with_passphrase(old)
        check_new_passphrase(new)
        self.key_file.rewrap_passphrase(self._db_key, new, kdf or KdfParams())
        with self.write() as s:
            audit.append_event(s, actor=self.owner_uuid, action="passphrase-change", entity_type="store",
                               entity_id=self.store_id)

    def reset_passphrase(self, new: str, kdf: KdfParams | None = None) -> None:
        """Set a new passphrase on a store unlocked with the recovery key (or keyring)."""
        check_new_passphrase(new)
        self.key_file.rewrap_passphrase(self._db_key, new, kdf or KdfParams())
        with self.write() as s:
            audit.append_event(s, actor=self.owner_uuid, action="passphrase-reset", entity_type="store",
                               entity_id=self.store_id, reason=f"new passphrase set after unlock by {self.unlocked_by}")

    def start_new_recovery_key(self, passphrase: str) -> str:
        """A new recovery key, written beside the old one (which keeps working) before it is
        shown; ``confirm_recovery_key`` retires the old ones once it has been shown. The
        passphrase proves who asks; recovery keys are never stored, so one cannot be shown
        again: a new one is made."""
        self.key_file.unlock_with_passphrase(passphrase)
        key = new_recovery_key()
        self.key_file.add_recovery_wrap(self._db_key, key)
        with self.write() as s:
            audit.append_event(s, actor=self.owner_uuid, action="recovery-key-replaced", entity_type="store",
                               entity_id=self.store_id)
        return key

    def confirm_recovery_key(self) -> None:
        """The newest recovery key has been shown: earlier ones stop working."""
        self.key_file.retire_previous_recovery_keys()

    def set_keyring(self, enabled: bool) -> bool:
        """Turn passwordless unlock through the OS keyring on or off; True if it is now on.

        Turning it on fails quietly (returns False) when there is no secure keyring; the
        caller says so with ``keys.keyring_description()``.
        """
        if enabled:
            added = self.key_file.add_keyring_wrap(self._db_key)
            if not added:
                return False
        else:
            self.key_file.remove_keyring_wrap()
        with self.write() as s:
            audit.append_event(s, actor=self.owner_uuid, action="keyring-on" if enabled else "keyring-off",
                               entity_type="store", entity_id=self.store_id)
        return enabled

    def rotate_key(self, passphrase: str, kdf: KdfParams | None = None) -> str:
        """Re-encrypt with a new database key (a lost laptop); returns the new recovery key."""
        from ddassess.store.rekey import rotate

        self.key_file.unlock_with_passphrase(passphrase)
        recovery, _new_key = rotate(self, passphrase, kdf or KdfParams())
        with self.write() as s:
            audit.append_event(s, actor=self.owner_uuid, action="key-rotate", entity_type="store",
                               entity_id=self.store_id, reason="database key replaced")
        return recovery

    def _reconnect(self, db_key: bytes) -> None:
        self.engine.dispose()
        self._keys.replace(db_key)
        self.engine = make_engine(self.db_path, self._keys, read_only=self.read_only)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self.engine.execution_options(immediate=True), expire_on_commit=False)

    def raw_connection(self) -> sqlcipher3.Connection:
        """A keyed DB-API connection for checks; the caller closes it."""
        return raw_connect(self.db_path, self._db_key, read_only=self.read_only)

    # closing -----------------------------------------------------------------------

    def anchor_audit_head(self) -> None:
        """Record the audit head in the key file, outside the database (see audit.py).

        The anchor moves only forward from a chain that still holds the anchored event:
        after tampering, the old anchor stays so that ``store check`` still reports it.
        """
        with self.read() as s:
            seq, h = audit.head(s)
            old = self.key_file.anchor()
            if seq == 0 or old == (seq, h):
                return
            if old is not None and not audit.contains(s, *old):
                log.warning("the audit trail no longer holds its anchored event; the anchor is kept for store check")
                return
        self.key_file.commit(audit_anchor={"seq": seq, "hash": h})

    def close(self) -> None:
        """Anchor the audit head, drop the key and every connection, then free the lock.

        The key goes before the connections, so no connection can be made between the
        two; closing twice is harmless.
        """
        if not self.closed and not self.read_only:
            try:
                self.anchor_audit_head()
            except (SQLAlchemyDatabaseError, sqlcipher3.DatabaseError, OSError, StoreError) as exc:
                # StoreError: the key file could not be written, or another program changed
                # it (then it must not be overwritten): closing goes on without the anchor.
                log.warning("audit head not anchored at close: %s", type(exc).__name__)
        self._keys.clear()
        if self.engine is not None:
            self.engine.dispose()
        self.lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class CreatedStore:
    store: Store
    recovery_key: str


def _refuse_existing(folder: Path) -> None:
    if store_exists(folder):
        raise StoreExistsError(
            f"There is already a store in {folder}.",
            hint="Open it, or choose another folder (DDASSESS_HOME); it was not overwritten.",
        )


def _check_practitioner(practitioner: dict[str, str]) -> None:
    """Name, role and service within domain/limits.py, before anything is made."""
    from ddassess.domain.limits import practitioner_problem
    from ddassess.errors import InvalidInputError

    problem = practitioner_problem(practitioner.get("name"), practitioner.get("role"), practitioner.get("agency"))
    if problem:
        raise InvalidInputError(problem)


def create_store(folder: Path, passphrase: str, *, practitioner: dict[str, str],
                 use_keyring: bool = True, kdf: KdfParams | None = None) -> CreatedStore:
    """Make a new store; returns it open, with the recovery key to show once."""
    check_new_passphrase(passphrase)
    if not practitioner.get("name", "").strip():
        from ddassess.errors import InvalidInputError

        raise InvalidInputError("Enter the practitioner's name: it is recorded with everything they save.")
    _check_practitioner(practitioner)
    _refuse_existing(folder)
    ensure_private_dir(folder)
    lock = StoreLock(folder)
    lock.acquire()
    db_path = folder / DB_FILE_NAME
    try:
        # Again under the lock: another process may have created a store since the check
        # above. Past this line the files are ours, so cleaning up after a failure can
        # never delete someone else's store.
        _refuse_existing(folder)
    except BaseException:
        lock.release()
        raise
    try:
        db_key = new_database_key()
        recovery = new_recovery_key()
        key_file = KeyFile(path=folder / KEY_FILE_NAME, store_id=new_uuid(), wraps={},
                           created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        key_file.wraps = key_file.wrap_all(db_key, passphrase, recovery, use_keyring, kdf or KdfParams())
        conn = raw_connect(db_path, db_key)
        try:
            os.chmod(db_path, 0o600)
            conn.execute("PRAGMA journal_mode = WAL").fetchall()
            schema.upgrade(conn)
        finally:
            conn.close()
        key_file.save()  # last: a store without a key file is an unfinished one
    except BaseException:
        lock.release()
        for leftover in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    store = Store(folder, key_file, db_key, lock, unlocked_by="created")
    owner = PractitionerRecord(uuid=new_uuid(), name=practitioner["name"].strip(),
                               role=practitioner.get("role", "").strip(),
                               agency=practitioner.get("agency", "").strip(),
                               email=practitioner.get("email", "").strip(),
                               phone=practitioner.get("phone", "").strip())
    with store.write() as s:
        s.add(owner)
        s.add_all([MetaRecord(key="store_id", value=key_file.store_id),
                   MetaRecord(key="created_at", value=key_file.created_at),
                   MetaRecord(key="created_by_version", value=__version__),
                   MetaRecord(key="owner_practitioner", value=owner.uuid)])
        s.flush()
        audit.append_event(s, actor=owner.uuid, action="create", entity_type="store", entity_id=key_file.store_id,
                           changes={audit.AUDIT_FORMAT_KEY: [None, audit.AUDIT_FORMAT]})
        audit.append_event(s, actor=owner.uuid, action="create", entity_type="practitioner",
                           entity_id=owner.uuid, changes={k: [None, getattr(owner, k)]
                                                          for k in ("name", "role", "agency", "email", "phone")})
    return CreatedStore(store, recovery)


def open_store(folder: Path, creds: Credentials | None = None, *, upgrade: bool = True,
               record_unlock: bool = True, read_only: bool = False) -> Store:
    """Open and unlock an existing store, upgrading its schema (after a backup) if older.

    Without ``creds`` the key is looked for in the OS keyring only (``Credentials()``).
    ``record_unlock=False`` is for ``store check`` only: it must be able to look at a store
    whose damaged pages would make the unlock event fail; it records its own event after.
    """
    return finish_open(unlock(folder, creds if creds is not None else Credentials(), upgrade=upgrade,
                              read_only=read_only),
                       record_unlock=record_unlock and not read_only)


def finish_open(unlocked: Unlocked, *, record_unlock: bool = True) -> Store:
    """The second half of opening (see ``unlock.py``): the ``Store`` takes the key and the
    lock over, and the unlock is recorded. On failure nothing is left open."""
    try:
        db_key, lock = unlocked.take()
    except BaseException:
        unlocked.release()
        raise
    try:
        store = Store(unlocked.folder, unlocked.key_file, db_key, lock, unlocked_by=unlocked.how,
                      read_only=unlocked.read_only)
    except BaseException:
        lock.release()
        raise
    if record_unlock:
        try:
            record_access(store, "unlock")
        except BaseException:
            store.close()  # drops the key and releases the lock: nothing is left half-open
            raise
    return store


def record_access(store: Store, action: str) -> None:
    """Write the audit event for an unlock (or a check); damage found here is "corrupt".

    This is the first write of a session, and the first time pages such as the audit
    trail's are read: a damaged page surfaces here as SQLite's ``DatabaseError``, which
    must reach the user as ``CorruptStoreError`` (without SQL or parameters), not as a
    traceback. The failed transaction is rolled back, so the file is unchanged.
    """
    try:
        with store.write() as s:
            audit.append_event(s, actor=store.owner_uuid, action=action, entity_type="store",
                               entity_id=store.store_id, changes={"method": store.unlocked_by})
        store.anchor_audit_head()
    except (SQLAlchemyDatabaseError, sqlcipher3.DatabaseError) as exc:
        orig = getattr(exc, "orig", exc)
        log.warning("store damaged: %s while recording %s", type(orig).__name__, action)
        raise CorruptStoreError(
            f"The store file {DB_FILE_NAME} opened with its key but part of it is damaged "
            f"({type(orig).__name__}: {orig}).",
            hint="Nothing has been changed. Run `ddassess store check` to see what is damaged, and "
            "restore the store from a backup, or ask IT to copy the file for recovery first.",
        ) from None
