"""The session's states and every transition, legal and illegal, headless: no Qt, no
QApplication, on a real encrypted store (its key and its lock are what the session must
never leave behind)."""

from __future__ import annotations

import pytest
from store_helpers import PASSPHRASE

from ddassess.errors import StoreLockedError
from ddassess.services.session import ALLOWED, IllegalTransition, Opening, Phase, Session
from ddassess.services.vault import Credentials, finish_open, unlock


@pytest.fixture
def folder(created, store_folder):
    created.store.close()
    return store_folder


@pytest.fixture
def other(data_home):
    """A second store: what a refused key or store comes from while the first is held."""
    from store_helpers import FAST_KDF, PRACTITIONER

    from ddassess.store import create_store

    create_store(data_home / "other", PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF).store.close()
    return data_home / "other"


def key(folder):
    return unlock(folder, Credentials(passphrase=PASSPHRASE, use_keyring=False))


def lock_is_free(folder) -> bool:
    """Nothing holds the store: it can be unlocked again (the key and the lock were let go)."""
    try:
        key(folder).release()
    except StoreLockedError:
        return False
    return True


class Seen:
    def __init__(self, session: Session) -> None:
        self.moves: list[tuple[Phase, Phase]] = []
        session.subscribe(lambda old, new: self.moves.append((old.phase, new.phase)))


def reach(phase: Phase, folder) -> Session:
    """A session brought to ``phase`` by legal moves only."""
    if phase is Phase.SETUP:
        return Session(store_exists=False)
    s = Session(store_exists=True)
    if phase is Phase.CLOSED:
        s.close()
    if phase in (Phase.LOCKED, Phase.CLOSED):
        return s
    s.begin_unlock()
    if phase is Phase.UNLOCKING:
        return s
    opening = s.key_accepted(key(folder))
    if phase is Phase.OPENING:
        return s
    assert s.take_key(opening)
    assert s.finish_opening(opening, finish_open(opening.key))
    if phase is Phase.LOCKING:
        assert s.begin_lock()
    return s


def test_a_session_starts_in_set_up_without_a_store_and_locked_with_one():
    assert Session(store_exists=False).phase is Phase.SETUP
    assert Session(store_exists=True).phase is Phase.LOCKED
    assert Session(store_exists=True).store is None


def test_the_session_imports_neither_qt_nor_the_store():
    import ast
    from pathlib import Path

    import ddassess.services.session as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom) for a in n.names}
    sources = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(str(m).startswith(("PySide6", "sqlalchemy", "ddassess")) for m in names | sources)


# Every legal transition: (from, what happens, to). The test below checks the table is ALLOWED exactly.
def _open_store(s, folder):
    opening = s.state
    assert s.take_key(opening)
    assert s.finish_opening(opening, finish_open(opening.key))


LEGAL = [
    (Phase.SETUP, lambda s, f: s.opened(finish_open(key(f))), Phase.OPEN),
    (Phase.SETUP, lambda s, f: s.close(), Phase.CLOSED),
    (Phase.LOCKED, lambda s, f: s.begin_unlock(), Phase.UNLOCKING),
    (Phase.LOCKED, lambda s, f: s.close(), Phase.CLOSED),
    (Phase.UNLOCKING, lambda s, f: s.unlock_failed(), Phase.LOCKED),
    (Phase.UNLOCKING, lambda s, f: s.key_accepted(key(f)), Phase.OPENING),
    (Phase.UNLOCKING, lambda s, f: s.opened(finish_open(key(f))), Phase.OPEN),
    (Phase.UNLOCKING, lambda s, f: s.close(), Phase.CLOSED),
    (Phase.OPENING, _open_store, Phase.OPEN),
    (Phase.OPENING, lambda s, f: s.begin_lock(), Phase.LOCKING),
    (Phase.OPENING, lambda s, f: s.opening_failed(s.state), Phase.LOCKED),
    (Phase.OPENING, lambda s, f: s.close(), Phase.CLOSED),
    (Phase.OPEN, lambda s, f: s.begin_lock(), Phase.LOCKING),
    (Phase.OPEN, lambda s, f: s.close(), Phase.CLOSED),
    (Phase.LOCKING, lambda s, f: s.locked(), Phase.LOCKED),
]


def test_the_legal_transitions_tested_are_the_table():
    assert {(a, b) for a, _, b in LEGAL} == {(a, b) for a, targets in ALLOWED.items() for b in targets}


@pytest.mark.parametrize(("start", "move", "end"), LEGAL, ids=[f"{a.value}->{b.value}" for a, _, b in LEGAL])
def test_each_legal_transition_moves_and_tells_the_listeners(folder, start, move, end):
    s = reach(start, folder)
    seen = Seen(s)
    move(s, folder)
    assert s.phase is end
    assert seen.moves == [(start, end)]
    if end is Phase.OPEN:
        assert s.store is not None and not s.store.closed
        s.close()
    else:
        assert s.store is None
    if end in (Phase.LOCKED, Phase.CLOSED, Phase.SETUP):  # nothing is held once locked or closed
        assert lock_is_free(folder)
    if end is Phase.LOCKING:
        s.locked()
        assert lock_is_free(folder)


