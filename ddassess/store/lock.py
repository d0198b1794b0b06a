"""One process at a time per store: an exclusive lock on ``ddassess.lock`` beside it.

The operating system drops the lock when the process dies, however it dies, so a crash
or a kill never leaves a store that looks open. The lock file holds the holder's pid
and host only to make the "already open" message useful; it holds no case data.
"""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

from ddassess.errors import StoreAccessError, StoreLockedError

LOCK_FILE_NAME = "ddassess.lock"
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a pipe in its place must not block the open


class StoreLock:
    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_FILE_NAME
        self._fd: int | None = None

    def acquire(self, *, read_only: bool = False) -> None:
        """Take the lock; ``read_only`` (a read-only copy) shares it and makes no lock file."""
        try:
            if read_only:
                fd = os.open(self.path, os.O_RDONLY | _NONBLOCK)
            else:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NONBLOCK, 0o600)
        except FileNotFoundError:
            if read_only:
                return  # nobody has it open (opening makes the file), and a read-only copy cannot
            raise
        except OSError as exc:
            raise _unusable(self.path, exc) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise _unusable(self.path, None)
        try:
            (_lock_shared if read_only else _lock)(fd)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise StoreLockedError(
                f"This store is already open in another ddassess window or process{holder}.",
                hint="Switch to that window, or close it and try again. Opening the store "
                "twice could damage it, so it was not opened.",
            ) from None
        if not read_only:
            os.ftruncate(fd, 0)
            os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _unusable(path: Path, exc: OSError | None) -> StoreAccessError:
    why = f"cannot be opened ({exc.strerror or exc.__class__.__name__})" if exc else "is not a file"
    return StoreAccessError(
        f"The store's lock file {path} {why}, so the store cannot be opened safely.",
        hint="If a folder or other special file is in its place, move it aside (ddassess makes the lock file "
        "itself); check that the store's folder is yours and writable. Nothing has been changed.",
    )


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return f" ({text})" if text else ""


if os.name == "posix":
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _lock_shared(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)

else:  # pragma: no cover - Windows
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    _lock_shared = _lock
