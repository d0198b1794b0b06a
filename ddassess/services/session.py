"""The client's session, headless: whether the store is locked, being unlocked, opening,
open or being locked, as one explicit state with checked transitions.

The window used to keep this in several fields that could each be None (the store, the
opening in progress, the key waiting to be opened, ...) and to switch its menu actions in
several places; every edge of the gap between "the key was accepted" and "the store is
open" needed its own fix. Here each state is a small object that carries exactly what
exists in it (an ``Opening`` holds the unlocked key, an ``Open`` the store), a move the
table below does not allow raises ``IllegalTransition``, and listeners are told of every
move. The window adapts them to Qt; nothing here imports Qt (tests drive every transition
without a display), and nothing imports SQLAlchemy (the session exists before it loads).

::

    setup     → open (set-up made the store), closed
    locked    → unlocking, closed
    unlocking → locked (refused), opening (key accepted), open (recovery key), closed
    opening   → open, locked (could not be opened), locking, closed
    open      → locking, closed
    locking   → locked

Results that arrive for a state that has gone (the store finished opening after a lock
or after the window closed) are not transitions: ``finish_opening`` and
``opening_failed`` say so by returning False, and a store nobody wants is closed.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar


class Phase(enum.Enum):
    SETUP = "setup"  # no store yet: the first-run page
    LOCKED = "locked"  # the unlock page; nothing decrypted on screen
    UNLOCKING = "unlocking"  # a key (keyring, passphrase, recovery key) is being checked
    OPENING = "opening"  # the key was accepted: the first page of cases shows while the store opens
    OPEN = "open"  # the store is open
    LOCKING = "locking"  # drafts are being saved and every decrypted view dropped
    CLOSED = "closed"  # the window closed: nothing is opened any more


ALLOWED: dict[Phase, frozenset[Phase]] = {
    Phase.SETUP: frozenset({Phase.OPEN, Phase.CLOSED}),
    Phase.LOCKED: frozenset({Phase.UNLOCKING, Phase.CLOSED}),
    Phase.UNLOCKING: frozenset({Phase.LOCKED, Phase.OPENING, Phase.OPEN, Phase.CLOSED}),
    Phase.OPENING: frozenset({Phase.OPEN, Phase.LOCKING, Phase.LOCKED, Phase.CLOSED}),
    Phase.OPEN: frozenset({Phase.LOCKING, Phase.CLOSED}),
    Phase.LOCKING: frozenset({Phase.LOCKED}),
    Phase.CLOSED: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A move the session's table does not allow: a bug in the caller, never the user's doing."""

    def __init__(self, current: Phase, wanted: Phase) -> None:
        super().__init__(f"the session cannot go from {current.value} to {wanted.value}")
        self.current, self.wanted = current, wanted


class OpenedStore(Protocol):
    def close(self) -> None: ...


class AcceptedKey(Protocol):
    def release(self) -> None: ...


S = TypeVar("S", bound=OpenedStore)
K = TypeVar("K", bound=AcceptedKey)


@dataclass(frozen=True)
class Setup:
    phase = Phase.SETUP


@dataclass(frozen=True)
class Locked:
    phase = Phase.LOCKED


@dataclass(frozen=True)
class Unlocking:
    phase = Phase.UNLOCKING


@dataclass(eq=False)
class Opening(Generic[K]):
    """The key was accepted; the store is being opened in the background.

    ``unwanted`` is set when the session moves on without this store (a lock, a failure,
    the window closing): the background work then closes the store it opened. Until the
    work ``started``, the session holds the key alone and releases it itself.
    """

    key: K
    unwanted: threading.Event = field(default_factory=threading.Event)
    started: bool = False
    chosen: list[int] = field(default_factory=list)  # cases opened in the list meanwhile
    phase = Phase.OPENING


@dataclass(eq=False)
class Open(Generic[S]):
    store: S
    phase = Phase.OPEN


@dataclass(eq=False)
class Locking(Generic[S, K]):
    was: Opening[K] | Open[S]  # what is being locked
    phase = Phase.LOCKING


@dataclass(frozen=True)
class Closed:
    phase = Phase.CLOSED


State = Setup | Locked | Unlocking | Opening[K] | Open[S] | Locking[S, K] | Closed
Listener = Callable[[State[K, S], State[K, S]], None]


