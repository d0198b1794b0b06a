"""The new-referral dialog, typed into with the keyboard: dates both ways, each bad entry
explained under its own box with nothing cleared, and no person added twice."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.ui.referral import NewReferralDialog


def _dialog(qtbot, window) -> NewReferralDialog:
    dialog = NewReferralDialog(window.store, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _type(qtbot, dialog, given="Testy", family="McTestface", dob="", nhs="") -> None:
    for box, text in ((dialog.given, given), (dialog.family, family), (dialog.dob, dob), (dialog.nhs, nhs)):
        box.clear()
        if text:
            qtbot.keyClicks(box, text)


def _create(qtbot, dialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)


def test_date_of_birth_as_day_month_year_or_iso(qtbot, window):
    for typed in ("29/02/1980", "1980-02-29"):
        dialog = _dialog(qtbot, window)
        _type(qtbot, dialog, given=f"Testy{typed[:2]}", dob=typed)
        assert not dialog.problems[dialog.dob].isVisible()
        _create(qtbot, dialog)
        assert dialog.case_id is not None
    people = case_changes.search_people(window.store, "McTestface")
    assert [p.date_of_birth for p in people] == [dt.date(1980, 2, 29)] * 2


def _problem(dialog, box) -> str:
    label = dialog.problems[box]
    return label.text() if label.isVisible() else ""


def test_each_bad_entry_is_explained_beside_its_box_and_nothing_is_lost(qtbot, window):
    dialog = _dialog(qtbot, window)
    future = (dt.date.today() + dt.timedelta(days=400)).strftime("%d/%m/%Y")
    cases_ = [
        (dialog.dob, "31/02/2001", "Not a date: 31/02/2001 does not exist"),
        (dialog.dob, future, "in the future"),
        (dialog.dob, "last tuesday", "write it as day/month/year"),
        (dialog.nhs, "943 476 5918", "check digit"),
    ]
    for box, typed, expected in cases_:
        _type(qtbot, dialog)
        box.clear()
        qtbot.keyClicks(box, typed)
        assert expected in _problem(dialog, box), (typed, _problem(dialog, box))
        label = dialog.problems[box]  # shown in full, not cut off by the window's edge
        assert label.heightForWidth(label.width()) <= label.height() + 1
        assert label.geometry().bottom() < dialog.height()
        _create(qtbot, dialog)
        assert dialog.case_id is None and dialog.isVisible()
        assert box.text() == typed and dialog.given.text() == "Testy"  # nothing cleared
    assert case_changes.search_people(window.store, "McTestface") == []


def test_pasted_control_characters_and_a_huge_name_are_refused(qtbot, window):
    dialog = _dialog(qtbot, window)
    _type(qtbot, dialog)
    dialog.family.clear()
    dialog.family.insert("McTest\x1bface")  # as a paste puts it
    assert "invisible control characters" in _problem(dialog, dialog.family)
    huge = "Testy" * 2000
    dialog.given.setText(huge)
    assert "10,000 characters long; at most 100 fit" in _problem(dialog, dialog.given)
    _create(qtbot, dialog)
    assert dialog.case_id is None and dialog.given.text() == huge and dialog.family.text() == "McTest\x1bface"
    dialog.given.setText("Testy")
    dialog.family.setText("McTestface")
    assert _problem(dialog, dialog.given) == _problem(dialog, dialog.family) == ""
    _create(qtbot, dialog)
    assert dialog.case_id is not None


def test_same_nhs_number_offers_the_person_already_known(qtbot, window):
    known = case_changes.register_person(window.store, PersonDetails("Testy", "McTestface", dt.date(1980, 2, 29),
                                                              "9434765919"))
    dialog = _dialog(qtbot, window)
    _type(qtbot, dialog, given="Testy", family="Mctestface", nhs="943 476 5919")  # a typo in the name
    _create(qtbot, dialog)
    assert dialog.duplicate_box.isVisible() and dialog.case_id is None
    text = dialog.duplicate.text()
    assert "Testy McTestface" in text and "has this NHS number" in text and "29 Feb 1980" in text
    assert not dialog.different_person.isVisible()  # one NHS number, one person
    qtbot.mouseClick(dialog.use_existing, Qt.MouseButton.LeftButton)
    assert dialog.case_id is not None
    assert len(case_changes.search_people(window.store, "McTestface")) == 1
    from ddassess.services.case_pathway import case_detail

    assert case_detail(window.store, dialog.case_id).person_name == known.display_name


def test_same_name_and_birthday_can_still_be_a_different_person(qtbot, window):
    case_changes.register_person(window.store, PersonDetails("Testy", "McTestface", dt.date(1980, 2, 29), None))
    dialog = _dialog(qtbot, window)
    _type(qtbot, dialog, dob="29/02/1980")
    _create(qtbot, dialog)
    assert dialog.duplicate_box.isVisible() and "same name and date of birth" in dialog.duplicate.text()
    qtbot.keyClicks(dialog.nhs, "9")  # changing anything withdraws the question
    assert not dialog.duplicate_box.isVisible()
    dialog.nhs.clear()
    _create(qtbot, dialog)
    qtbot.mouseClick(dialog.different_person, Qt.MouseButton.LeftButton)
    assert dialog.case_id is not None
    assert len(case_changes.search_people(window.store, "McTestface")) == 2
