"""Re-encrypting a store with a new database key (``ddassess key rotate``).

Used when a laptop, or a copy of the key file and passphrase, may be in the wrong hands.
The store is exported with ``sqlcipher_export`` into a new file under the new key, which
then replaces the old one. Crash safety comes from ordering:

1. the new key's wraps are written to the key file as ``pending`` (old ones still valid);
   its keyring secret goes under a *new* keyring entry, so the current entry, which the
   old key's keyring wrap needs, is untouched;
2. the new file is written and fsynced beside the store;
3. it replaces the store (``os.replace``: atomic);
4. the old keyring entry is deleted (from here on the old key opens nothing);
5. the pending wraps become the current ones.

The pending wraps also hold ``chain``: the new key wrapped by the old one. Recovery keys
are never stored, so the old recovery key cannot wrap the new key itself; it opens the
old key, which opens the new one through the chain. Step 5 moves the old recovery wrap
and the chain to ``retiring``, where they stay until the new recovery key has been shown
(the CLI prints it, then calls ``retire_previous_recovery_keys``). So at every instant
of a rotation a recovery key works: the old one until the new one is shown, and both
from then until the old ones are retired. A store left with ``retiring`` says so at the
next unlock, and ``ddassess recovery-key renew`` issues a new key and retires the rest.

A crash between 1 and 3 leaves the old store and its old key working, through the
passphrase and the keyring alike (the pending wraps, their keyring entry and the half-made
file are dropped at the next open); after 3, opening finds the old key fails and the
pending one works — through the passphrase, the recovery key or the keyring, whose pending
entry is its own — and finishes steps 4 and 5 itself. No step leaves a keyring entry that
no wrap names.

No backup copy is made before re-keying, on purpose: a copy under the old key would keep
readable exactly what a rotation is meant to make unreadable to whoever has the old key.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from ddassess.fileio import fsync_dir
from ddassess.keys import (
    KdfParams,
    KeyFile,
    keyring_account,
    keyring_delete,
    new_database_key,
    new_recovery_key,
)
from ddassess.store.cipher import attach_keyed, raw_connect

if TYPE_CHECKING:
    from ddassess.store.store import Store

log = logging.getLogger(__name__)


def rekey_tmp_path(db_path: Path) -> Path:
    return db_path.with_name(f".{db_path.name}.rekey")


def rotate(store: Store, passphrase: str, kdf: KdfParams) -> tuple[str, bytes]:
    key_file = store.key_file
    new_key = new_database_key()
    recovery = new_recovery_key()
    old_accounts = key_file.keyring_accounts()
    new_account = f"{keyring_account(key_file.store_id)}:{secrets.token_hex(4)}"
    pending = key_file.wrap_all(new_key, passphrase, recovery, key_file.has_keyring, kdf,
                                keyring_account_name=new_account)
    pending["chain"] = key_file.chain_wrap(store._db_key, new_key)
    try:
        key_file.commit(pending=pending)
    except BaseException:
        # Not written (a full disk): nothing names the new keyring entry, so it goes too.
        _forget_keyring_entries({new_account} if "keyring" in pending else set(), key_file)
        raise

    db_path = store.db_path
    tmp = rekey_tmp_path(db_path)
    _export(store, tmp, new_key)
    _swap_in(tmp, db_path)
    _forget_keyring_entries(old_accounts - key_file.keyring_accounts(pending=True), key_file)
    _promote(key_file)
    store._reconnect(new_key)
    return recovery, new_key


def _export(store: Store, tmp: Path, new_key: bytes) -> None:
    """Step 2: the whole store, under the new key, in a finished and fsynced file."""
    tmp.unlink(missing_ok=True)
    store.engine.dispose()
    conn = store.raw_connection()
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        user_version = conn.execute("PRAGMA user_version").fetchone()[0]
        attach_keyed(conn, tmp, "rekeyed", new_key)
        conn.execute("SELECT sqlcipher_export('rekeyed')").fetchall()
        conn.execute(f"PRAGMA rekeyed.user_version = {int(user_version)}")
        conn.execute("DETACH DATABASE rekeyed")
    finally:
        conn.close()
    _finish_new_file(tmp, new_key)


def _swap_in(tmp: Path, db_path: Path) -> None:
    """Step 3: the new file replaces the store in one atomic rename."""
    for side in (Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
        side.unlink(missing_ok=True)
    os.replace(tmp, db_path)
    fsync_dir(db_path.parent)


def _promote(key_file: KeyFile) -> None:
    """Step 5: the pending wraps become the current ones; the recovery key the user had
    keeps working (its wrap and the chain move to ``retiring``) until the new one is
    confirmed as shown (``KeyFile.retire_previous_recovery_keys``)."""
    pending = dict(key_file.pending or {})
    chain = pending.pop("chain", None)
    if not pending:
        key_file.commit(pending=None)
        return
    key_file.commit(wraps=pending, pending=None,
                    retiring=key_file.retiring_with(recovery=key_file.wraps.get("recovery"), chain=chain))


def _forget_keyring_entries(accounts: set[str], key_file: KeyFile) -> None:
    """Step 4 (or abandoning): delete keyring entries whose wraps open nothing any more."""
    for account in accounts:
        keyring_delete(key_file.store_id, account)


def _finish_new_file(tmp: Path, new_key: bytes) -> None:
    conn = raw_connect(tmp, new_key)
    try:
        conn.execute("PRAGMA journal_mode = WAL").fetchall()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()
    os.chmod(tmp, 0o600)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    for side in (Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        side.unlink(missing_ok=True)


def settle_pending(key_file: KeyFile, *, opened_pending: bool) -> None:
    """Finish (or abandon) a rotation that a crash interrupted.

    Keyring entries are deleted before the key file stops naming them, so a crash here
    leaves, at worst, a wrap whose entry is gone (skipped), never an entry nothing names.
    """
    current, pending = key_file.keyring_accounts(), key_file.keyring_accounts(pending=True)
    if opened_pending:
        log.warning("finishing a key rotation that was interrupted")
        _forget_keyring_entries(current - pending, key_file)
        _promote(key_file)
    else:
        log.warning("abandoning a key rotation that was interrupted before the store was replaced")
        _forget_keyring_entries(pending - current, key_file)
        key_file.commit(pending=None)
        tmp = rekey_tmp_path(key_file.path.with_name("ddassess.db"))
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
