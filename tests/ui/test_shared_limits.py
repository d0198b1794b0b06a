"""The widgets that stop or flag text at a limit use the services' own declaration of it
(domain/limits.py), so what a box accepts is what the service then keeps."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ddassess.domain import limits
from ddassess.ui.referral import NewReferralDialog


def test_the_referral_dialog_flags_what_register_person_refuses(qtbot, window):
    dialog = NewReferralDialog(window.store, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.family.setText("McTestface")
    dialog.given.setText("T" * limits.MAX_NAME)
    assert not dialog.problems[dialog.given].isVisible()
    dialog.given.setText("T" * (limits.MAX_NAME + 1))
    assert dialog.problems[dialog.given].text() == "The given name is 101 characters long; at most 100 fit. Shorten it."
    dialog.given.setText("T" * limits.MAX_NAME)
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert dialog.case_id is not None  # the longest name the box allows, the service keeps


def test_a_broken_character_is_flagged_beside_the_name_as_the_service_would_refuse_it():
    from ddassess.ui.referral import name_problem

    assert "broken character" in name_problem("Te\ud800sty", "given name")
    assert name_problem("Testy", "given name") == ""


def test_the_case_list_search_box_takes_what_the_search_service_takes(qtbot, window):
    from ddassess.ui.caselist import CaseListWidget

    cl = CaseListWidget(window.store)
    qtbot.addWidget(cl)
    assert cl.search.maxLength() == limits.MAX_SEARCH
    with qtbot.waitSignal(cl.searched, timeout=10_000):  # searched, not refused (which would show a message)
        cl.search.setText("T" * 1_000_000)  # a paste of a megabyte
    assert len(cl.search.text()) == limits.MAX_SEARCH
    qtbot.waitUntil(lambda: not cl._searching)  # nothing left running when the store closes


def test_the_first_run_page_flags_a_name_role_or_service_past_the_store_s_limit(qtbot, catalogue, store_folder):
    from ddassess.ui.mainwindow import MainWindow

    w = MainWindow(store_folder, catalogue)
    qtbot.addWidget(w)
    w.show()
    page = w.setup_page
    page.name.setText("P" * (limits.MAX_PRACTITIONER_NAME + 1))
    n = limits.MAX_PRACTITIONER_NAME
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)  # refused, saying why
    assert f"Your name is {n + 1} characters long; at most {n} fit" in page.strength.text()
    assert page.created is None and page.steps.currentIndex() == 0
    page.name.setText("Pat Practitioner")
    page.agency.setText("S" * (limits.MAX_PROFILE_TEXT + 1))
    assert "Your service is 201 characters long; at most 200 fit" in page.strength.text()
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    assert page.created is None and page.steps.currentIndex() == 0 and w.focusWidget() is page.agency
    w.close()
