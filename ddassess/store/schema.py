"""Schema versions: create, recognise and upgrade a store's schema with Alembic.

Opening a store at the newest schema costs one small query (``HEAD_REVISION`` is a
constant, checked against the migration scripts by a test), so Alembic is imported only
to create or upgrade. Before any upgrade the store file is copied, still encrypted, with
its key file to a folder under ``backups/`` beside it, so a failed upgrade costs nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import sqlcipher3

from ddassess.errors import CorruptStoreError, StoreVersionError, UpgradeFailedError
from ddassess.fileio import fsync_dir

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

HEAD_REVISION = "0018"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BACKUP_DIR_NAME = "backups"


def current_revision(conn: sqlcipher3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlcipher3.OperationalError:
        return None
    return row[0] if row else None


def _alembic_config(conn: sqlcipher3.Connection) -> tuple[Config, Engine]:
    from alembic.config import Config
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool

    # Alembic wants a SQLAlchemy connection: wrap the already keyed DB-API connection.
    engine = create_engine("sqlite://", creator=lambda: conn, poolclass=StaticPool)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg, engine


def known_revisions() -> list[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return [s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()]


def upgrade(conn: sqlcipher3.Connection, target: str = "head") -> None:
    """Run the migrations up to ``target`` in one transaction: all of them, or none.

    Foreign keys are switched off first (SQLite ignores the pragma inside a transaction):
    a batch ALTER rebuilds a table by copy, drop and rename, and with foreign keys on, the
    drop of ``practitioners`` would cascade-delete every row that refers to it
    (``practitioner_settings``, ``signing_identities``). Before committing,
    ``PRAGMA foreign_key_check`` must find nothing, or the whole upgrade is rolled back.
    """
    from alembic import command

    cfg, engine = _alembic_config(conn)
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with engine.begin() as sa_conn:
            # pysqlite would run each DDL statement in autocommit; SQLite can do better.
            sa_conn.exec_driver_sql("BEGIN IMMEDIATE")
            cfg.attributes["connection"] = sa_conn
            command.upgrade(cfg, target)
            broken = sa_conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                tables = ", ".join(sorted({row[0] for row in broken}))
                raise UpgradeFailedError(
                    f"Upgrading the store would leave {len(broken)} record(s) in {tables} referring to "
                    "records that do not exist, so the upgrade was undone and the store is as it was.",
                    hint="Keep using the version that made it and report this; a copy was saved in backups/.",
                )
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def check_revision(conn: sqlcipher3.Connection) -> str:
    """'current' or 'older'; raises for a newer or unrecognised schema."""
    rev = current_revision(conn)
    if rev == HEAD_REVISION:
        return "current"
    if rev is None:
        raise CorruptStoreError(
            "The store opened with its key but has no schema version: it was damaged or never finished being created.",
            hint="Restore it from a backup.",
        )
    if rev in known_revisions():
        return "older"
    raise StoreVersionError(
        f"This store was written by a newer version of ddassess (schema {rev}; "
        f"this version knows up to {HEAD_REVISION}).",
        hint="Install the newer ddassess to open it. Nothing has been changed.",
    )


def schema_objects(conn: sqlcipher3.Connection) -> frozenset[str]:
    """The names of the store's tables, indexes, triggers and views (SQLite's own aside), and
    each table's columns as "table.column": a migration that only adds columns (0006) makes
    a version of its own too."""
    rows = conn.execute("SELECT name, type FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").fetchall()
    names = {row[0] for row in rows}
    for table in sorted(row[0] for row in rows if row[1] == "table"):
        names.update(f"{table}.{col[0]}" for col in
                     conn.execute("SELECT name FROM pragma_table_info(?)", (table,)).fetchall())
    return frozenset(names)


_EXPECTED: dict[tuple[str, str], frozenset[str]] = {}


def expected_objects(revision: str) -> frozenset[str]:
    """What a store at ``revision`` holds: the migrations up to it, run on an empty in-memory database."""
    key = (str(MIGRATIONS_DIR), revision)
    if key not in _EXPECTED:
        scratch = sqlcipher3.connect(":memory:", isolation_level=None)
        try:
            upgrade(scratch, revision)
            _EXPECTED[key] = schema_objects(scratch)
        finally:
            scratch.close()
    return _EXPECTED[key]


def check_label(conn: sqlcipher3.Connection, revision: str) -> None:
    """Refuse a store whose schema label (``alembic_version``) does not match its tables.

    Run before an upgrade backs anything up: upgrading from a wrong label fails half-way
    (a table that is already there), which said "damaged" and left one more full backup
    behind on every attempt.
    """
    found = schema_objects(conn)
    wanted = expected_objects(revision)
    if found == wanted:
        return
    matches = [rev for rev in known_revisions() if rev != revision and expected_objects(rev) == found]
    extra, missing = sorted(found - wanted), sorted(wanted - found)
    detail = []
    if extra:
        detail.append(f"it has {_names(extra)}, which version {revision} does not")
    if missing:
        detail.append(f"it lacks {_names(missing)}, which version {revision} has")
    actually = (f"its tables are those of version {matches[0]}" if matches
                else "its tables match no version this ddassess knows")
    raise CorruptStoreError(
        f"The store's schema label says version {revision}, but {actually} ({'; '.join(detail)}). "
        "The label was edited or the store damaged, so it was not upgraded.",
        hint="Nothing has been changed and no backup was made. Restore the store from a backup, or ask IT "
        "to copy it for recovery before anything else is tried.",
    )


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:4])
    return shown + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def backup_file(db_path: Path, conn: sqlcipher3.Connection, label: str) -> Path:
    """Copy the (encrypted) store file and its key file to a new folder under backups/.

    The two go together: the store file alone cannot be unlocked, not even with the
    recovery key, since the wrapped database key lives in the key file. Restoring is
    copying both back. Returns the backup folder.
    """
    from ddassess.keys import KEY_FILE_NAME

    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    parent = db_path.parent / BACKUP_DIR_NAME
    same = _identical_backup(parent, label, (db_path, db_path.with_name(KEY_FILE_NAME)))
    if same is not None:
        # An upgrade that failed and was undone left the store as it was: the copy made
        # before that attempt is this very store, so another would only fill the disk.
        log.info("store already backed up before %s", label)
        return same
    parent.mkdir(mode=0o700, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = parent / f"{stamp}-{label}"
    folder.mkdir(mode=0o700)
    for source in (db_path, db_path.with_name(KEY_FILE_NAME)):
        target = folder / source.name
        shutil.copyfile(source, target)
        os.chmod(target, 0o600)
        with open(target, "rb+") as fh:
            os.fsync(fh.fileno())
    fsync_dir(folder)
    fsync_dir(parent)
    log.info("store backed up before %s", label)
    return folder


def _identical_backup(parent: Path, label: str, sources: tuple[Path, ...]) -> Path | None:
    """An earlier backup folder with this label whose files are byte for byte the sources."""
    if not parent.is_dir():
        return None
    sizes = {source.name: source.stat().st_size for source in sources}
    for folder in sorted(parent.glob(f"*-{label}"), reverse=True):
        copies = [folder / name for name in sizes]
        if all(c.is_file() and c.stat().st_size == sizes[c.name] for c in copies) and all(
            _digest(c) == _digest(source) for c, source in zip(copies, sources, strict=True)
        ):
            return folder
    return None


def _digest(path: Path) -> bytes:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.digest()
