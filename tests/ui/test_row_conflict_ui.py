"""A conflict inside a repeating group's row, in front of a person: one cell of one need
changed on two laptops is listed named by its row ("Need 1 — Housing: Goal (in my words)")
and settled side by side with real clicks and keys, the open care plan showing the kept
goal; a row removed on one laptop while changed on the other offers both, keeping it or
removing it."""

from __future__ import annotations

from exchange_helpers import new_case, response_id, send
from PySide6.QtCore import QPoint, Qt

from ddassess.formengine.row_ids import ROW_KEY
from ddassess.services import case_changes
from ddassess.services.conflicts import list_conflicts
from ddassess.ui.conflicts import ConflictResolutionDialog, ConflictsDialog

HOUSING = {"area": "housing", "need": "Somewhere safe to live", "goal": "My own flat", "action": "Refer to housing",
           "responsible": "Fictional worker", "status": "not_started"}


def _plan(window, bea, catalogue):  # type: ignore[no-untyped-def]
    store = window.store
    case_id, _uuid = new_case(store, given="Rowan", family="Fictional")
    spec = catalogue.get("care_plan")
    r = case_changes.start_response(store, case_id, "care_plan", spec.version, spec.content_hash, {"needs": [HOUSING]})
    send(store, bea, catalogue)
    return case_id, r, response_id(bea, r.uuid)


def _exchange(window, bea, catalogue):  # type: ignore[no-untyped-def]
    send(window.store, bea, catalogue)
    send(bea, window.store, catalogue)


def _tick(qtbot, option) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(option, Qt.MouseButton.LeftButton, pos=QPoint(8, option.height() // 2))
    assert option.isChecked()


def _dialog(qtbot, page) -> tuple[ConflictsDialog, ConflictResolutionDialog]:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(page.header.conflicts.button, Qt.MouseButton.LeftButton)
    inbox = page.conflicts_dialog
    assert isinstance(inbox, ConflictsDialog)
    qtbot.waitUntil(inbox.isVisible)
    qtbot.mouseClick(inbox.resolve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: inbox.resolution is not None and inbox.resolution.isVisible())
    assert inbox.resolution is not None
    return inbox, inbox.resolution


def test_a_rows_cell_changed_two_ways_is_resolved_side_by_side(qtbot, window, catalogue, bea):
    case_id, r, rb = _plan(window, bea, catalogue)
    [row] = case_changes.get_response(window.store, r.id).answers["needs"]
    case_changes.save_draft(window.store, r.id, {"needs": [{**row, "goal": "A flat near my sister"}]})
    case_changes.save_draft(bea, rb, {"needs": [{**row, "goal": "A room of my own"}]})
    _exchange(window, bea, catalogue)
    page = window.open_case(case_id, r.id)  # the plan is open while its conflict is settled
    inbox, dialog = _dialog(qtbot, page)
    assert inbox.texts()[0].split(" | ")[1:3] == ["Joint care plan", "Need 1 — Housing: Goal (in my words)"]
    assert sorted(box.toPlainText() for box in dialog.value_boxes) == ["A flat near my sister", "A room of my own"]
    assert all(option.isEnabled() for option in dialog.options)
    assert dialog.combine.isVisible()  # a short text: the two may be joined by hand
    mine = [box.toPlainText() for box in dialog.value_boxes].index("A flat near my sister")
    _tick(qtbot, dialog.options[mine])
    qtbot.keyClicks(dialog.reason, "Checked with the person at the visit")
    qtbot.mouseClick(dialog.resolve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: inbox.resolution is None)
    assert list_conflicts(window.store, case_id, catalogue=catalogue) == []
    assert page.form_page is not None
    shown = page.form_page.view.editors["needs"].value()
    assert [{k: v for k, v in x.items() if k != ROW_KEY} for x in shown] == [{**HOUSING,
                                                                             "goal": "A flat near my sister"}]
    assert shown[0][ROW_KEY] == row[ROW_KEY]  # the same row, not a new one
    assert page.form_page.flush(force=True)
    send(window.store, bea, catalogue)
    assert list_conflicts(bea, catalogue=catalogue) == []
    assert case_changes.get_response(bea, rb).answers["needs"][0]["goal"] == "A flat near my sister"


def test_a_row_removed_beside_an_edit_is_kept_or_removed_by_a_person(qtbot, window, catalogue, bea):
    case_id, r, rb = _plan(window, bea, catalogue)
    [row] = case_changes.get_response(window.store, r.id).answers["needs"]
    case_changes.save_draft(window.store, r.id, {"needs": []})
    case_changes.save_draft(bea, rb, {"needs": [{**row, "status": "in_progress"}]})
    _exchange(window, bea, catalogue)
    assert case_changes.get_response(window.store, r.id).answers["needs"][0]["status"] == "in_progress"  # kept
    page = window.open_case(case_id)
    inbox, dialog = _dialog(qtbot, page)
    assert inbox.texts()[0].split(" | ")[2] == "Need 1 — Housing"
    texts = [box.toPlainText() for box in dialog.value_boxes]
    assert texts[0] == "Remove this row" and texts[1].startswith("Keep this row, with Status: In progress")
    assert all(option.isEnabled() for option in dialog.options) and not dialog.combine.isVisible()
    _tick(qtbot, dialog.options[1])
    qtbot.keyClicks(dialog.reason, "Still working on it")
    qtbot.mouseClick(dialog.resolve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: inbox.resolution is None)
    assert list_conflicts(window.store, case_id, catalogue=catalogue) == []
    _exchange(window, bea, catalogue)
    for store, rid in ((window.store, r.id), (bea, rb)):
        assert [x["status"] for x in case_changes.get_response(store, rid).answers["needs"]] == ["in_progress"]
