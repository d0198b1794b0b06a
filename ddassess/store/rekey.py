"""Re-encrypting a store with a new database key (``ddassess key rotate``).

Used when a laptop, or a copy of the key file and passphrase, may be in the wrong hands.
The store is exported with ``sqlcipher_export`` into a new file under the new key, which
then replaces the old one. Crash safety comes from ordering:

1. the new key's wraps are written to the key file as ``pending`` (old ones still valid);
2. the new file is written and fsynced beside the store;
3. it replaces the store (``os.replace``: atomic);
4. the pending wraps become the current ones.

A crash between 1 and 3 leaves the old store and its old key working (the pending wraps
are dropped at the next open); between 3 and 4, opening finds the old key fails and the
pending one works, and finishes step 4 itself.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ddassess.fileio import fsync_dir
from ddassess.keys import KdfParams, KeyFile, new_database_key, new_recovery_key
from ddassess.store.engine import raw_connect

if TYPE_CHECKING:
    from ddassess.store.store import Store

log = logging.getLogger(__name__)


def rotate(store: Store, passphrase: str, kdf: KdfParams) -> tuple[str, bytes]:
    key_file = store.key_file
    new_key = new_database_key()
    recovery = new_recovery_key()
    key_file.pending = key_file.wrap_all(new_key, passphrase, recovery, key_file.has_keyring, kdf)
    key_file.save()

    db_path = store.db_path
    tmp = db_path.with_name(f".{db_path.name}.rekey")
    tmp.unlink(missing_ok=True)
    store.engine.dispose()
    conn = store.raw_connection()
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        user_version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"ATTACH DATABASE ? AS rekeyed KEY \"x'{new_key.hex()}'\"", (str(tmp),))
        conn.execute("SELECT sqlcipher_export('rekeyed')").fetchall()
        conn.execute(f"PRAGMA rekeyed.user_version = {int(user_version)}")
        conn.execute("DETACH DATABASE rekeyed")
    finally:
        conn.close()
    _finish_new_file(tmp, new_key)
    for side in (Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
        side.unlink(missing_ok=True)
    os.replace(tmp, db_path)
    fsync_dir(db_path.parent)

    key_file.wraps, key_file.pending = key_file.pending, None
    key_file.save()
    store._reconnect(new_key)
    return recovery, new_key


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
    """Finish (or abandon) a rotation that a crash interrupted."""
    if opened_pending:
        log.warning("finishing a key rotation that was interrupted")
        key_file.wraps, key_file.pending = key_file.pending or key_file.wraps, None
    else:
        log.warning("abandoning a key rotation that was interrupted before the store was replaced")
        key_file.pending = None
    key_file.save()
