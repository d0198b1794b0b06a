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


class NotARegularFile(OSError):
    """The path is a folder, a pipe (FIFO), a device or a socket, not a plain file."""


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
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(f"not a regular file: {path}")
        if info.st_size > limit:
            raise FileTooLarge(f"larger than {limit} bytes: {path}")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileTooLarge(f"larger than {limit} bytes: {path}")
        return b"".join(chunks)
    finally:
        os.close(fd)
