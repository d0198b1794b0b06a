"""SQLCipher without SQLAlchemy: keying a connection, the key holder, telling failures apart.

Each new DB-API connection runs, before anything else:

* ``PRAGMA key = "x'<64 hex>'"`` — a raw key, so SQLCipher skips its own PBKDF2 (the
  key is already random; slow derivation happens once, in ``keys``);
* ``PRAGMA cipher_log_level = NONE`` — SQLCipher must not write to stderr;
* ``PRAGMA temp_store = MEMORY`` — sorts and temporary tables never touch the disk;
* ``PRAGMA foreign_keys = ON``, ``busy_timeout``;
* ``PRAGMA synchronous = FULL`` — a commit is on the disk before it is acknowledged,
  so a flat battery does not lose the last save (WAL + NORMAL would survive a crash of
  the process but not of the machine).

The key is checked with a first read at once; ``classify_open_error`` turns SQLite's
one message for every failure into the product's distinct errors.

Nothing here imports SQLAlchemy (400 ms): unlocking and the first screen of cases at
start-up need only this (see ``unlock.py``); ``engine.py`` builds the SQLAlchemy engine
on top of it.
"""

from __future__ import annotations

from pathlib import Path

import sqlcipher3

from ddassess.errors import CorruptStoreError, NotAStoreError, StoreClosedError
from ddassess.paths import NotARegularFile, read_regular_file

SQLITE_PLAIN_HEADER = b"SQLite format 3\x00"


def key_pragma(db_key: bytes) -> str:
    if len(db_key) != 32:
        raise ValueError("the database key is 32 bytes")
    return f"PRAGMA key = \"x'{db_key.hex()}'\""


def prepare_connection(dbapi_conn: sqlcipher3.Connection, db_key: bytes) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA cipher_log_level = NONE")
        cur.execute(key_pragma(db_key))
        cur.execute("PRAGMA temp_store = MEMORY")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA busy_timeout = 5000")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        cur.close()


class KeyHolder:
    """The one place an open store keeps its database key; ``clear`` drops it for good."""

    __slots__ = ("_key",)

    def __init__(self, db_key: bytes) -> None:
        if len(db_key) != 32:
            raise ValueError("the database key is 32 bytes")
        self._key: bytes | None = db_key

    @property
    def key(self) -> bytes:
        if self._key is None:
            raise StoreClosedError(
                "The store is locked: its key was dropped when it was closed.",
                hint="Unlock the store again to go on; nothing was read or written.",
            )
        return self._key

    def replace(self, db_key: bytes) -> None:
        self.key  # noqa: B018 - a closed store cannot be given a key again
        self._key = db_key

    def clear(self) -> None:
        self._key = None

    @property
    def cleared(self) -> bool:
        return self._key is None


def connect_target(db_path: Path, read_only: bool = False) -> tuple[str, bool]:
    """(database, is_uri) for ``sqlite3.connect``.

    Read-only is SQLite's ``mode=ro`` plus ``immutable=1``: a store in WAL mode otherwise
    needs to create its ``-shm`` beside it, which a read-only folder refuses. Immutable
    means SQLite takes no locks and ignores a ``-wal``, so ``unlock`` refuses a read-only
    store that still has one, and holds the store's own lock meanwhile when it can.
    """
    if not read_only:
        return str(db_path), False
    from urllib.parse import quote

    return f"file:{quote(str(db_path.absolute()))}?mode=ro&immutable=1", True


def raw_connect(db_path: Path, db_key: bytes, *, read_only: bool = False) -> sqlcipher3.Connection:
    """A plain DB-API connection (for checks, export and tests), keyed and verified."""
    database, uri = connect_target(db_path, read_only)
    conn = sqlcipher3.connect(database, uri=uri, isolation_level=None)
    try:
        prepare_connection(conn, db_key)
    except sqlcipher3.DatabaseError:
        conn.close()
        raise
    return conn


def sniff_file(db_path: Path) -> str:
    """'missing', 'special', 'empty', 'plain-sqlite' or 'opaque' (encrypted, or anything else)."""
    try:
        head = read_regular_file(db_path, 16)  # never blocks on a pipe put in its place
    except FileNotFoundError:
        return "missing"
    except NotARegularFile:
        return "special"
    if not head:
        return "empty"
    if head == SQLITE_PLAIN_HEADER:
        return "plain-sqlite"
    return "opaque"


def classify_open_error(db_path: Path, exc: Exception) -> Exception:
    """SQLite says 'file is not a database' for every failure: say which one it was.

    Called only after the key file unwrapped the key, so the key is right: a plain SQLite
    file is not a store, and an encrypted file that the right key cannot read is corrupt.
    """
    kind = sniff_file(db_path)
    if kind == "plain-sqlite":
        return NotAStoreError(
            f"{db_path.name} is an ordinary, unencrypted SQLite database, not a ddassess store.",
            hint="Choose the folder of your store; nothing has been changed.",
        )
    if kind in ("missing", "empty"):
        return CorruptStoreError(
            f"The store file {db_path.name} is {kind} although its key file is present.",
            hint="Restore the store from a backup (the backups folder beside it holds copies made before upgrades).",
        )
    return CorruptStoreError(
        f"The store file {db_path.name} cannot be read with its own key: it is damaged "
        f"({exc.__class__.__name__}: {exc}).",
        hint="Nothing has been changed. Restore it from a backup, or ask IT to copy the "
        "file for recovery before anything else is tried.",
    )
