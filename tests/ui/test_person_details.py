"""The person's details through the real window, typed with the keyboard: captured in the
referral, shown in the case header (address and phone at once, the rest behind Details),
edited with "Edit person…" (audited), bad entries explained, emoji refused by name, and the
duplicate-person warning shown whole. The people are fictional."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import select

from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.store.records import AuditEventRecord
from ddassess.ui.referral import NewReferralDialog


def _dialog(qtbot, window) -> NewReferralDialog:
    dialog = NewReferralDialog(window.store, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def _problem(form, box) -> str:
    label = form.problems[box]
    return label.text() if label.isVisible() else ""


def _tab_to(qtbot, start, target, limit=40) -> None:
    """Press Tab from ``start`` until ``target`` has the focus (the keyboard path a user takes)."""
    start.setFocus()
    qtbot.waitUntil(start.hasFocus)
    for _ in range(limit):
        if target.hasFocus():
            return
        qtbot.keyClick(target.window().focusWidget(), Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {target.accessibleName()}")


def test_the_referral_captures_every_detail_by_keyboard(qtbot, window):
    dialog = _dialog(qtbot, window)
    f = dialog.person_form
    f.given.setFocus()
    qtbot.waitUntil(f.given.hasFocus)
    qtbot.keyClicks(f.given, "Examplia")
    order = [(f.family, "Demoson"), (f.preferred, "Mia"), (f.pronouns, "she/her"), (f.dob, "02/03/1984"),
             (f.nhs, "943 476 5919"), (f.gender, "Female")]
    for box, text in order:  # Tab moves box to box in the order they are shown
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        assert box.hasFocus(), box.accessibleName()
        qtbot.keyClicks(box, text)
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    assert f.ethnicity.hasFocus()
    qtbot.keyClick(f.ethnicity, Qt.Key.Key_End)  # the list's last entry: not known
    assert f.ethnicity.currentData() == "99"
    qtbot.keyClick(f.ethnicity, Qt.Key.Key_Tab)
    assert f.address.hasFocus()  # Tab leaves the address box rather than typing a tab into it
    qtbot.keyClicks(f.address, "1 Example Street")
    qtbot.keyClick(f.address, Qt.Key.Key_Return)
    qtbot.keyClicks(f.address, "Leeds")
    for box, text in ((f.postcode, "ls1 4ap"), (f.phone, "07700 900123"), (f.email, "mia@example.org"),
                      (f.gp_practice, "Example Street Surgery"), (f.kin_name, "Pat Demoson"),
                      (f.kin_relationship, "Sister"), (f.kin_phone, "07700 900456"),
                      (f.communication, "Large print letters")):
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        assert box.hasFocus(), box.accessibleName()
        qtbot.keyClicks(box, text)
    assert not any(_problem(f, box) for box in f.boxes())
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)  # on to the buttons: Enter creates the referral
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).setFocus()
    qtbot.keyClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.Key.Key_Space)
    assert dialog.case_id is not None
    [person] = case_changes.search_people(window.store, "Demoson")
    d = case_changes.person_details(window.store, person.id)
    assert (d.address, d.postcode, d.phone, d.gp_practice, d.ethnicity, d.pronouns) == (
        "1 Example Street\nLeeds", "LS1 4AP", "07700 900123", "Example Street Surgery", "99", "she/her")
    assert (d.next_of_kin_name, d.next_of_kin_relationship, d.next_of_kin_phone) == ("Pat Demoson", "Sister",
                                                                                     "07700 900456")
    assert d.communication_needs == "Large print letters" and d.preferred_name == "Mia"


def test_bad_details_are_explained_under_their_boxes_and_nothing_is_cleared(qtbot, window):
    dialog = _dialog(qtbot, window)
    f = dialog.person_form
    qtbot.keyClicks(f.given, "Testy")
    qtbot.keyClicks(f.family, "McTestface")
    cases_ = ((f.phone, "0113-496-0000", "only digits, spaces and a + at the start"),
              (f.email, "testy.example.org", "write it like name@example.org"),
              (f.postcode, "LS1", "not a UK postcode"),
              (f.kin_phone, "sister's", "The next of kin's phone number may hold only digits"))
    for box, typed, words in cases_:
        qtbot.keyClicks(box, typed)
        assert words in _problem(f, box), (typed, _problem(f, box))
        label = f.problems[box]  # shown whole
        assert label.heightForWidth(label.width()) <= label.height() + 1
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert dialog.case_id is None and dialog.isVisible()
    assert [box.text() for box, _t, _w in cases_] == [t for _b, t, _w in cases_]  # nothing cleared
    assert case_changes.search_people(window.store, "McTestface") == []


def test_an_emoji_in_a_name_is_refused_naming_the_character(qtbot, window):
    dialog = _dialog(qtbot, window)
    f = dialog.person_form
    qtbot.keyClicks(f.given, "Testy ")
    # The emoji arrives as one key event carrying it (as an emoji picker or input method
    # commits it); keyClicks would split it into two halves of a surrogate pair.
    QTest.sendKeyEvent(QTest.KeyAction.Click, f.given, Qt.Key.Key_unknown, "\U0001F600", Qt.KeyboardModifier.NoModifier)
    qtbot.keyClicks(f.family, "McTestface")
    assert "cannot be shown or printed" in _problem(f, f.given) and "grinning face (U+1F600)" in _problem(f, f.given)
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert dialog.case_id is None and f.given.text() == "Testy \U0001F600"
    qtbot.keyClick(f.given, Qt.Key.Key_Backspace)  # the emoji is one character to delete
    assert f.given.text() == "Testy " and _problem(f, f.given) == ""


def test_the_duplicate_warning_is_shown_whole(qtbot, window):
    case_changes.register_person(window.store, PersonDetails(
        "Placeholda", "Fictionsdottir-Longname", nhs_number="9434765919", address="1 Example Street"))
    dialog = _dialog(qtbot, window)
    dialog.resize(dialog.minimumWidth(), dialog.height())
    qtbot.keyClicks(dialog.given, "Placeholda")
    qtbot.keyClicks(dialog.family, "Fictionsdottir-Longname")
    qtbot.keyClicks(dialog.nhs, "943 476 5919")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    label = dialog.duplicate
    assert label.isVisible() and "has this NHS number" in label.text()
    assert label.heightForWidth(label.width()) <= label.height() + 1, "the warning is clipped"
    assert label.geometry().bottom() <= dialog.duplicate_box.height()
    assert dialog.duplicate_box.geometry().bottom() < dialog.height()
    assert dialog.use_existing.hasFocus()


def _case(window, details: PersonDetails) -> int:
    person = case_changes.register_person(window.store, details)
    return case_changes.open_case(window.store, person.id).id


def test_the_header_shows_address_and_phone_and_the_rest_behind_details(qtbot, window):
    case_id = _case(window, PersonDetails(
        "Examplia", "Demoson", nhs_number="9434765919", preferred_name="Mia", pronouns="she/her",
        address="Flat 2\n1 Example Street", postcode="LS1 4AP", phone="07700 900123", gp_practice="Example Surgery",
        next_of_kin_name="Pat Demoson", next_of_kin_relationship="Sister", next_of_kin_phone="07700 900456",
        ethnicity="Z", communication_needs="Large print"))
    header = window.open_case(case_id).header
    assert header.contact.isVisible()
    assert header.contact.text() == "known as Mia (she/her) · Flat 2, 1 Example Street LS1 4AP · phone 07700 900123"
    assert not header.details.isVisible()
    header.details_button.setFocus()
    qtbot.keyClick(header.details_button, Qt.Key.Key_Space)
    assert header.details.isVisible()
    shown = header.details.accessibleDescription()
    for expected in ("GP practice: Example Surgery", "Next of kin / emergency contact: Pat Demoson (Sister), "
                     "07700 900456", "Ethnicity: Not stated", "Communication needs: Large print",
                     "Email: not recorded"):
        assert expected in shown, expected
    assert header.details_button.accessibleName() == "Hide the person's details"
    qtbot.keyClick(header.details_button, Qt.Key.Key_Space)
    assert not header.details.isVisible()


def test_a_person_without_contact_details_says_so(qtbot, window):
    header = window.open_case(_case(window, PersonDetails("Testy", "McTestface"))).header
    assert header.contact.text() == "no address recorded · no phone recorded"


def _person_events(window) -> list[tuple[str, dict]]:
    with window.store.read() as s:
        return [(e.action, json.loads(e.changes_json)) for e in s.scalars(
            select(AuditEventRecord).where(AuditEventRecord.entity_type == "person").order_by(AuditEventRecord.seq))]


def test_edit_person_by_keyboard_is_audited_and_the_header_follows(qtbot, window):
    case_id = _case(window, PersonDetails("Testy", "McTestface", nhs_number="9434765919"))
    page = window.open_case(case_id)
    page.header.edit_button.setFocus()
    qtbot.keyClick(page.header.edit_button, Qt.Key.Key_Space)
    dialog = page.edit_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitExposed(dialog)
    f = dialog.form
    assert f.given.text() == "Testy" and f.nhs.text() == "943 476 5919"
    _tab_to(qtbot, f.given, f.phone)
    qtbot.keyClicks(f.phone, "0770 090 0123")
    _tab_to(qtbot, f.phone, f.email)
    qtbot.keyClicks(f.email, "testy@")
    save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "write it like name@example.org" in _problem(f, f.email)
    assert _person_events(window)[-1][0] == "create"  # nothing saved
    qtbot.keyClicks(f.email, "example.org")
    _tab_to(qtbot, f.email, f.gp_practice)
    qtbot.keyClicks(f.gp_practice, "Example Surgery")
    f.family.selectAll()
    qtbot.keyClicks(f.family, "Fictionson")
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.edit_dialog is None)
    action, changes = _person_events(window)[-1]
    assert action == "update" and changes == {
        "family_name": ["McTestface", "Fictionson"], "phone": ["", "0770 090 0123"],
        "email": ["", "testy@example.org"], "gp_practice": ["", "Example Surgery"]}
    assert page.title.text().startswith("Testy Fictionson")  # the header is redrawn at once
    assert "phone 0770 090 0123" in page.header.contact.text()
    assert [p.family_name for p in case_changes.search_people(window.store, "Fictionson")] == ["Fictionson"]
    assert case_changes.search_people(window.store, "McTestface") == []


def test_cancelling_an_edit_changes_nothing(qtbot, window):
    page = window.open_case(_case(window, PersonDetails("Testy", "McTestface")))
    qtbot.mouseClick(page.header.edit_button, Qt.MouseButton.LeftButton)
    dialog = page.edit_dialog
    qtbot.keyClicks(dialog.form.phone, "07700 900123")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: page.edit_dialog is None)
    assert [a for a, _c in _person_events(window)] == ["create"]
    assert page.header.contact.text() == "no address recorded · no phone recorded"


def test_settings_take_the_organisation_and_its_logo(qtbot, window, tmp_path):
    from PIL import Image

    from ddassess.services.settings import get_setting
    from ddassess.ui.settings_dialog import OrganisationDialog, SettingsDialog

    settings = SettingsDialog(window.store, window)
    qtbot.addWidget(settings)
    assert settings.organisation_button.text() == "Organisation and logo…"
    dialog = OrganisationDialog(window.store, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.organisation, "Fictional Dual Diagnosis Partnership")
    (tmp_path / "notes.png").write_bytes(b"not an image at all")
    assert not dialog.use_logo_file(str(tmp_path / "notes.png"))
    assert "is not a PNG or JPEG image" in dialog.message.text() and not dialog.remove_logo.isEnabled()
    Image.new("RGB", (300, 100), (29, 78, 216)).save(tmp_path / "logo.png", "PNG")
    assert dialog.use_logo_file(str(tmp_path / "logo.png"))
    assert "logo.png" in dialog.logo_state.text() and dialog.remove_logo.isEnabled()
    dialog.save()
    assert get_setting(window.store, "organisation_name") == "Fictional Dual Diagnosis Partnership"
    assert get_setting(window.store, "organisation_logo") == dialog.logo != ""
    assert dialog.result() == dialog.DialogCode.Accepted