class Session(Generic[S, K]):
    """One per window. ``S`` is the open store, ``K`` the accepted key (the store layer's
    ``Store`` and ``Unlocked``); both only need ``close``/``release`` here."""

    def __init__(self, *, store_exists: bool) -> None:
        self._state: State[K, S] = Locked() if store_exists else Setup()
        self._listeners: list[Listener[K, S]] = []

    @property
    def state(self) -> State[K, S]:
        return self._state

    @property
    def phase(self) -> Phase:
        return self._state.phase

    @property
    def store(self) -> S | None:
        """The store while it is open; None in every other state."""
        return self._state.store if isinstance(self._state, Open) else None

    def subscribe(self, listener: Listener[K, S]) -> Callable[[], None]:
        """``listener(old, new)`` after every transition; returns a call that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _move(self, new: State[K, S]) -> None:
        old = self._state
        if new.phase not in ALLOWED[old.phase]:
            raise IllegalTransition(old.phase, new.phase)
        self._state = new
        if isinstance(old, Opening) and not isinstance(new, Open):
            self._drop_opening(old)
        for listener in list(self._listeners):
            listener(old, new)

    def _require(self, wanted: Phase, *sources: Phase) -> None:
        """Raise unless the session is in one of ``sources`` (each allowed to go to ``wanted``)."""
        if self.phase not in sources or wanted not in ALLOWED[self.phase]:
            raise IllegalTransition(self.phase, wanted)

    @staticmethod
    def _drop_opening(opening: Opening[K]) -> None:
        opening.unwanted.set()
        opening.chosen.clear()
        if not opening.started:  # the background work never took the key: nobody else releases it
            opening.started = True
            opening.key.release()

    # unlocking ----------------------------------------------------------------------

    def begin_unlock(self) -> None:
        """An unlock attempt started (the keyring asked, or a passphrase entered)."""
        self._require(Phase.UNLOCKING, Phase.LOCKED)
        self._move(Unlocking())

    def unlock_failed(self) -> None:
        """The attempt failed (wrong passphrase, no keyring): locked again."""
        self._require(Phase.LOCKED, Phase.UNLOCKING)
        self._move(Locked())

    def key_accepted(self, key: K) -> Opening[K]:
        """The key is proven: the store opens in the background (``take_key``)."""
        try:
            self._require(Phase.OPENING, Phase.UNLOCKING)
        except IllegalTransition:
            key.release()  # refused: the key and the store's lock are not left behind
            raise
        opening: Opening[K] = Opening(key)
        self._move(opening)
        return opening

    def take_key(self, opening: Opening[K]) -> bool:
        """The background opening starts and takes the key over. False if this opening is no
        longer wanted (its key was released): then nothing is to be opened."""
        if self._state is not opening or opening.started:
            return False
        opening.started = True
        return True

    def choose(self, case_id: int) -> None:
        """A case opened in the list while the store opens: it opens once the store is."""
        if not isinstance(self._state, Opening):
            raise IllegalTransition(self.phase, Phase.OPENING)
        self._state.chosen.append(case_id)

    def finish_opening(self, opening: Opening[K], store: S) -> bool:
        """The background opening gave its store: open, if this opening is still the one
        wanted; otherwise the store is closed at once and False returned."""
        if self._state is not opening:
            store.close()
            return False
        self._move(Open(store))
        return True

    def opening_failed(self, opening: Opening[K]) -> bool:
        """The key was right but the store could not be opened (a damaged page): locked
        again. False if this opening was no longer wanted anyway."""
        if self._state is not opening:
            return False
        self._move(Locked())
        return True

    def opened(self, store: S) -> None:
        """A store opened in one step: set-up made it, or the recovery key opened it."""
        try:
            self._require(Phase.OPEN, Phase.SETUP, Phase.UNLOCKING)
        except IllegalTransition:
            store.close()
            raise
        self._move(Open(store))

    # locking and closing ------------------------------------------------------------

    def begin_lock(self) -> bool:
        """Lock what is open or opening. False (and nothing changes) when nothing is: the
        idle timer, Ctrl+L and the system's sleep may all ask in any state."""
        state = self._state
        if not isinstance(state, Opening | Open):
            return False
        self._move(Locking(state))
        return True

    def locked(self) -> None:
        """Everything decrypted is off the screen: the store is closed."""
        state = self._state
        if not isinstance(state, Locking):
            raise IllegalTransition(self.phase, Phase.LOCKED)
        self._move(Locked())
        if isinstance(state.was, Open):
            state.was.store.close()

    def close(self) -> None:
        """The window closes: an opening is abandoned and an open store closed. Closing a
        closed session does nothing; a session being locked finishes locking first."""
        state = self._state
        if isinstance(state, Closed):
            return
        self._move(Closed())
        if isinstance(state, Open):
            state.store.close()
