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

The operating system drops every lock when the process dies, however it dies, so a crash
or a kill never leaves a stale lock: there is never a reason to delete the lock file.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from ddassess.errors import StoreLockedError

LOCK_FILE_NAME = "ddassess.lock"


class StoreLock:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LOCK_FILE_NAME
        self._fd: int | None = None
        self._folder_fd: int | None = None

    def acquire(self) -> None:
        try:
            folder_fd = _lock_folder(self.folder)
        except BlockingIOError:
            raise _already_open(self.path) from None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except BaseException:
            _close(folder_fd)
            raise
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            _close(folder_fd)
            raise _already_open(self.path) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        self._fd, self._folder_fd = fd, folder_fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptors releases the locks
            self._fd = None
        _close(self._folder_fd)
        self._folder_fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


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
        with open(lock_path, "rb") as fh:
            text = fh.read(200).decode("utf-8", "replace").strip()
    except OSError:
        return ""  # deleted, or unreadable: the message is still right without it
    return f" ({text})" if text else ""


def _close(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


if os.name == "posix":
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _lock_folder(folder: Path) -> int | None:
        """The folder's descriptor, locked; BlockingIOError when another process holds it."""
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            _lock(fd)
        except BaseException:
            os.close(fd)
            raise
        return fd

else:  # pragma: no cover - Windows
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _lock_folder(folder: Path) -> int | None:
        return None  # no folder locks: the open, locked lock file cannot be deleted
