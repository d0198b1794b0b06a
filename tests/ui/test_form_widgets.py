"""Form widgets as a practitioner meets them: repeating groups with problems beside each
cell, a signature with who/role/when, glossary help by keyboard, and bad input that is
explained beside its field without losing anything."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from ui_helpers import open_form

from ddassess.formengine import load_form_text
from ddassess.services import case_changes
from ddassess.ui.formview import FormView
from ddassess.ui.signature import SignaturePad


def _visible_problems(editor) -> list[str]:
    return [label.text() for row in editor.rows for label in row.problems.values() if label.isVisible()]


# --- repeating groups ---------------------------------------------------------------


def test_a_new_empty_row_shows_no_errors_until_touched(qtbot, window):
    _page, form = open_form(qtbot, window, "substance_profile")
    rows = form.view.editors["substances"]
    qtbot.mouseClick(rows.add_button, Qt.MouseButton.LeftButton)
    assert len(rows.rows) == 1
    qtbot.waitUntil(rows.rows[0].group.isVisible)
    assert _visible_problems(rows) == []
    assert not form.view.problem_labels["substances"].isVisible()  # no block of errors under the group


def test_touching_a_row_shows_each_problem_beside_its_cell(qtbot, window):
    _page, form = open_form(qtbot, window, "substance_profile")
    rows = form.view.editors["substances"]
    qtbot.mouseClick(rows.add_button, Qt.MouseButton.LeftButton)
    row = rows.rows[0]
    qtbot.waitUntil(row.group.isVisible)
    qtbot.keyClicks(row.editors["days_last_28"].widget, "40")
    days = row.problems["days_last_28"]
    assert days.isVisible() and "must be within 0–28; 40 is outside it" in days.text()
    assert row.problems["substance"].isVisible() and row.problems["substance"].text() == "'Substance' is required."
    # each message sits in the same cell as its editor, not in a block under the group
    assert days.parentWidget() is row.editors["days_last_28"].widget.parentWidget()
    assert not row.problems["pattern"].isVisible()  # optional and empty: nothing to say
    assert not form.view.problem_labels["substances"].isVisible()


def test_finalise_reveals_problems_in_rows_nobody_touched(qtbot, window):
    _page, form = open_form(qtbot, window, "substance_profile")
    rows = form.view.editors["substances"]
    qtbot.mouseClick(rows.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(rows.rows[0].group.isVisible)
    assert _visible_problems(rows) == []
    errors = form.view.reveal_problems()
    assert errors >= 4
    assert {"'Substance' is required.", "'Route' is required."} <= set(_visible_problems(rows))


FORM_HEAD = """
id: t
version: 1
title: Test form
purpose: A form made up for this test.
licence: {text: Test, attribution: Tests}
sections:
"""

GROUP_FORM = FORM_HEAD + """  - id: a
    title: A
    fields:
      - id: rows
        type: group
        label: Substances
        help: H
        fields:
          - {id: route, type: single_choice, label: Route, help: H, required: true,
             choices: [{value: oral, label: Oral}, {value: other, label: Other}]}
          - {id: route_other, type: short_text, label: Which other route, help: H, required: true,
             show_if: route == 'other'}
