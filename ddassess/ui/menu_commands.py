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


def _open_case(window: MainWindow) -> tuple[int, str] | None:
    """The case of the current tab, by id and reference (None on the case list)."""
    from ddassess.services.case_pathway import case_detail

    page = window.current_case_page()
    return (page.case_id, case_detail(_store(window), page.case_id).ref) if page is not None else None


def export_data(window: MainWindow) -> None:
    """File → Export…: the open case as FHIR R4, or a form's responses or the cases as CSV."""
    from ddassess.ui.interchange_dialog import ExportDialog

    dialog = ExportDialog(_store(window), window.catalogue, _open_case(window), window)
    if run_dialog(window, dialog) and dialog.written is not None:
        window.statusBar().showMessage(f"Exported to {dialog.written}", 8000)


def import_fhir(window: MainWindow) -> None:
    """File → Import FHIR…: answers as drafts on the open case, or a whole exported case."""
    from ddassess.ui.interchange_dialog import ImportDialog

    dialog = ImportDialog(_store(window), window.catalogue, _open_case(window), window)
    if run_dialog(window, dialog) and dialog.imported is not None:
        window.statusBar().showMessage(f"Imported: {dialog.imported}", 8000)


def send_changes(window: MainWindow) -> None:
    """File → Send changes…: a bundle of what colleagues have not been sent."""
    from ddassess.ui.exchange_dialog import SendChangesDialog

    dialog = SendChangesDialog(_store(window), window)
    if run_dialog(window, dialog) and dialog.report is not None:
        r = dialog.report
        window.statusBar().showMessage(f"Saved {r.path.name} for {', '.join(r.recipients)}: {r.envelopes} "
                                       f"envelope(s) of {r.cases} case(s)", 8000)


def receive_changes(window: MainWindow) -> None:
    """File → Receive changes…: a bundle file, then what it brought."""
    from ddassess.ui.exchange_dialog import ReceiveChangesDialog

    run_dialog(window, ReceiveChangesDialog(_store(window), window))


def open_team_view(window: MainWindow) -> None:
    """View → Team view: the team lead's figures in a tab; a figure opens its cases in the list."""
    from ddassess.ui.team_view import TeamViewPage

    workspace = window.workspace
    assert workspace is not None
    page = workspace.team_view()
    if page is None:
        page = TeamViewPage(_store(window), window.catalogue)
        page.figure_opened.connect(lambda query, what: _show_figure(window, query, what))
        page.case_opened.connect(lambda case_id: window.open_case(case_id))
        workspace.addTab(page, "Team view")
    workspace.setCurrentWidget(page)
    page.period_edit.setFocus()


def _show_figure(window: MainWindow, query: object, what: str) -> None:
    from ddassess.services.case_list_rows import CaseQuery

    workspace, case_list = window.workspace, window.case_list
    if workspace is None or case_list is None or not isinstance(query, CaseQuery):
        return
    workspace.setCurrentWidget(case_list)
    case_list.show_figure(query, what)
    case_list.table.setFocus()


def open_agenda(window: MainWindow) -> None:
    """View → Complex case review agenda…: the agenda; a review form started from it opens
    in its case's tab."""
    from ddassess.ui.agenda_dialog import AgendaDialog

    dialog = AgendaDialog(_store(window), window.catalogue, window)
    if run_dialog(window, dialog) and dialog.started is not None:
        case_id, response_id = dialog.started
        announce(Change.RESPONSES, case_id, initiator=window)
        window.open_case(case_id, response_id)


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
