"""Conflicts in front of a person (issue 14, "Work at the same time"): two real stores edit the
same answer offline, exchange their operations (the oplog's API), and the practitioner at
the window sees the conflict on the case header and in File → Conflicts…, settles it side by
side with real clicks and keys, and it leaves the inbox on both laptops."""

from __future__ import annotations

from exchange_helpers import new_case, response_id, send
from PySide6.QtCore import QPoint, Qt

from ddassess.services import case_changes
from ddassess.services.case_history import case_history
from ddassess.services.conflicts import list_conflicts
from ddassess.ui.conflicts import ConflictResolutionDialog, ConflictsDialog

FORM = "Referral and triage"  # a pathway form: anyone in the care team may change it
Q1 = "Urgency"
URGENT, EMERGENCY = "Urgent (within 5 working days)", "Emergency (same day)"


def _conflict_on(window, bea, catalogue, form_id, first, mine, hers):  # type: ignore[no-untyped-def]
    """A case of the window's practitioner with ``form_id`` started, shared with Bea; then
    the same answer changed on both laptops offline, and both sent both ways."""
    store = window.store
    case_id, _uuid = new_case(store, given="Confla", family="Fictional")
    spec = catalogue.get(form_id)
    r = case_changes.start_response(store, case_id, form_id, spec.version, spec.content_hash, first)
    send(store, bea, catalogue)
    case_changes.save_draft(store, r.id, mine)
    case_changes.save_draft(bea, response_id(bea, r.uuid), hers)
    send(store, bea, catalogue)
    send(bea, store, catalogue)
    return case_id, r


def _tick(qtbot, option) -> None:  # type: ignore[no-untyped-def]
    """Click a radio button on its circle, as a person does (its middle may be empty space)."""
    qtbot.mouseClick(option, Qt.MouseButton.LeftButton, pos=QPoint(8, option.height() // 2))
    assert option.isChecked()


def _resolution(qtbot, inbox) -> ConflictResolutionDialog:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(inbox.resolve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: inbox.resolution is not None and inbox.resolution.isVisible())
    dialog = inbox.resolution
    assert dialog is not None
    return dialog


def test_a_conflict_is_shown_on_the_case_and_resolved_side_by_side(qtbot, window, catalogue, bea):
    case_id, r = _conflict_on(window, bea, catalogue, "referral", {"urgency": "routine"}, {"urgency": "urgent"},
                              {"urgency": "emergency"})
    page = window.open_case(case_id, r.id)  # the form is open while its conflict is settled
    line = page.header.conflicts
    assert line.isVisible() and line.label.text().startswith("1 conflict to resolve")
    qtbot.mouseClick(line.button, Qt.MouseButton.LeftButton)
    inbox = page.conflicts_dialog
    assert isinstance(inbox, ConflictsDialog)
    qtbot.waitUntil(inbox.isVisible)
    assert inbox.texts() == [f"{page.detail.ref} | {FORM} | {Q1} | "
                             f"Bea Example: {EMERGENCY}; Testy McTestface: {URGENT}"]
    dialog = _resolution(qtbot, inbox)
    boxes = [box.toPlainText() for box in dialog.value_boxes]
    assert boxes == [EMERGENCY, URGENT]
    assert not dialog.combine.isVisible()  # a choice is never written by hand
    qtbot.mouseClick(dialog.resolve_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "Choose the value to keep first."
    _tick(qtbot, dialog.options[1])  # the window's own: not what the open form shows now
    qtbot.mouseClick(dialog.resolve_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "Say why this value is kept: the reason is recorded with the choice."
    assert dialog.focusWidget() is dialog.reason  # where the reason is to be typed
    qtbot.keyClicks(dialog.reason, "Checked with the person at the visit")
    qtbot.mouseClick(dialog.resolve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: inbox.resolution is None)
    assert inbox.texts() == [] and inbox.count.text() == "No conflicts to resolve."
    assert list_conflicts(window.store, case_id, catalogue=catalogue) == []
    qtbot.waitUntil(lambda: not line.isVisible())
    # The form open on screen was set aside and opened again with the kept answer.
    assert page.form_page is not None and page.form_page.view.editors["urgency"].value() == "urgent"
    assert page.form_page.flush(force=True)
    assert case_changes.get_response(window.store, r.id).answers["urgency"] == "urgent"  # nothing written back
    said = [f"{e.who} {e.what}" for e in case_history(window.store, catalogue, case_id, form_id="referral").entries]
    assert said[:2] == [f"Testy McTestface changed '{Q1}' in {FORM} from '{EMERGENCY}' to '{URGENT}'",
                        f"Testy McTestface resolved the conflict over '{Q1}' in {FORM}, keeping '{URGENT}', "
                        "giving the reason 'Checked with the person at the visit'"]
    send(window.store, bea, catalogue)  # settled on Bea's laptop too once it travels
    assert list_conflicts(bea, catalogue=catalogue) == []
    assert case_changes.get_response(bea, response_id(bea, r.uuid)).answers["urgency"] == "urgent"


def test_free_text_can_be_combined_by_hand_from_the_window_inbox(qtbot, window, catalogue, bea):
    case_id, r = _conflict_on(window, bea, catalogue, "care_plan", {"what_matters": "Seeing my children"},
                              {"what_matters": "Seeing my children every week"},
                              {"what_matters": "Keeping my flat"})
    window.menu.conflicts.trigger()  # File → Conflicts…: every case
    inbox = window.conflicts_dialog
    assert isinstance(inbox, ConflictsDialog)
    qtbot.waitUntil(inbox.isVisible)
    assert inbox.windowTitle() == "Conflicts to resolve" and len(inbox.texts()) == 1
    dialog = _resolution(qtbot, inbox)
    assert dialog.combine.isVisible()
    _tick(qtbot, dialog.combine)
    assert dialog.combined.isEnabled()
    assert dialog.combined.toPlainText() == "Keeping my flat\n\nSeeing my children every week"
    dialog.combined.selectAll()
    qtbot.keyClick(dialog.combined, Qt.Key.Key_Delete)
    qtbot.keyClicks(dialog.reason, "Both were said at the review")
    qtbot.mouseClick(dialog.resolve_button, Qt.MouseButton.LeftButton)
    assert "is empty: write it, or keep one of the values" in dialog.message.text()
    qtbot.keyClicks(dialog.combined, "x" * 5001)
    qtbot.mouseClick(dialog.resolve_button, Qt.MouseButton.LeftButton)
    assert "5,001 characters long; at most 5,000 fit" in dialog.message.text()
    assert len(list_conflicts(window.store, case_id, catalogue=catalogue)) == 1  # nothing half done
    dialog.combined.selectAll()
    qtbot.keyClicks(dialog.combined, "Keeping my flat, and seeing my children every week")
    qtbot.mouseClick(dialog.resolve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: inbox.resolution is None)
    assert inbox.texts() == []
    assert case_changes.get_response(window.store, r.id).answers["what_matters"] == \
        "Keeping my flat, and seeing my children every week"