"""


def test_show_if_inside_a_group_column_is_live(qtbot, catalogue):
    spec, problems = load_form_text(GROUP_FORM, "t.yaml")
    assert spec is not None, problems
    view = FormView(spec, catalogue, {"rows": [{"route": "oral"}]})
    qtbot.addWidget(view)
    view.show()
    row = view.editors["rows"].rows[0]
    other = row.holders["route_other"]
    assert not other.isVisible()
    row.editors["route"].buttons[1][1].click()  # "Other"
    assert other.isVisible()
    assert row.problems["route_other"].text() == "'Which other route' is required."
    row.editors["route"].buttons[0][1].click()  # back to "Oral": the question and its problem go
    assert not other.isVisible() and not row.problems["route_other"].isVisible()


# --- the signature pad --------------------------------------------------------------


def _ink_box(image: QImage) -> tuple[int, int, int, int]:
    """Bounding box of the dark blue ink in a grabbed pad."""
    xs, ys = [], []
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = QColor(image.pixel(x, y))
            if c.blue() > 80 and c.red() < 60 and c.green() < 60:
                xs.append(x)
                ys.append(y)
    return min(xs), min(ys), max(xs), max(ys)


def _sign(qtbot, pad) -> None:
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(60, 50))
    for x in range(70, 240, 8):
        qtbot.mouseMove(pad, QPoint(x, 50 + (x % 48) - 16))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(240, 60))


def test_signature_shows_signer_role_and_date_and_keeps_its_shape_when_the_window_resizes(qtbot, window):
    _page, form = open_form(qtbot, window, "care_plan")
    editor = form.view.editors["person_signed"]
    pad = editor.pad
    assert editor.name_label.text() == "Signed by: Testy McTestface"  # the person on the case
    assert editor.role.text() == "Role: Service user"
    assert editor.date.text() == "Date: not signed yet"
    qtbot.waitUntil(lambda: pad.width() > 300)
    before_utc = dt.datetime.now(dt.UTC).replace(microsecond=0)
    _sign(qtbot, pad)
    strokes = pad.strokes()
    assert len(strokes) == 1 and len(strokes[0]) > 10
    assert editor.date.text().startswith(f"Date: {dt.date.today():%d %b %Y}")
    x0, y0, x1, y1 = _ink_box(pad.grab().toImage())
    shape_before = (x1 - x0) / (y1 - y0)
    old_width = pad.width()
    window.resize(1700, 900)
    qtbot.waitUntil(lambda: pad.width() > old_width + 100)
    assert pad.strokes() == strokes
    x0, y0, x1, y1 = _ink_box(pad.grab().toImage())
    assert abs((x1 - x0) / (y1 - y0) - shape_before) / shape_before < 0.15  # not stretched
    qtbot.waitUntil(lambda: "person_signed" in case_changes.get_response(window.store, form.response.id).answers,
                    timeout=5000)
    stored = case_changes.get_response(window.store, form.response.id).answers["person_signed"]
    assert stored["strokes"] == strokes and stored["signed_by"] == "Testy McTestface"
    signed_at = dt.datetime.fromisoformat(stored["signed_at"])
    assert signed_at.utcoffset() == dt.timedelta(0)
    assert before_utc <= signed_at <= dt.datetime.now(dt.UTC)


def test_a_tiny_flick_is_refused_with_a_message_beside_the_pad(qtbot, window):
    _page, form = open_form(qtbot, window, "care_plan")
    editor = form.view.editors["person_signed"]
    qtbot.waitUntil(lambda: editor.pad.width() > 300)
    qtbot.mousePress(editor.pad, Qt.MouseButton.LeftButton, pos=QPoint(100, 60))
    for dx in (1, 2, 3, 4):
        qtbot.mouseMove(editor.pad, QPoint(100 + dx, 60 + dx // 2))
    qtbot.mouseRelease(editor.pad, Qt.MouseButton.LeftButton, pos=QPoint(104, 62))
    assert editor.value() is None and editor.pad.strokes() == []
    assert editor.message.isVisible() and "too small to be a signature" in editor.message.text()
    _sign(qtbot, editor.pad)  # a real signature afterwards is taken, and the message goes
    assert editor.value() is not None and not editor.message.isVisible()


def test_a_finger_can_sign_on_a_touch_screen(qtbot):
    # The pad as its own window: QTest's touch points are placed through the top-level window.
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(480, 160)
    pad.show()
    qtbot.waitExposed(pad)
    device = QTest.createTouchDevice()
    QTest.touchEvent(pad, device).press(0, QPoint(40, 50)).commit()
    for x in range(50, 260, 10):
        QTest.touchEvent(pad, device).move(0, QPoint(x, 45 + (x % 40))).commit()
    QTest.touchEvent(pad, device).release(0, QPoint(260, 60)).commit()
    strokes = pad.strokes()
    assert len(strokes) == 1 and len(strokes[0]) > 10


def test_a_worker_signature_asks_who_signed(qtbot, catalogue):
    spec, problems = load_form_text(GROUP_FORM.replace(
        """      - id: rows
        type: group""", """      - {id: partner_sig, type: signature, signer: partner, label: Their signature, help: H}
      - {id: gp_sig, type: signature, label: Signature of the GP, help: H}
      - id: rows
        type: group"""), "t.yaml")
    assert spec is not None, problems
    view = FormView(spec, catalogue, {})
    qtbot.addWidget(view)
    view.show()
    editor = view.editors["partner_sig"]  # the role is the one its signer: names, not guessed from the label
    assert editor.signed_by.isVisible() and editor.role.isVisible()
    assert editor.role.text() == "Role: Partner-service practitioner"
    assert editor.signed_by.accessibleName() == "Signed by (Partner-service practitioner)"
    qtbot.keyClicks(editor.signed_by, "Dr Placeholda Fakely")
    _sign(qtbot, editor.pad)
    assert view.answers()["partner_sig"]["signed_by"] == "Dr Placeholda Fakely"
    other = view.editors["gp_sig"]  # names no signer: no role line, its label says whose it is
    assert other.signed_by.isVisible() and not other.role.isVisible()
    assert other.signed_by.accessibleName() == "Signed by (Signature of the GP)"


def test_a_care_plan_made_with_a_version_frozen_before_signer_keeps_its_roles(qtbot, catalogue):
    frozen = catalogue.get("care_plan", 2)
    assert not any(f.signer for f in frozen.fields.values())  # its text (and hash) cannot change
    view = FormView(frozen, catalogue, {})
    qtbot.addWidget(view)
    roles = {fid: view.editors[fid].role.text() for fid in ("person_signed", "coordinator_signed", "partner_signed")}
    assert roles == {"person_signed": "Role: Service user", "coordinator_signed": "Role: Care coordinator",
                     "partner_signed": "Role: Partner-service practitioner"}


# --- glossary: plain words for assistive technology, help by keyboard ---------------


def test_glossary_markup_never_reaches_assistive_technology(qtbot, catalogue):
    for spec in catalogue.forms.values():
        view = FormView(spec, catalogue, {})
        for ed in view.editors.values():
            for w in (ed.widget, ed.focus_widget()):
                assert "[[" not in w.accessibleName() + w.accessibleDescription(), (spec.id, ed.spec.id)
        view.deleteLater()


def test_glossary_definition_is_in_the_description_and_reachable_by_keyboard(qtbot, window, catalogue):
    _page, form = open_form(qtbot, window, "care_plan")
    editor = form.view.editors["lead_agency"]
    definition = " ".join(catalogue.glossary["lead agency"]["definition"].split())
    assert definition in editor.widget.accessibleDescription()
    assert editor.widget.whatsThis().startswith("lead agency:")
    editor.widget.setFocus()
    qtbot.keyClick(editor.widget, Qt.Key.Key_F1, Qt.KeyboardModifier.ShiftModifier)  # "What's this?"
    popups = [w for w in QApplication.topLevelWidgets() if w.metaObject().className() == "QWhatsThat"]
    assert popups and popups[0].isVisible()
    popups[0].close()
    button, note = form.view.glossary_buttons["lead_agency"], form.view.glossary_notes["lead_agency"]
    editor.widget.setFocus()
    qtbot.keyClick(editor.widget, Qt.Key.Key_Tab)
    assert button.hasFocus()  # the next stop after the field
    qtbot.keyClick(button, Qt.Key.Key_Space)
    assert note.isVisible() and definition in note.text()


# --- bad input in a form ------------------------------------------------------------


def test_bad_answers_are_explained_beside_each_field_and_everything_is_kept(qtbot, window):
    _page, form = open_form(qtbot, window, "joint_assessment")
    eds, problems = form.view.editors, form.view.problem_labels
    qtbot.keyClicks(eds["assessed_on"].widget, "31/02/2001")
    qtbot.keyClicks(eds["phq9_total"].widget, "99")
    eds["presentation"].widget.insertPlainText("Calm\x07 and\x1b talkative")  # a paste with control characters
    eds["mh_history"].widget.insertPlainText("x" * 50_000)
    qtbot.keyClicks(eds["money"].widget, "Rent arrears")
    assert "not a real date" in problems["assessed_on"].text()
    assert "must be within 0–27; 99 is outside it" in problems["phq9_total"].text()
    assert "control characters" in problems["presentation"].text()
    assert "is 50000 characters; at most 8000 fit" in problems["mh_history"].text()
    for fid in ("assessed_on", "phq9_total", "presentation", "mh_history"):
        assert problems[fid].isVisible(), fid
    assert not problems["money"].isVisible()
    qtbot.waitUntil(lambda: "money" in case_changes.get_response(window.store, form.response.id).answers, timeout=5000)
    saved = case_changes.get_response(window.store, form.response.id).answers
    assert saved["money"] == "Rent arrears" and saved["phq9_total"] == 99
    assert len(saved["mh_history"]) == 50_000 and saved["presentation"] == "Calm\x07 and\x1b talkative"
    assert saved["assessed_on"] == "31/02/2001"  # kept as typed, to be corrected
    qtbot.keyClick(eds["phq9_total"].widget, Qt.Key.Key_Backspace)  # 99 -> 9: the problem goes
    assert not problems["phq9_total"].isVisible()


def test_a_stored_date_is_shown_day_first_and_saved_back_unchanged(qtbot, catalogue):
    spec = catalogue.get("lead_agency")
    view = FormView(spec, catalogue, {"decided_on": "2026-03-02"})
    qtbot.addWidget(view)
    box = view.editors["decided_on"].widget
    assert box.text() == "02/03/2026" and box.placeholderText() == "DD/MM/YYYY"
    assert view.answers()["decided_on"] == "2026-03-02"
    box.clear()
    qtbot.keyClicks(box, "2026-03-04")  # ISO typed is kept too
    assert view.answers()["decided_on"] == "2026-03-04"


SCORE_FORM = FORM_HEAD + """  - id: a
    title: A
    fields:
      - {id: n, type: integer, label: A number, help: H}
scores:
  - id: squared
    label: Squared
    help: H
    expr: n * n * n
"""


def test_a_score_that_cannot_be_worked_out_is_shown_not_hidden(qtbot, catalogue):
    """Its problem has no question to sit beside; it blocks Finalise, so the banner says it."""
    spec, problems = load_form_text(SCORE_FORM, "t.yaml")
    assert spec is not None, problems
    view = FormView(spec, catalogue, {"n": 10 ** 14})  # allowed as an answer; its cube is beyond 10^15
    qtbot.addWidget(view)
    view.show()
    assert view.reveal_problems() >= 1
    assert view.flags_banner.isVisible()
    assert "PROBLEM" in view.flags_banner.text() and "Squared" in view.flags_banner.text()
