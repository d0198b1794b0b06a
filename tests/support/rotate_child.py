"""Child process for the rotation kill test: runs `ddassess key rotate` and stops itself
(SIGSTOP) just before its Nth checkpoint, so that the test SIGKILLs it exactly there.

Checkpoints are the calls that make a rotation durable or visible: every os.fsync,
os.replace and os.unlink (key-file writes, the new store file, the swap, leftovers) and
every print (what the user is told). N = 0 stops nowhere and reports how many there were.
Run with ``python -u`` so that what was printed is what a terminal would have shown.
"""

from __future__ import annotations

import builtins
import os
import signal
import sys

STOP_AT = int(sys.argv[1])
seen = 0


def checkpoint(name: str) -> None:
    global seen
    seen += 1
    if seen == STOP_AT:
        sys.stderr.write(f"checkpoint {seen} {name}\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGSTOP)


def _watch(owner, name):  # type: ignore[no-untyped-def]
    real = getattr(owner, name)

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        checkpoint(name)
        return real(*args, **kwargs)

    setattr(owner, name, watched)


from ddassess.cli import main  # noqa: E402 - imported before the watches, which are for the rotation only

for _name in ("fsync", "replace", "unlink"):
    _watch(os, _name)
_watch(builtins, "print")

code = main(["key", "rotate"])
sys.stderr.write(f"checkpoints {seen}\n")
sys.exit(code)