# Every way of asking for a move, and the phases from which it is legal.
MOVES = {
    "begin_unlock": ({Phase.LOCKED}, lambda s, f: s.begin_unlock()),
    "unlock_failed": ({Phase.UNLOCKING}, lambda s, f: s.unlock_failed()),
    "key_accepted": ({Phase.UNLOCKING}, lambda s, f: s.key_accepted(key(f))),
    "opened": ({Phase.SETUP, Phase.UNLOCKING}, lambda s, f: s.opened(finish_open(key(f)))),
    "choose": ({Phase.OPENING}, lambda s, f: s.choose(7)),
    "locked": ({Phase.LOCKING}, lambda s, f: s.locked()),
    "close": (set(Phase) - {Phase.LOCKING}, lambda s, f: s.close()),
}


@pytest.mark.parametrize("phase", list(Phase), ids=[p.value for p in Phase])
def test_every_illegal_transition_raises_and_changes_nothing(folder, other, phase):
    s = reach(phase, folder)
    held = s.state
    seen = Seen(s)
    refused = 0
    for name, (legal_from, move) in MOVES.items():
        if phase in legal_from:
            continue
        with pytest.raises(IllegalTransition) as raised:
            move(s, other)
        assert raised.value.current is phase, name
        assert s.state is held and seen.moves == [], name
        assert lock_is_free(other), name  # a refused key or store was let go at once
        refused += 1
    assert refused >= 3
    if phase in (Phase.OPEN, Phase.LOCKING):  # a refused store or key was let go; the session's own is kept
        assert s.store is not None or phase is Phase.LOCKING
        assert not lock_is_free(folder)
        if phase is Phase.LOCKING:
            s.locked()
        else:
            s.close()
    elif phase is Phase.OPENING:
        s.close()
    assert lock_is_free(folder)


@pytest.mark.parametrize("phase", [Phase.SETUP, Phase.LOCKED, Phase.UNLOCKING, Phase.LOCKING, Phase.CLOSED],
                         ids=lambda p: p.value)
def test_a_lock_asked_for_with_nothing_open_changes_nothing(folder, phase):
    s = reach(phase, folder)
    held = s.state
    seen = Seen(s)
    assert s.begin_lock() is False
    assert s.state is held and seen.moves == []
    if phase is Phase.LOCKING:
        s.locked()


def test_closing_twice_is_closing_once(folder):
    s = reach(Phase.OPEN, folder)
    seen = Seen(s)
    s.close()
    s.close()
    assert seen.moves == [(Phase.OPEN, Phase.CLOSED)]


def test_a_lock_before_the_opening_started_releases_the_key_and_the_opening_never_starts(folder):
    s = reach(Phase.OPENING, folder)
    opening = s.state
    s.choose(3)
    assert s.begin_lock()
    assert opening.unwanted.is_set() and opening.chosen == []
    assert lock_is_free(folder)  # released at once, not when some background work ends
    assert s.take_key(opening) is False
    s.locked()
    assert s.phase is Phase.LOCKED


def test_a_store_that_finishes_opening_after_a_lock_is_closed_at_once(folder):
    s = reach(Phase.OPENING, folder)
    opening = s.state
    assert s.take_key(opening)  # the background opening holds the key now
    assert s.begin_lock()
    s.locked()
    assert opening.unwanted.is_set()
    assert not lock_is_free(folder)  # the background work still holds it...
    store = finish_open(opening.key)
    assert s.finish_opening(opening, store) is False  # ...and its store is not wanted
    assert store.closed and s.phase is Phase.LOCKED and s.store is None
    assert lock_is_free(folder)


def test_a_stale_opening_changes_nothing_after_a_new_unlock(folder):
    s = reach(Phase.OPENING, folder)
    stale = s.state
    assert s.opening_failed(stale)
    s.begin_unlock()
    fresh = s.key_accepted(key(folder))
    assert s.opening_failed(stale) is False and s.take_key(stale) is False
    assert s.state is fresh
    assert s.take_key(fresh) and s.take_key(fresh) is False  # taken once
    assert s.finish_opening(fresh, finish_open(fresh.key))
    assert s.phase is Phase.OPEN
    s.close()
    assert lock_is_free(folder)


def test_cases_chosen_while_opening_are_handed_to_the_open_state_listener(folder):
    s = reach(Phase.OPENING, folder)
    opening = s.state
    chosen: list[list[int]] = []
    s.subscribe(lambda old, new: chosen.append(list(old.chosen)) if isinstance(old, Opening) else None)
    s.choose(4)
    s.choose(9)
    assert s.take_key(opening)
    assert s.finish_opening(opening, finish_open(opening.key))
    assert chosen == [[4, 9]]
    s.close()


def test_a_refused_key_or_store_is_not_left_holding_the_lock(folder):
    s = Session(store_exists=True)
    with pytest.raises(IllegalTransition):
        s.key_accepted(key(folder))
    assert lock_is_free(folder)
    store = finish_open(key(folder))
    with pytest.raises(IllegalTransition):
        s.opened(store)
    assert store.closed and lock_is_free(folder)


def test_a_listener_can_unsubscribe(folder):
    s = Session(store_exists=True)
    moves: list[Phase] = []
    stop = s.subscribe(lambda old, new: moves.append(new.phase))
    s.begin_unlock()
    stop()
    s.unlock_failed()
    assert moves == [Phase.UNLOCKING]
