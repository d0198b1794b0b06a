"""The desktop client's sync with the team server: one façade over ``ddassess.sync``.

The window never holds the connection or the laptop's TLS key. A ``SyncRun`` is one sync:
it reads the laptop's certificate and key from the store, opens a connection, sends what
waits, receives what is new a page at a time (the engine applies each page in one
transaction with its cursor), and closes the connection; the key material lives only as
long as the run. ``cancel`` (from any thread: the lock calls it on the GUI thread) stops
the run between pages and shuts the connection at once, so a request under way fails
instead of waiting for the server; what was applied stays, whole, and nothing is half.

``sync_counts`` is what the status bar shows between syncs: the changes waiting to be
sent to colleagues and the conflicts still open.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ddassess.errors import UserFacingError

if TYPE_CHECKING:
    from ddassess.formengine import Catalogue
    from ddassess.store import Store
    from ddassess.sync.client import ServerClient
    from ddassess.sync.engine import SyncReport as SyncReport  # what a run returns


@dataclass(frozen=True)
class SyncProgress:
    sent: int  # items the server kept so far in this run
    pages: int  # pages received so far
    received: int  # items in them


@dataclass(frozen=True)
class SyncCounts:
    waiting: int  # changes not yet sent to every colleague who should have them
    conflicts: int  # conflicts still open


class SyncRun:
    """One sync with the team server; ``cancel`` may be called from any thread."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._guard = threading.Lock()
        self._client: ServerClient | None = None

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def cancel(self) -> None:
        """Stop between pages, and drop the connection now (a request under way fails)."""
        self._stop.set()
        with self._guard:
            if self._client is not None:
                self._client.abort()

    def run(self, store: Store, address: str, *, catalogue: Catalogue | None = None,
            progress: Callable[[SyncProgress], None] | None = None, page_size: int = 500) -> SyncReport:
        """Sync ``store`` with the server at ``address``. A missing certificate, an address
        that is not a server's or a server that cannot be reached raise a ``UserFacingError``
        saying what to do; a cancelled run returns ``cancelled=True``."""
        from ddassess.services.settings import server_address_problem
        from ddassess.sync import client, engine, identity
        from ddassess.sync.engine import SyncReport

        problem = server_address_problem(address)
        if problem or not address:
            raise UserFacingError(problem or "No team server is set.",
                                  hint="Set its address in File → Settings (ask the team lead for it).")
        if self._stop.is_set():
            return SyncReport(cancelled=True)
        ident = identity.tls_identity(store)  # no certificate: says how to get one
        conn = client.ServerClient(address, client.tls_context(ident.authority_pem, ident.cert_pem, ident.key))
        del ident  # the key stays only in the connection's context, for this run
        with self._guard:
            self._client = conn
        pages, received, sent = 0, 0, 0

        def note(done: int, what: str) -> None:
            nonlocal pages, received, sent
            if what == "received":
                pages, received = pages + 1, done
            else:
                sent = done
            if progress is not None:
                progress(SyncProgress(sent, pages, received))

        try:
            if self._stop.is_set():
                return SyncReport(cancelled=True)
            report = engine.sync(store, conn, catalogue=catalogue, progress=note, cancelled=self._stop.is_set,
                                 page_size=page_size)
        except client.ServerUnavailable:
            if self._stop.is_set():  # the lock shut the connection: stopped, not failed
                return SyncReport(pushed=sent, pulled=received, pages=pages, cancelled=True)
            raise
        finally:
            with self._guard:
                self._client = None
            conn.close()
        return report


def unreachable(error: BaseException) -> bool:
    """True when ``error`` says the server could not be reached (offline: try again later),
    rather than that it refused this laptop or that something here is wrong."""
    from ddassess.sync.client import ServerUnavailable

    return isinstance(error, ServerUnavailable) and error.status == 0


def sync_counts(store: Store) -> SyncCounts:
    from sqlalchemy import func, select

    from ddassess.services.exchange import waiting_total
    from ddassess.store.records import ConflictRecord

    with store.read() as s:
        conflicts = s.scalar(select(func.count()).select_from(ConflictRecord)
                             .where(ConflictRecord.status == "open")) or 0
    return SyncCounts(waiting_total(store), int(conflicts))
