"""Writing files so that a crash never leaves half of one: temp file, fsync, replace;
and reading a plain file within a size limit (never a pipe or a device)."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write through a temporary file in the same folder, fsync, then replace ``path``.

    The temporary file is removed if anything fails, so no copy outlives the write.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- special files -------------------------------------------------------------------
# A store's files, forms and answers files must be regular files. Opening a named pipe
# (FIFO) for reading blocks until someone writes to it (a hang), a device can be endless
# (a link to /dev/zero), a folder cannot be read: so nothing is read before it is known to
# be a regular file, and the check is made on the opened descriptor (O_NONBLOCK keeps the
# open itself from blocking on a FIFO), so the file cannot be swapped between the check
# and the read.


class NotARegularFile(OSError):
    """``path`` exists but is a folder, a named pipe, a device or a socket."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path} is {kind}, not a regular file")
        self.path, self.kind = path, kind


def file_kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words for a message."""
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def special_file(path: Path) -> str | None:
    """None if ``path`` is missing or a regular file (symlinks followed), else what it is."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    return None if stat.S_ISREG(mode) else file_kind(mode)


def _open_regular(path: Path) -> tuple[int, os.stat_result]:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise NotARegularFile(path, "a folder") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotARegularFile(path, file_kind(info.st_mode))
    return fd, info


def _read_upto(fd: int, most: int) -> bytes:
    chunks, size = [], 0
    while size < most:
        chunk = os.read(fd, min(1 << 20, most - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def read_head(path: Path, max_bytes: int) -> bytes:
    """The first ``max_bytes`` of a regular file (a header, a lock holder's name).

    Raises ``FileNotFoundError``, ``NotARegularFile`` or another ``OSError``.
    """
    fd, _info = _open_regular(path)
    try:
        return _read_upto(fd, max_bytes)
    finally:
        os.close(fd)


class FileTooLarge(OSError):
    """The file is larger than the reader's limit (only that much + 1 byte was read)."""


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of a plain file of at most ``limit`` bytes; never blocks, never reads more.

    A FIFO is opened without blocking and refused, as is a device (a symlink to
    /dev/zero reads for ever) or a folder: each raises NotARegularFile. A file over the
    limit raises FileTooLarge, judged by its size and by reading at most ``limit + 1``
    bytes (a file that grows meanwhile, or lies about its size, is still bounded).
    Other problems are the OSError that opening or reading raised.
    """
    fd, info = _open_regular(path)
    try:
        if info.st_size > limit:
            raise FileTooLarge(f"larger than {limit} bytes: {path}")
        data = _read_upto(fd, limit + 1)
        if len(data) > limit:
            raise FileTooLarge(f"larger than {limit} bytes: {path}")
        return data
    finally:
        os.close(fd)
