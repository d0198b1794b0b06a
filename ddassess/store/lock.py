"""One process at a time per store: an exclusive lock on the store's folder itself.

On POSIX the lock is ``flock`` on the store *folder* (an open directory descriptor). A
lock on a file beside the store is not enough: people delete "stale" lock files, and a
second process would then lock a new file of the same name while the first still held
the deleted one — both would write the key file, and one would overwrite the other's key
(a rotation lost that way leaves no passphrase or recovery key that works). The folder
cannot be deleted or replaced while it holds the store, and renaming it moves the lock
with it. The database file is not locked: a rotation replaces it (``os.replace``), and
SQLite's own byte-range locks live on it.

``ddassess.lock`` is still written, and locked too (on Windows, where a folder cannot be
locked, an open file cannot be deleted, so there the file's lock is the lock). It holds
the holder's pid and host only to make the "already open" message useful; no case data.

A read-only copy (``store check`` on a read-only folder) takes both locks shared and
creates no lock file: it cannot, and a writer would still be kept out.

The operating system drops every lock when the process dies, however it dies, so a crash
or a kill never leaves a stale lock: there is never a reason to delete the lock file.
"""

from __future__ import annotations

import os
import socket
import stat
import sys
from pathlib import Path

from ddassess.errors import StoreAccessError, StoreLockedError
from ddassess.fileio import read_head

LOCK_FILE_NAME = "ddassess.lock"
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a pipe in its place must not block the open


class StoreLock:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LOCK_FILE_NAME
        self._fd: int | None = None
        self._folder_fd: int | None = None

    def acquire(self, *, read_only: bool = False) -> None:
        """Take the lock; ``read_only`` (a read-only copy) shares it and makes no lock file."""
        try:
            folder_fd = _lock_folder(self.folder, shared=read_only)
        except BlockingIOError:
            raise _already_open(self.path) from None
        except OSError as exc:
            raise _unusable(self.folder, exc, what="folder") from None
        try:
            fd = self._open_file(read_only)
        except BaseException:
            _close(folder_fd)
            raise
        if fd is not None:
            try:
                (_lock_shared if read_only else _lock)(fd)
            except OSError:
                os.close(fd)
                _close(folder_fd)
                raise _already_open(self.path) from None
            if not read_only:
                os.ftruncate(fd, 0)
                os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        self._fd, self._folder_fd = fd, folder_fd

    def _open_file(self, read_only: bool) -> int | None:
        try:
            if read_only:
                fd = os.open(self.path, os.O_RDONLY | _NONBLOCK)
            else:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NONBLOCK, 0o600)
        except FileNotFoundError:
            if read_only:
                return None  # nobody has it open (opening makes the file), and a read-only copy cannot
            raise
        except OSError as exc:
            raise _unusable(self.path, exc) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise _unusable(self.path, None)
        return fd

    def release(self) -> None:
        _close(self._fd)  # closing the descriptors releases the locks
        self._fd = None
        _close(self._folder_fd)
        self._folder_fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None or self._folder_fd is not None

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _unusable(path: Path, exc: OSError | None, what: str = "lock file") -> StoreAccessError:
    why = f"cannot be opened ({exc.strerror or exc.__class__.__name__})" if exc else "is not a file"
    return StoreAccessError(
        f"The store's {what} {path} {why}, so the store cannot be opened safely.",
        hint="If a folder or other special file is in the lock file's place, move it aside (ddassess makes the "
        "lock file itself); check that the store's folder is yours and writable. Nothing has been changed.",
    )


def _already_open(lock_path: Path) -> StoreLockedError:
    return StoreLockedError(
        f"This store is already open in another ddassess window or process{_read_holder(lock_path)}.",
        hint="Switch to that window, or close it and try again. The lock ends by itself when that "
        "process ends, even after a crash, so there is no stale lock to remove: deleting "
        f"{LOCK_FILE_NAME} does not unlock the store. Opening it twice could damage it, so it was "
        "not opened.",
    )


def _read_holder(lock_path: Path) -> str:
    try:
        text = read_head(lock_path, 200).decode("utf-8", "replace").strip()
    except OSError:
        return ""  # deleted, not a file, or unreadable: the message is still right without it
    return f" ({text})" if text else ""


def _close(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


if sys.platform != "win32":
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _lock_shared(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)

    def _lock_folder(folder: Path, *, shared: bool = False) -> int | None:
        """The folder's descriptor, locked; BlockingIOError when another process holds it."""
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            (_lock_shared if shared else _lock)(fd)
        except BaseException:
            os.close(fd)
            raise
        return fd

else:  # pragma: no cover - Windows
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    _lock_shared = _lock

    def _lock_folder(folder: Path, *, shared: bool = False) -> int | None:
        return None  # no folder locks: the open, locked lock file cannot be deleted
