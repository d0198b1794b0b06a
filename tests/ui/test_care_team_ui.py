"""The case page's care team, in the real window with real clicks and keys: a colleague of
another service is added on the case's consent and the team shows them at once; a service
the consent form does not name is refused in words, and a lawful basis with its reason
shares it (the Caldicott Principles, National Data Guardian 2020; HM Government,
"Information sharing: advice for practitioners providing safeguarding services", 2018);
"Remove…" takes someone out."""

from __future__ import annotations

import datetime as dt

from colleagues import colleague, consent_answers, final_consent
from PySide6.QtCore import Qt
from ui_helpers import when_a_box_is_up

from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.services.care_team import care_team
from ddassess.ui.care_team import RemoveDialog, ShareDialog


def _case(window, catalogue):
    store = window.store
    person = case_changes.register_person(store, PersonDetails("Tessa", "Fictional", dt.date(1980, 2, 29)))
    case_id = case_changes.open_case(store, person.id).id
    final_consent(store, catalogue, case_id, consent_answers([{"agency": "mental_health",
                                                               "information": ["assessment", "risk"]}]))
    colleague(store, "Pat Partner", "Mental health nurse", "Fictional Mental Health Trust")
    colleague(store, "Hana Housing", "Housing officer", "Fictional Housing")
    window.case_list.apply()
    return case_id


def _lines(page):
    return [page.care_team.members.item(i).text() for i in range(page.care_team.members.count())]


def _click_ok(qtbot, dialog):
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)


def _choose(qtbot, combo, text):
    """Pick an entry of a combo box as a person does with the keyboard: focus it, type its start."""
    combo.setFocus()
    qtbot.keyClicks(combo, text)
    assert combo.currentText().startswith(text), combo.currentText()


def test_share_on_consent_and_the_care_team_shows_it(qtbot, window, catalogue):
    case_id = _case(window, catalogue)
    page = window.open_case(case_id)
    assert _lines(page) == ["Testy McTestface — care coordinator\nFictional SMS · same service"]
    assert not page.care_team.remove_button.isEnabled()  # nobody to remove: the coordinator is alone
    seen = []

    def answer(dialog):
        assert [dialog.practitioner.itemText(i) for i in range(dialog.practitioner.count())] == [
            "Hana Housing — Housing officer, Fictional Housing", "Pat Partner — Mental health nurse, Fictional "
                                                                 "Mental Health Trust"]
        _choose(qtbot, dialog.practitioner, "Pat")
        _choose(qtbot, dialog.role, "Partner")
        seen.append((dialog.consent.text(), dialog.without.isVisible()))
        _click_ok(qtbot, dialog)

    when_a_box_is_up(answer, (ShareDialog,))
    qtbot.mouseClick(page.care_team.add_button, Qt.MouseButton.LeftButton)
    assert seen and seen[0][0].startswith("Consent allows sharing with Mental health service: the consent form of ")
    assert seen[0][1] is False  # no basis asked for: consent covers it
    assert _lines(page)[-1] == ("Pat Partner — partner-service worker\nFictional Mental Health Trust · consent")
    assert page.care_team.remove_button.isEnabled()
    assert [m.practitioner.name for m in care_team(window.store, case_id)] == ["Testy McTestface", "Pat Partner"]


def test_a_refusal_is_shown_in_words_and_a_lawful_basis_shares(qtbot, window, catalogue):
    case_id = _case(window, catalogue)
    page = window.open_case(case_id)
    seen = {}

    def answer(dialog):
        _choose(qtbot, dialog.practitioner, "Hana")
        seen["consent"], seen["asks"] = dialog.consent.text(), dialog.without.isVisible()
        _click_ok(qtbot, dialog)  # no basis chosen: refused, in words, and the dialog stays
        seen["problem"], seen["open"] = dialog.problem.text(), dialog.isVisible()
        seen["team"] = [m.practitioner.name for m in care_team(window.store, case_id)]
        _choose(qtbot, dialog.basis, "Safeguarding")
        dialog.reason.setFocus()
        qtbot.keyClicks(dialog.reason, "Fictional eviction puts a child at risk; agreed with the team manager")
        _click_ok(qtbot, dialog)

    when_a_box_is_up(answer, (ShareDialog,))
    qtbot.mouseClick(page.care_team.add_button, Qt.MouseButton.LeftButton)
    assert "allows sharing with Mental health service only, not with Housing" in seen["consent"] and seen["asks"]
    assert seen["problem"] == ("Not shared: consent does not allow sharing with this practitioner's service (see "
                               "above). To share without consent, choose the basis and give the reason.")
    assert seen["open"] and seen["team"] == ["Testy McTestface"]  # nothing was written
    assert _lines(page)[-1] == "Hana Housing — member of the care team\nFictional Housing · without consent: " \
                               "safeguarding"
    (hana,) = [m for m in care_team(window.store, case_id) if m.practitioner.name == "Hana Housing"]
    assert hana.reason == "Fictional eviction puts a child at risk; agreed with the team manager"


def test_remove_takes_the_selected_member_out(qtbot, window, catalogue):
    case_id = _case(window, catalogue)
    page = window.open_case(case_id)

    def add(dialog):
        _choose(qtbot, dialog.practitioner, "Pat")
        _click_ok(qtbot, dialog)

    when_a_box_is_up(add, (ShareDialog,))
    qtbot.mouseClick(page.care_team.add_button, Qt.MouseButton.LeftButton)
    assert len(_lines(page)) == 2
    item = page.care_team.members.item(1)
    qtbot.mouseClick(page.care_team.members.viewport(), Qt.MouseButton.LeftButton,
                     pos=page.care_team.members.visualItemRect(item).center())
    seen = []

    def remove(dialog):
        seen.append(dialog.member.currentText())
        dialog.reason.setFocus()
        qtbot.keyClicks(dialog.reason, "Discharged from the fictional CMHT")
        _click_ok(qtbot, dialog)

    when_a_box_is_up(remove, (RemoveDialog,))
    qtbot.mouseClick(page.care_team.remove_button, Qt.MouseButton.LeftButton)
    assert seen == ["Pat Partner — member of the care team"]
    assert _lines(page) == ["Testy McTestface — care coordinator\nFictional SMS · same service"]
