"""What the File menu's store actions do, for a window whose session is open.

Each dialog is made here, run, then deleted: a dialog kept as the window's child would
keep the store (and what it showed) alive after a lock. A dialog that a lock closed is
not an answer: ``run_dialog`` is True only if it was accepted in the same open session.
What a command changed in the store is announced (``ui.changes``); the views refresh.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog

from ddassess.ui.changes import Change, announce

if TYPE_CHECKING:
    from ddassess.services.vault import Store
    from ddassess.ui.mainwindow import MainWindow


def _store(window: MainWindow) -> Store:
    store = window.store
    assert store is not None, "a store action ran while the session was not open"
    return store


def run_dialog(window: MainWindow, dialog: QDialog) -> bool:
    store = window.store
    try:
        return bool(dialog.exec()) and window.store is store
    finally:
        dialog.deleteLater()


def new_referral(window: MainWindow) -> None:
    from ddassess.ui.referral import NewReferralDialog

    dialog = NewReferralDialog(_store(window), window)
    if run_dialog(window, dialog) and dialog.case_id is not None:
        announce(Change.CASES, dialog.case_id, initiator=window)
        page = window.open_case(dialog.case_id)
        page.new_form.setCurrentIndex(page.new_form.findData("referral"))
        page.start_form()


def open_settings(window: MainWindow) -> None:
    from ddassess.ui.settings_dialog import SettingsDialog

    if run_dialog(window, SettingsDialog(_store(window), window)):
        announce(Change.SETTINGS, initiator=window)


def open_verify(window: MainWindow) -> None:
    from ddassess.ui.careplan_actions import VerifyDialog

    run_dialog(window, VerifyDialog(_store(window), window))


def sign_received(window: MainWindow) -> None:
    """Add your signature (partner, team lead) to a care plan PDF others signed."""
    from ddassess.ui.careplan_actions import sign_received_plan

    sign_received_plan(window, _store(window))


def print_selected_plans(window: MainWindow) -> None:
    from ddassess.ui.careplan_actions import print_many

    assert window.case_list is not None
    print_many(window, _store(window), window.catalogue, window.case_list.selected_case_ids())


def open_signing_setup(window: MainWindow) -> None:
    """Team authority, your signing certificate, or an organisation's .p12."""
    from ddassess.ui.signing_setup import open_signing_setup as open_setup

    open_setup(window, _store(window))


def finalise_open_form(window: MainWindow) -> None:
    """Ctrl+Return: finalise the draft open in the current case tab (or save its amendment)."""
    page = window.current_case_page()
    form = page.form_page if page is not None else None
    if form is None or form.response.status != "draft":
        window.statusBar().showMessage("No draft form is open to finalise.", 5000)
        return
    form.finalise()


def open_case_history(window: MainWindow) -> None:
    """Ctrl+H: the history of the case in the current tab."""
    page = window.current_case_page()
    if page is None:
        window.statusBar().showMessage("Open a case to see its history.", 5000)
        return
    page.show_history()


def open_conflicts(window: MainWindow) -> None:
    """File → Conflicts…: every open conflict of every case, each settled side by side."""
    from ddassess.ui.conflicts import ConflictsDialog

    dialog = ConflictsDialog(_store(window), window.catalogue, None, window.case_pages, window)
    window.conflicts_dialog = dialog
    dialog.show()
