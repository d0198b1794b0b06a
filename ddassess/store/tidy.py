"""Tidying a store folder on open: leftovers of killed writes, and loose permissions.

Runs only from ``unlock`` once the store has opened with its key, so only by the process
that holds the lock (no other process can be writing the files removed here) and never
when opening fails (a failed open changes no file):

* ``.ddassess.keys.json.<hex>.tmp`` — a key-file write killed before its rename
  (``fileio.atomic_write``); the key file itself is whole, old or new;
* ``.ddassess.db.rekey`` and its ``-journal`` / ``-wal`` / ``-shm`` — a rotation killed
  while writing the new file. Removed only once no rotation is pending: by then opening
  has settled it (``rekey.settle_pending``), so the half-made file is of no use, and its
  journal goes with it (a journal is only ever removed together with its database);
* permissions: a store copied in with ``cp`` or unpacked from an archive may be readable
  by others (0755 / 0644); the folder becomes 0700 and its files 0600, backups included.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from ddassess.keys import KEY_FILE_NAME, KeyFile

log = logging.getLogger(__name__)

_REKEY_SUFFIXES = ("", "-journal", "-wal", "-shm")


def tidy(folder: Path, key_file: KeyFile, db_name: str) -> None:
    for leftover in folder.glob(f".{KEY_FILE_NAME}.*.tmp"):
        _remove(leftover)
    if not key_file.pending:
        for suffix in _REKEY_SUFFIXES:
            _remove(folder / f".{db_name}.rekey{suffix}")
    if os.name == "posix":
        _tighten(folder)


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("leftover %s not removed: %s", path.name, exc.__class__.__name__)
        return
    log.info("removed leftover %s", path.name)


def _tighten(folder: Path, *, everything: bool = False) -> None:
    """The store's own files, and all of ``backups/``; other folders a user put there are theirs."""
    _chmod(folder, 0o700)
    for path in folder.iterdir():
        if path.is_symlink():
            continue  # never follow a link out of the store
        if path.is_dir():
            if everything or path.name == "backups":
                _tighten(path, everything=True)
        else:
            _chmod(path, 0o600)


def _chmod(path: Path, mode: int) -> None:
    try:
        current = stat.S_IMODE(path.lstat().st_mode)
        if current & ~mode:
            os.chmod(path, current & mode)
            log.info("permissions of %s tightened to %o", path.name, current & mode)
    except OSError as exc:
        log.warning("permissions of %s not tightened: %s", path.name, exc.__class__.__name__)
