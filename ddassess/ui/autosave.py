"""Draft saves off the GUI thread: one writer thread per unlocked store.

A save is an encrypted write with fsync (several milliseconds): done on the GUI thread it
stalls typing. Here the form hands its answers to ``DraftWriter.submit`` (microseconds)
and a single thread writes them. Saves are coalesced: if the person types faster than the
disk, only the newest answers of each form are written. ``saved`` is emitted (on the GUI
thread) once a write is committed, that is on the disk; ``failed`` when it was not, so the
form can say so and keep the answers on screen.

``wait()`` blocks until everything submitted is written: it is called before the store is
closed (lock, quit), and before finalising, amending or closing a form, so nothing typed
is ever dropped with the key.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtCore import QObject, Signal

from ddassess.services import case_changes
from ddassess.services.vault import Store

log = logging.getLogger(__name__)


class DraftWriter(QObject):
    """Writes drafts (and other small, frequent writes, ``call``) on one thread.

    Each job has a key: a response id for a draft, a name for anything else. A job
    submitted while an older one with the same key still waits replaces it.
    """

    saved = Signal(object, object)  # key (a response id for drafts), result (the Response)
    failed = Signal(object, object)  # key, exception

    def __init__(self, store: Store,
                 save: Callable[[Store, int, dict[str, Any]], Any] = case_changes.save_draft) -> None:
        super().__init__()
        self._store: Store | None = store
        self._save = save
        self._pending: dict[Hashable, Callable[[Store], Any]] = {}
        self._busy = False
        self._stopped = False
        self._errors: list[tuple[Hashable, BaseException]] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="ddassess-draft-writer", daemon=True)
        self._thread.start()

    def submit(self, response_id: int, answers: dict[str, Any]) -> None:
        """Queue the newest answers of a draft; an older queued version is replaced."""
        self.call(response_id, lambda store: self._save(store, response_id, answers))

    def call(self, key: Hashable, job: Callable[[Store], Any]) -> None:
        """Queue ``job(store)``; it replaces a job with the same key that has not started."""
        with self._cond:
            if self._stopped:
                raise RuntimeError("the draft writer has stopped")
            self._pending.pop(key, None)  # re-inserted last: jobs run in the order they were last asked for
            self._pending[key] = job
            self._cond.notify_all()

    def wait(self) -> list[tuple[Hashable, BaseException]]:
        """Block until every submitted draft is written; returns (and forgets) the failures
        since the last wait, so the caller can decide whether it is safe to go on."""
        with self._cond:
            while self._pending or self._busy:
                self._cond.wait()
            errors, self._errors = self._errors, []
        return errors

    def stop(self) -> list[tuple[Hashable, BaseException]]:
        """Write what is pending, end the thread and drop the store."""
        errors = self.wait()
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join()
        self._store = None
        return errors

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopped:
                    self._cond.wait()
                if self._stopped and not self._pending:
                    return
                key, job = next(iter(self._pending.items()))
                del self._pending[key]
                self._busy = True
            store = self._store
            assert store is not None  # dropped only after the thread has ended
            try:
                result = job(store)
            except Exception as exc:  # noqa: BLE001 - reported to the GUI thread, never dropped
                log.warning("background save failed: %s", type(exc).__name__)  # no case data in logs
                with self._cond:
                    self._errors.append((key, exc))
                self.failed.emit(key, exc)
            else:
                self.saved.emit(key, result)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
