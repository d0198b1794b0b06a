"""In the real window: the case list follows a form finalised in a case (stage, risk, next
review) with no filter changed; the case's risk level is changed with "Change risk level…"
and a required reason; an overdue review is marked in the list by a sign and words as well
as colour.

PHQ-9 item 9 above 0 raises an URGENT flag (Kroenke, Spitzer & Williams 2001, J Gen Intern
Med 16:606-613).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from ui_helpers import PHQ9_NINE_WITH_ITEM_9, when_a_box_is_up

from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.services.case_pathway import set_lead
from ddassess.services.case_risk import case_risk
from ddassess.ui.caselist import COLUMNS, OVERDUE_SIGN, REVIEW_COLUMN, RISK_COLUMN
from ddassess.ui.risk_dialog import RiskLevelDialog

STAGE_COLUMN = [title for _k, title in COLUMNS].index("Stage")


def _case(window, family="Listfollows", nhs=None):
    person = case_changes.register_person(window.store, PersonDetails("Fictiona", family, dt.date(1980, 2, 29), nhs))
    return case_changes.open_case(window.store, person.id).id


def _cell(window, case_id, column, role=Qt.ItemDataRole.DisplayRole):
    model = window.case_list.model
    row = next((i for i, r in enumerate(model.rows) if r.case_id == case_id), None)
    return None if row is None else model.data(model.index(row, column), role)


def _yes(box):
    box.button(QMessageBox.StandardButton.Yes).click()


def test_the_list_follows_a_form_finalised_in_the_case(qtbot, window, catalogue):
    case_id = _case(window)
    phq9 = catalogue.get("phq9")
    rid = case_changes.start_response(window.store, case_id, "phq9", phq9.version, phq9.content_hash,
                                      PHQ9_NINE_WITH_ITEM_9).id
    window.case_list.apply()  # the list as it is before: referral, no risk
    assert _cell(window, case_id, STAGE_COLUMN) == "Referral" and _cell(window, case_id, RISK_COLUMN) == ""
    page = window.open_case(case_id, rid)
    when_a_box_is_up(_yes, (QMessageBox,))
    qtbot.mouseClick(page.form_page.finalise_button, Qt.MouseButton.LeftButton)
    assert page.form_page.response.status == "final"
    # No filter changed, no restart: the list shows what the case is now.
    assert _cell(window, case_id, STAGE_COLUMN) == "Screening"
    assert _cell(window, case_id, RISK_COLUMN) == "URGENT"
    assert _cell(window, case_id, RISK_COLUMN, Qt.ItemDataRole.AccessibleTextRole) == "Urgent risk"
    assert "Risk level: URGENT" in page.header.risk_level.text()  # the header says the same


def test_the_high_risk_filter_picks_up_a_case_as_its_form_is_finalised(qtbot, window, catalogue):
    case_id = _case(window)
    phq9 = catalogue.get("phq9")
    rid = case_changes.start_response(window.store, case_id, "phq9", phq9.version, phq9.content_hash,
                                      PHQ9_NINE_WITH_ITEM_9).id
    qtbot.mouseClick(window.case_list.risk, Qt.MouseButton.LeftButton)
    assert window.case_list.risk.isChecked() and window.case_list.model.rowCount() == 0
    page = window.open_case(case_id, rid)
    when_a_box_is_up(_yes, (QMessageBox,))
    qtbot.mouseClick(page.form_page.finalise_button, Qt.MouseButton.LeftButton)
    assert [r.case_id for r in window.case_list.model.rows] == [case_id]


def test_change_risk_level_needs_a_reason_and_shows_who_and_why(qtbot, window, catalogue):
    case_id = _case(window)
    window.case_list.apply()
    page = window.open_case(case_id)
    assert page.header.risk_level.text() == "Risk level: NOT RAISED (from the flags of final forms)"
    seen = []

    def answer(dialog):
        qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
        seen.append((dialog.isVisible(), dialog.problem.isVisible(), dialog.problem.text()))  # refused, still open
        dialog.level.setFocus()
        qtbot.keyClick(dialog.level, Qt.Key.Key_Home)  # the first choice: Urgent
        qtbot.keyClicks(dialog.reason, "Disclosed a plan at the fictional home visit")
        qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)

    when_a_box_is_up(answer, (RiskLevelDialog,))
    qtbot.mouseClick(page.header.risk_level.change_button, Qt.MouseButton.LeftButton)
    assert seen and seen[0][0] and seen[0][1] and "A reason is needed" in seen[0][2]
    risk = case_risk(window.store, case_id)
    assert risk.level == "urgent" and risk.reason == "Disclosed a plan at the fictional home visit"
    words = page.header.risk_level.text()
    assert words.startswith("Risk level: URGENT — set by ") and "Disclosed a plan" in words
    assert "the final forms' flags say not raised" in words  # a decision is visible as one
    assert _cell(window, case_id, RISK_COLUMN) == "URGENT"  # the list follows, with no filter changed


def test_cancelling_the_dialog_changes_nothing(qtbot, window):
    case_id = _case(window)
    page = window.open_case(case_id)

    def cancel(dialog):
        qtbot.keyClicks(dialog.reason, "Typed then thought better of it")
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    when_a_box_is_up(cancel, (RiskLevelDialog,))
    qtbot.mouseClick(page.header.risk_level.change_button, Qt.MouseButton.LeftButton)
    assert not case_risk(window.store, case_id).overridden


def test_an_overdue_review_is_marked_by_sign_words_and_colour(qtbot, window):
    overdue = _case(window, "Overdueton")
    set_lead(window.store, overdue, "Mental health service", dt.date.today() - dt.timedelta(days=3))
    later = _case(window, "Laterton")
    set_lead(window.store, later, "Mental health service", dt.date.today() + dt.timedelta(days=30))
    window.case_list.apply()
    when = (dt.date.today() - dt.timedelta(days=3)).strftime("%d %b %Y")
    assert _cell(window, overdue, REVIEW_COLUMN) == f"{OVERDUE_SIGN} {when}"
    assert _cell(window, overdue, REVIEW_COLUMN, Qt.ItemDataRole.AccessibleTextRole) == f"Review overdue since {when}"
    assert _cell(window, overdue, REVIEW_COLUMN, Qt.ItemDataRole.BackgroundRole) is not None
    assert not _cell(window, later, REVIEW_COLUMN).startswith(OVERDUE_SIGN)
    assert _cell(window, later, REVIEW_COLUMN, Qt.ItemDataRole.BackgroundRole) is None
