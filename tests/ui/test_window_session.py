"""The window follows its session: the menu's actions from one table, in every state the
window shows; an unlock that ends after the window closed keeps nothing; and the views
refresh themselves from the one change signal."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QThreadPool
from store_helpers import PASSPHRASE

from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.services.session import Phase
from ddassess.store import Credentials, open_store
from ddassess.ui.actions import ENABLED_IN
from ddassess.ui.changes import Change, announce
from ddassess.ui.mainwindow import MainWindow


def enabled(window: MainWindow) -> set[str]:
    return {name for name, action in window.menu.by_name.items() if action.isEnabled()}


def expected(phase: Phase) -> set[str]:
    return {name for name, phases in ENABLED_IN.items() if phase in phases}


def test_every_action_is_in_the_table():
    assert set(ENABLED_IN) == {"new", "settings", "verify", "countersign", "print_many", "signing_setup", "lock",
                               "quit", "about", "finalise", "export", "import_fhir", "team_view", "agenda",
                               "history", "conflicts", "send_changes", "receive_changes", "sync_now"}
    assert expected(Phase.LOCKED) == {"quit", "about"}  # nothing that needs the store while locked


def test_the_actions_follow_the_session_through_set_up(qtbot, catalogue, store_folder):
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    assert w.session.phase is Phase.SETUP and enabled(w) == expected(Phase.SETUP)
    w.close()
    assert w.session.phase is Phase.CLOSED


def test_the_actions_follow_the_session_through_a_lock_and_an_unlock(qtbot, window):
    seen: list[tuple[Phase, set[str]]] = []
    window.session.subscribe(lambda _old, new: seen.append((new.phase, enabled(window))))
    assert window.session.phase is Phase.OPEN and enabled(window) == expected(Phase.OPEN)
    window.lock()
    assert window.session.phase is Phase.LOCKED and enabled(window) == {"quit", "about"}
    window.unlock_page.passphrase.setText(PASSPHRASE)
    window.unlock_page.unlock()
    qtbot.waitUntil(lambda: window.store is not None, timeout=10_000)
    assert [phase for phase, _ in seen] == [Phase.LOCKING, Phase.LOCKED, Phase.UNLOCKING, Phase.OPENING, Phase.OPEN]
    for phase, names in seen:  # at every step, exactly what the table says
        assert names == expected(phase), phase
    window.close()


def test_a_wrong_passphrase_goes_back_to_locked(qtbot, window):
    window.lock()
    page = window.unlock_page
    page.passphrase.setText("not the passphrase at all")
    page.unlock()
    assert window.session.phase is Phase.UNLOCKING
    qtbot.waitUntil(lambda: page.message.text() != "", timeout=10_000)
    assert window.session.phase is Phase.LOCKED and enabled(window) == {"quit", "about"}
    window.close()


def test_an_unlock_that_ends_after_the_window_closed_keeps_nothing(qtbot, created, catalogue, store_folder):
    """The keyring unlocks as the window shows; the window is closed before that ends:
    the key it brings is released, and the store can be opened elsewhere."""
    created.store.close()
    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    w.close()
    assert QThreadPool.globalInstance().waitForDone(10_000)
    qtbot.wait(100)  # the unlock's answer is delivered to the closed window
    assert w.session.phase is Phase.CLOSED and w.store is None and w.case_list is None
    open_store(store_folder, Credentials(passphrase=PASSPHRASE, use_keyring=False)).close()


def _case(window, given: str, nhs: str) -> int:
    person = case_changes.register_person(window.store, PersonDetails(given, "Fictional", dt.date(1985, 5, 5), nhs))
    return case_changes.open_case(window.store, person.id).id


def test_a_case_announced_anywhere_shows_in_the_list(qtbot, window):
    before = window.case_list.model.rowCount()
    _case(window, "Ada", "9990000026")
    assert window.case_list.model.rowCount() == before  # written, not yet announced
    announce(Change.CASES)
    assert window.case_list.model.rowCount() == before + 1
    announce(Change.SETTINGS)  # not the list's business: nothing to show
    assert window.case_list.model.rowCount() == before + 1


def test_a_form_started_elsewhere_shows_on_its_case_page_only(qtbot, window, catalogue):
    mine, other = _case(window, "Ada", "9990000026"), _case(window, "Bea", "9990000034")
    page, other_page = window.open_case(mine), window.open_case(other)
    assert page.forms.count() == 0 and other_page.forms.count() == 0
    spec = catalogue.get("phq9")
    case_changes.start_response(window.store, mine, spec.id, spec.version, spec.content_hash)
    announce(Change.RESPONSES, mine)
    assert page.forms.count() == 1 and spec.title in page.forms.item(0).text()
    assert other_page.forms.count() == 0
    window.close()
