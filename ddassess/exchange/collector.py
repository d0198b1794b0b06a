"""Python's cycle collector paused while changes are received in bulk.

Receiving a bundle or a page of the team server builds tens of thousands of small objects
(decoded operations, their bodies, the records' rows) that all live until the transaction
ends. CPython's generational collector runs every few hundred allocations and, each time
the older generations grow, walks every one of those live objects again, finding nothing
to free: measured on a 1,000-case bundle, about a tenth of the import. Reference counting
frees everything that is not in a cycle while the collector is paused; the cycles made
meanwhile are collected by its next run after the pause.

``collector_paused`` nests, and is shared by threads (the window receives on a worker
thread): the collector runs again when the last pause ends, and only if it ran before the
first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
