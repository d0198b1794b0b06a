"""Answering a risk domain "not present" while its severity and imminence are still stored
must not hide the risk silently: the form says so and offers to clear them (issue 12, "Risk")."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ddassess.codes import Code
from ddassess.ui.formview import FormView


def _radio(view, fid, value):
    return next(b for v, b in view.editors[fid].buttons if v == value)


def test_a_not_present_answer_that_hides_a_risk_is_a_problem_and_offers_to_clear(qtbot, catalogue):
    spec = catalogue.get("risk")
    view = FormView(spec, catalogue, {"self_present": True, "self_indicators": "Fictional", "self_severity": "high",
                                      "self_imminence": "days", "self_plan": "Fictional plan"})
    qtbot.addWidget(view)
    view.show()
    assert {f.id for f in view.evaluation.flags} == {"self_imminent", "self_high"}
    assert not view.clear_hidden_button.isVisible()
    qtbot.mouseClick(_radio(view, "self_present", False), Qt.MouseButton.LeftButton)  # "No"
    assert view.evaluation.flags == []
    assert {p.field for p in view.evaluation.problems if p.code == Code.ANS_015} == {"self_severity",
                                                                                    "self_imminence"}
    alerts = view.flags_banner.text()
    assert view.flags_banner.isVisible() and "PROBLEM" in alerts and "Imminence" in alerts and "Within days" in alerts
    assert view.reveal_problems() >= 2  # Finalise stops here and says so
    assert view.clear_hidden_button.isVisible()
    qtbot.mouseClick(view.clear_hidden_button, Qt.MouseButton.LeftButton)
    note = view.cleared_note.text()
    assert view.cleared_note.isVisible() and "Cleared 2 hidden answer(s)" in note
    assert "Severity (Risk to self (suicide, self-harm))" in note and "Imminence" in note
    answers = view.answers()
    assert "self_severity" not in answers and "self_imminence" not in answers
    assert answers["self_indicators"] == "Fictional"  # what raises no flag is kept, as skip logic promises
    assert not [p for p in view.evaluation.problems if p.code == Code.ANS_015]
    assert not view.clear_hidden_button.isVisible()
    assert view.save_pending  # the cleared answers are saved like any change


def test_a_final_form_offers_no_clearing(qtbot, catalogue):
    spec = catalogue.get("risk")
    view = FormView(spec, catalogue, {"self_present": False, "self_severity": "high"})
    qtbot.addWidget(view)
    view.set_read_only(True)
    view.show()
    assert not view.clear_hidden_button.isVisible() and view.clear_hidden_answers() == []
    assert "PROBLEM" in view.flags_banner.text()  # still said
