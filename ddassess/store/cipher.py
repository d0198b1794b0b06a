"""SQLCipher without SQLAlchemy: keying a connection, the key holder, telling failures apart.

Each new DB-API connection runs, before anything else:

* the key, as SQLCipher's raw-key literal ``x'<64 hex>'`` — so SQLCipher skips its own
  PBKDF2 (the key is already random; slow derivation happens once, in ``keys``) — passed
  through ``sqlite3_key`` from a buffer that is zeroed at once (``apply_key``: no hex copy
  of the key is left in a Python string; docs/security.md says what remains);
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

import ctypes
import logging
import os
import sys
from pathlib import Path

import sqlcipher3

from ddassess.errors import CorruptStoreError, NotAStoreError, StoreClosedError
from ddassess.fileio import NotARegularFile, read_head

log = logging.getLogger(__name__)

SQLITE_PLAIN_HEADER = b"SQLite format 3\x00"


def key_pragma(db_key: bytes) -> str:
    """The key as a ``PRAGMA key`` statement: only for the fallback and for tests, since
    a ``str`` is immutable and its copy of the key cannot be wiped (see ``apply_key``)."""
    if len(db_key) != 32:
        raise ValueError("the database key is 32 bytes")
    return f"PRAGMA key = \"x'{db_key.hex()}'\""


def prepare_connection(dbapi_conn: sqlcipher3.Connection, db_key: bytes | bytearray) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA cipher_log_level = NONE")
        apply_key(dbapi_conn, db_key)
        cur.execute("PRAGMA temp_store = MEMORY")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA busy_timeout = 5000")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        cur.close()


def apply_key(dbapi_conn: sqlcipher3.Connection, db_key: bytes | bytearray) -> None:
    """Key a connection, leaving no copy of the key as hex text behind.

    ``PRAGMA key = "x'<hex>'"`` needs the key as a Python ``str``: immutable, kept in the
    connection's statement cache and, once freed, left in the heap until reused. So the
    raw-key literal ``x'<hex>'`` is written into a ctypes buffer and handed to SQLCipher's
    ``sqlite3_key`` (exported by the sqlcipher3 extension itself, the same SQLite the
    connection uses), then the buffer is zeroed. SQLCipher keeps its own copy of the key
    in its codec and wipes it when the connection closes. Where the connection's handle
    cannot be found safely (``_native_key`` says how), the pragma is used instead.
    """
    if len(db_key) != 32:
        raise ValueError("the database key is 32 bytes")
    native = _native_key()
    handle = native.handle(dbapi_conn) if native else None
    if native is None or handle is None:
        dbapi_conn.execute(key_pragma(bytes(db_key)))
        return
    literal = ctypes.create_string_buffer(67)  # x'<64 hex digits>'
    try:
        literal[0], literal[1], literal[66] = b"x", b"'", b"'"
        for i, byte in enumerate(db_key):
            literal[2 + 2 * i] = _HEX[byte >> 4]
            literal[3 + 2 * i] = _HEX[byte & 15]
        rc = native.sqlite3_key(handle, literal, 67)
    finally:
        ctypes.memset(literal, 0, 67)
    if rc != 0:
        raise sqlcipher3.DatabaseError(f"sqlite3_key failed ({rc})")


def attach_keyed(dbapi_conn: sqlcipher3.Connection, db_path: Path, alias: str, db_key: bytes | bytearray) -> None:
    """Attach a *new* database file as ``alias``, encrypted under ``db_key``, leaving no copy
    of the key as hex text behind.

    ``ATTACH ... KEY "x'<hex>'"`` would hold the key in a Python ``str`` (immutable, cached
    with the statement, left in the heap once freed) and in SQLite's copy of the statement.
    So the file is attached without a key, then keyed through SQLCipher's ``sqlite3_key_v2``
    for that schema from a buffer zeroed at once, as ``apply_key`` keys a connection: the
    file is empty until the first write, so the new key is the one it is written with.
    Where ``sqlite3_key_v2`` cannot be reached, the raw-key literal is bound as a blob
    from a ``bytearray`` that is zeroed after the statement (SQLite's own copy of the bound
    bytes is freed, not wiped, when the connection closes).
    """
    if len(db_key) != 32:
        raise ValueError("the database key is 32 bytes")
    if not alias.isidentifier():
        raise ValueError("the alias is a plain name")
    native = _native_key()
    handle = native.handle(dbapi_conn) if native is not None and native.sqlite3_key_v2 is not None else None
    literal = bytearray(67)  # x'<64 hex digits>'
    try:
        literal[0:2], literal[66] = b"x'", ord("'")
        for i, byte in enumerate(db_key):
            literal[2 + 2 * i], literal[3 + 2 * i] = _DIGITS[byte >> 4], _DIGITS[byte & 15]
        if native is None or native.sqlite3_key_v2 is None or handle is None:
            dbapi_conn.execute(f"ATTACH DATABASE ? AS {alias} KEY ?", (str(db_path), literal))
            return
        dbapi_conn.execute(f"ATTACH DATABASE ? AS {alias} KEY ''", (str(db_path),))
        rc = native.sqlite3_key_v2(handle, alias.encode("ascii"), (ctypes.c_char * 67).from_buffer(literal), 67)
    finally:
        literal[:] = bytes(67)
    if rc != 0:
        dbapi_conn.execute(f"DETACH DATABASE {alias}")
        raise sqlcipher3.DatabaseError(f"sqlite3_key_v2 failed ({rc})")


_DIGITS = b"0123456789abcdef"
_HEX = tuple(bytes([c]) for c in b"0123456789abcdef")  # one-byte strings: ctypes stores those


class _NativeKey:
    """``sqlite3_key`` of the sqlcipher3 extension, and the ``sqlite3 *`` of a connection.

    sqlcipher3's ``Connection`` is CPython's sqlite3 module's: the ``sqlite3 *`` is the first
    field after the object header. That is checked, not assumed, before each use: the
    pointer must point at a ``sqlite3`` whose first field is SQLite's default VFS, read
    through ``/proc/self/mem`` (a bad address gives an error there, not a crash). Where
    that cannot be read (not Linux), the pragma is used instead.
    """

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.sqlite3_key = lib.sqlite3_key
        self.sqlite3_key.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
        self.sqlite3_key.restype = ctypes.c_int
        # Keys one schema of a connection (an attached database); older builds may lack it.
        self.sqlite3_key_v2 = getattr(lib, "sqlite3_key_v2", None)
        if self.sqlite3_key_v2 is not None:
            self.sqlite3_key_v2.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
            self.sqlite3_key_v2.restype = ctypes.c_int
        find = lib.sqlite3_vfs_find
        find.argtypes, find.restype = [ctypes.c_char_p], ctypes.c_void_p
        self.default_vfs = find(None)

    def handle(self, conn: sqlcipher3.Connection) -> int | None:
        if not isinstance(conn, sqlcipher3.Connection):
            return None
        handle = ctypes.c_void_p.from_address(id(conn) + object.__basicsize__).value
        if not handle or _read_pointer(handle) != self.default_vfs:
            log.info("sqlcipher3's connection layout was not recognised; keying with the pragma")
            return None
        return int(handle)


def _read_pointer(address: int) -> int | None:
    try:
        with open("/proc/self/mem", "rb", buffering=0) as mem:
            data = os.pread(mem.fileno(), ctypes.sizeof(ctypes.c_void_p), address)
    except (OSError, ValueError, OverflowError):
        return None
    return int.from_bytes(data, sys.byteorder) if len(data) == ctypes.sizeof(ctypes.c_void_p) else None


_native: list[_NativeKey | None] = []


def _native_key() -> _NativeKey | None:
    if not _native:
        try:
            import sqlcipher3._sqlite3 as extension

            _native.append(_NativeKey(ctypes.CDLL(extension.__file__)) if sys.platform == "linux" else None)
        except (OSError, AttributeError, ImportError) as exc:
            log.info("sqlite3_key is not reachable (%s); keying with the pragma", exc.__class__.__name__)
            _native.append(None)
    return _native[0]


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
        key, self._key = self._key, None
        # Wipe the key's bytes in place when nobody else holds them (this local and
        # getrefcount's own argument are the only references): a Store that took the key
        # from an Unlocked keeps its copy; the last holder to clear wipes it.
        if type(key) is bytes and sys.getrefcount(key) <= 2:
            _wipe_bytes(key)

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


def _wipe_bytes(data: bytes) -> None:
    """Zero an otherwise unreferenced ``bytes`` object's buffer (checked to be that buffer first)."""
    address = id(data) + sys.getsizeof(b"") - 1
    if ctypes.string_at(address, len(data)) == data:
        ctypes.memset(address, 0, len(data))


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
        head = read_head(db_path, 16)  # never blocks on a pipe put in its place
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
