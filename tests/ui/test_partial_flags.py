"""A flag raised on an unfinished form says so, wherever flags are shown: the form's alert
banner, the case's risk banner (and the summary behind it)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from ui_helpers import open_form

from ddassess.domain.models import PersonDetails
from ddassess.formengine.evaluate import PARTIAL_FLAG
from ddassess.services import case_changes
from ddassess.services.case_header import case_summary
from ddassess.ui.formview import FormView


def test_the_form_banner_marks_a_flag_raised_before_the_form_is_finished(qtbot, window):
    """FAST (Hodgson et al. 2002): 3 or more is positive. 'Monthly' then 'Daily or almost daily'
    already make 6, so the flag shows at once, marked; answering the rest removes the mark."""
    _page, form = open_form(qtbot, window, "fast")
    view = form.view
    qtbot.mouseClick(view.editors["q1"].buttons[2][1], Qt.MouseButton.LeftButton)  # Monthly: ask the rest
    assert not view.flags_banner.isVisible()
    qtbot.mouseClick(view.editors["q2"].buttons[4][1], Qt.MouseButton.LeftButton)  # Daily or almost daily
    assert view.flags_banner.isVisible()
    banner = view.flags_banner.text()
    assert "WARNING" in banner and "FAST positive" in banner and PARTIAL_FLAG in banner
    assert "incomplete" in view.scores_label.text() and "not a total" in view.scores_label.text()
    for q in ("q3", "q4"):
        qtbot.mouseClick(view.editors[q].buttons[0][1], Qt.MouseButton.LeftButton)  # Never / No
    assert "FAST positive" in view.flags_banner.text() and PARTIAL_FLAG not in view.flags_banner.text()


def test_the_case_risk_banner_marks_a_flag_from_an_unfinished_form(qtbot, window, catalogue):
    """SADQ (Stockwell et al. 1983): 16 or more. A draft with ten answers adding to 30 shows
    the withdrawal flag on the case, '(…, form not finished)'; finishing it drops the words."""
    store = window.store
    person = case_changes.register_person(store, PersonDetails("Partiala", "Fakeworth"))
    case_id = case_changes.open_case(store, person.id).id
    sadq = catalogue.get("sadq")
    answers = {f"q{i}": 3 for i in range(1, 11)}
    r = case_changes.start_response(store, case_id, "sadq", sadq.version, sadq.content_hash, answers)
    assert [(f.severity, f.partial) for f in case_summary(store, catalogue, case_id).risk_flags] == [("high", True)]
    page = window.open_case(case_id)
    assert page.risk.isVisible()
    [text] = page.risk.texts()
    assert text.startswith("HIGH — ") and text.endswith(", form not finished)")
    assert "Severity of Alcohol Dependence" in text  # which form says so
    assert page.header.scores.texts() == []  # and still no total
    case_changes.save_draft(store, r.id, answers | {f"q{i}": 0 for i in range(11, 21)} | {"heavy_month": "May"})
    page.reload()
    [text] = page.risk.texts()
    assert text.startswith("HIGH — ") and "form not finished" not in text


def test_an_unfinished_score_names_the_band_its_answers_already_reach(qtbot, catalogue):
    """DAST-10 (Skinner 1982): 3-5 is a moderate level. Three 'yes' answers reach it whatever
    the other seven are; the form says so beside the sum so far, and still shows no total."""
    spec = catalogue.get("dast10")
    view = FormView(spec, catalogue, {"q1": "yes", "q2": "yes", "q4": "yes"})
    qtbot.addWidget(view)
    view.show()
    text = view.scores_label.text()
    assert "incomplete — 3 of 10 answered (so far 3; not a total); already at least <i>Moderate level</i>" in text
    view.editors["q5"].buttons[0][1].click()  # Yes: 4, still moderate
    assert "already at least <i>Moderate level</i>" in view.scores_label.text()
