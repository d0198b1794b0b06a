"""The case page's form picker offers forms in pathway order with what is due next on the
case first; one click (or Enter) on a form in the case's list opens it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from ui_helpers import case_with_forms

from ddassess.domain.models import PATHWAY_STAGES, PersonDetails
from ddassess.services import case_changes
from ddassess.services.case_header import case_summary
from ddassess.services.case_pathway import FORM_STAGE
from ddassess.services.form_choices import form_choices


def _offered(page) -> list[tuple[str, str]]:
    return [(page.new_form.itemData(i), page.new_form.itemText(i)) for i in range(page.new_form.count())]


def test_a_new_case_offers_the_referral_first_then_the_pathway_in_order(qtbot, window, catalogue):
    person = case_changes.register_person(window.store, PersonDetails("Pickly", "Fakely", None, None))
    case_id = case_changes.open_case(window.store, person.id).id
    page = window.open_case(case_id)
    offered = _offered(page)
    assert offered[:2] == [("referral", f"{catalogue.get('referral').title} — due next"),
                           ("consent", catalogue.get("consent").title)]  # next on the pathway, not yet due
    assert page.new_form.currentData() == "referral"  # what is due first is what Start form starts
    rest = [form_id for form_id, _ in offered[1:]]
    assert not any("due next" in text for _, text in offered[1:])
    on_pathway = [f for f in rest if f in FORM_STAGE]
    def place(form_id: str) -> tuple[int, int]:
        return PATHWAY_STAGES.index(FORM_STAGE[form_id]), list(FORM_STAGE).index(form_id)

    assert on_pathway == sorted(on_pathway, key=place)
    assert rest[:len(on_pathway)] == on_pathway  # forms of no step come after the pathway's
    assert set(dict(offered)) == set(catalogue.forms)  # every form is still offered


def test_at_screening_missing_steps_then_the_instruments_not_yet_done_come_first(qtbot, window, catalogue):
    case_id = case_with_forms(window, catalogue)  # PHQ-9 final (screening), AUDIT a draft; no referral or consent
    summary = case_summary(window.store, catalogue, case_id)
    choices = form_choices(catalogue, summary)
    due = [c.form_id for c in choices if c.due]
    assert "phq9" not in due and "audit" not in due  # done, or open as a draft in the list
    # the earlier steps left "not recorded" first, then the screening step's, in pathway order
    assert due[:5] == ["referral", "consent", "gad7", "audit_c", "fast"]
    assert {"substance_profile", "joint_assessment", "risk"} <= set(due)  # the step due next
    assert [c.form_id for c in choices[:len(due)]] == due


def test_one_click_on_a_form_in_the_list_opens_it(qtbot, window, catalogue):
    case_id = case_with_forms(window, catalogue)
    page = window.open_case(case_id)
    item = page.forms.item(0)
    rect = page.forms.visualItemRect(item)
    qtbot.mouseClick(page.forms.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.form_page is not None and page.form_page.response.id == item.data(Qt.ItemDataRole.UserRole)
    opened = page.form_page
    qtbot.mouseDClick(page.forms.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.form_page is opened  # a double click does not open it a second time


def test_enter_on_a_form_in_the_list_opens_it(qtbot, window, catalogue):
    case_id = case_with_forms(window, catalogue)
    page = window.open_case(case_id)
    page.forms.setFocus()
    page.forms.setCurrentRow(1)
    qtbot.keyClick(page.forms, Qt.Key.Key_Return)
    assert page.form_page is not None
    assert page.form_page.response.id == page.forms.item(1).data(Qt.ItemDataRole.UserRole)
