"""The risk banner stays one line per severity however many flags a case has, never widens
the window, lists every flag on "Show all", and lets a practitioner acknowledge one by
keyboard or mouse (issue 13, "Less re-keying": the risk banner)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from ui_helpers import case_with_forms

from ddassess.services import case_changes
from ddassess.services.flag_acknowledgements import acknowledgements
from ddassess.ui.case_header import ElidedLabel

DOMAINS = ("self", "others", "from_others", "self_neglect", "overdose", "injecting", "children", "adults",
           "disengagement")


def risk_everywhere(catalogue, store, case_id):
    """A final risk assessment with every domain high and immediate: 9 urgent and 9 high flags."""
    answers = {"overall_level": "high", "assessed_by": "Testy McTestface", "assessed_on": dt.date.today().isoformat(),
               "review_by": (dt.date.today() + dt.timedelta(days=14)).isoformat()}
    for d in DOMAINS:
        answers |= {f"{d}_present": True, f"{d}_indicators": "Fictional indicator", f"{d}_severity": "high",
                    f"{d}_imminence": "immediate", f"{d}_plan": "Fictional plan"}
    spec = catalogue.get("risk")
    r = case_changes.start_response(store, case_id, "risk", spec.version, spec.content_hash, answers)
    case_changes.finalise_response(store, r.id)


def many_flags(window, catalogue):
    # PHQ-9 item 9 (urgent) and an AUDIT draft (high: possible dependence; a warning: WHO's next level
    # for 2 or more on questions 4-6), then the risk form's 18: 10 urgent, 10 high, 1 warning
    case_id = case_with_forms(window, catalogue)
    risk_everywhere(catalogue, window.store, case_id)
    return case_id


def test_many_flags_make_one_elided_line_per_severity_and_never_widen_the_window(qtbot, window, catalogue):
    case_id = many_flags(window, catalogue)
    window.resize(900, 800)
    page = window.open_case(case_id)
    qtbot.waitUntil(lambda: page.risk.isVisible())
    assert len(page.summary.risk_flags) == 21
    lines = page.risk.texts()
    assert len(lines) == 3, lines  # one line per severity
    assert lines[0].startswith("URGENT: 10 flags — ")
    assert lines[0].endswith("and 9 more") and lines[1].startswith("HIGH: 10 flags — ")
    assert all(isinstance(label, ElidedLabel) for label in page.risk.flag_labels)
    qtbot.waitUntil(lambda: page.risk.flag_labels[0].is_elided())  # too long for the window: cut, not widened
    for label in page.risk.flag_labels:
        assert label.toolTip() == label.full_text == label.accessibleName()  # the whole text is still there
        assert label.text() == label.full_text or label.text().endswith("…")
        assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width()
        assert label.geometry().right() <= page.risk.width()
    assert window.width() == 900  # the banner asked for no more width
    assert page.risk.height() < 5 * page.risk.fontMetrics().lineSpacing() + 40  # three lines, not twenty-one
    assert page.risk.sizeHint().width() <= window.width()


def test_show_all_lists_every_flag_and_acknowledges_one_by_keyboard(qtbot, window, catalogue):
    case_id = many_flags(window, catalogue)
    page = window.open_case(case_id)
    button = page.risk.show_all_button
    assert button.isVisible() and button.text() == "Show all 21 flags…"
    assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)  # opens by keyboard
    dialog = page.risk.dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    assert dialog.flags.topLevelItemCount() == 21
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.flags)  # the list has the keyboard
    assert dialog.flags.currentItem().text(0) == "URGENT"
    qtbot.keyClick(dialog.flags, Qt.Key.Key_Down)  # the second urgent flag
    chosen = dialog.rows[1]
    qtbot.keyClick(dialog.flags, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.reason
    qtbot.keyClicks(dialog.reason, "Crisis team called; joint visit tomorrow")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.acknowledge_button
    qtbot.keyClick(dialog.acknowledge_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: "Acknowledged" in dialog.message.text())
    acked = acknowledgements(window.store, case_id)
    assert list(acked) == [(chosen.response_uuid, chosen.flag_id)]
    assert acked[(chosen.response_uuid, chosen.flag_id)].reason == "Crisis team called; joint visit tomorrow"
    # still listed, marked, last; the banner counts one urgent flag fewer and says one is acknowledged
    assert dialog.flags.topLevelItemCount() == 21
    last = dialog.flags.topLevelItem(20)
    assert last.text(1) == chosen.message and "Testy McTestface" in last.text(4) and "Crisis team" in last.text(4)
    lines = page.risk.texts()
    assert len(lines) == 3 and lines[0].startswith("URGENT: 9 flags — ")
    assert page.risk.show_all_button.text() == "Show all 21 flags (1 acknowledged)…"
    # an acknowledged flag cannot be acknowledged again
    dialog.flags.setCurrentItem(last)
    assert not dialog.acknowledge_button.isEnabled()
    qtbot.keyClick(dialog.flags, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_acknowledging_without_a_reason_says_what_to_do_and_records_nothing(qtbot, window, catalogue):
    case_id = many_flags(window, catalogue)
    page = window.open_case(case_id)
    qtbot.mouseClick(page.risk.show_all_button, Qt.MouseButton.LeftButton)
    dialog = page.risk.dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    qtbot.mouseClick(dialog.acknowledge_button, Qt.MouseButton.LeftButton)
    assert "Say why the flag is acknowledged" in dialog.message.text()
    assert acknowledgements(window.store, case_id) == {}
    assert page.risk.texts()[0].startswith("URGENT: 10 flags")
    dialog.reject()


def test_a_single_flag_keeps_its_one_line(qtbot, window, catalogue):
    case_id = case_with_forms(window, catalogue)
    page = window.open_case(case_id)
    urgent, high, warning = page.risk.texts()  # one flag of each severity
    assert urgent.startswith("URGENT — Risk to self") and "and" not in urgent.rsplit(")", 1)[1]
    assert high.startswith("HIGH — Possible alcohol dependence")
    assert warning.startswith("WARNING — Signs of dependence")
    assert page.risk.show_all_button.text() == "Show all 3 flags…"
    for f in page.summary.risk_flags:  # both acknowledged: one quiet line says so, "Show all" still lists them
        page.acknowledge_flag(f, "Discussed at the team meeting")
    assert page.risk.texts() == ["All 3 risk flags acknowledged (still in the record)"]
    assert page.risk.isVisible() and page.risk.show_all_button.isVisible()


def test_a_flag_acknowledged_on_two_laptops_lists_both(qtbot, window, catalogue, tmp_path):
    """The same flag acknowledged on another laptop before either heard of the other: the
    list shows one acknowledged flag with both names, times and reasons (issue 14)."""
    from exchange_helpers import all_case_ids, make_store, send

    from ddassess.services.case_header import case_summary
    from ddassess.services.flag_acknowledgements import acknowledge_flag

    case_id = case_with_forms(window, catalogue)
    urgent = next(f for f in case_summary(window.store, catalogue, case_id).risk_flags if f.severity == "urgent")
    bea = make_store(tmp_path / "bea", "Bea Example")
    try:
        send(window.store, bea, catalogue)
        acknowledge_flag(window.store, catalogue, case_id, urgent.response_uuid, urgent.flag_id,
                         "Crisis team called")
        [bea_case] = all_case_ids(bea)
        acknowledge_flag(bea, catalogue, bea_case, urgent.response_uuid, urgent.flag_id, "Seen at the joint visit")
        assert send(bea, window.store, catalogue).refused == []
    finally:
        bea.close()
    page = window.open_case(case_id)
    qtbot.mouseClick(page.risk.show_all_button, Qt.MouseButton.LeftButton)
    dialog = page.risk.dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    [item] = [dialog.flags.topLevelItem(i) for i in range(dialog.flags.topLevelItemCount())
              if dialog.rows[i].flag_id == urgent.flag_id and dialog.rows[i].response_uuid == urgent.response_uuid]
    text = item.text(4)
    assert text.startswith("Testy McTestface, ") and "Crisis team called; also Bea Example, " in text
    assert text.endswith("Seen at the joint visit") and text in item.toolTip(4)
    dialog.flags.setCurrentItem(item)
    assert not dialog.acknowledge_button.isEnabled()  # acknowledged: not again
