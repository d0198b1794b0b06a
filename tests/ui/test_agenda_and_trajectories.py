"""The case page's "Scores over time" and open actions, the joint review's scores, and View →
Complex case review agenda…: driven in the real window on a real store."""

from __future__ import annotations

import datetime as dt
import io

from instrument_helpers import answers_totalling
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from ui_helpers import person_case, when_a_box_is_up

from ddassess.services import case_changes
from ddassess.services.case_pathway import finalise_form
from ddassess.services.case_risk import set_case_risk
from ddassess.ui.agenda_dialog import AgendaDialog
from ddassess.ui.export_path import GO

TODAY = dt.date.today()
PHQ9_ITEMS = [f"q{i}" for i in range(1, 10)]


def _final(window, catalogue, case_id, form_id, answers, days_ago):
    spec = catalogue.get(form_id)
    r = case_changes.start_response(window.store, case_id, form_id, spec.version, spec.content_hash, answers)
    finalise_form(window.store, catalogue, r.id, at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago))
    return r.id


def _case_with_scores_and_actions(window, catalogue):
    case_id = person_case(window)
    phq9 = catalogue.get("phq9")
    for total, days_ago in ((21, 90), (14, 45), (6, 3)):
        _final(window, catalogue, case_id, "phq9", answers_totalling(phq9, PHQ9_ITEMS, total, difficulty="somewhat"),
               days_ago)
    _final(window, catalogue, case_id, "complex_case_review", {
        "meeting_date": (TODAY - dt.timedelta(days=14)).isoformat(), "chair": "Robin Chair", "mh_present": True,
        "sm_present": True, "discussion": "Discussed.", "next_meeting": TODAY.isoformat(),
        "actions": [{"action": "Arrange naloxone training", "owner": "Pat Partner",
                     "due": (TODAY - dt.timedelta(days=1)).isoformat(), "done": False},
                    {"action": "Already done", "owner": "Pat Partner", "due": TODAY.isoformat(), "done": True}]}, 2)
    set_case_risk(window.store, case_id, "urgent", "Threats reported by the housing officer")
    return case_id


def test_case_page_shows_scores_over_time_and_open_actions(qtbot, window, catalogue, tmp_path):
    case_id = _case_with_scores_and_actions(window, catalogue)
    page = window.open_case(case_id)
    overview = page.overview
    qtbot.waitUntil(overview.isVisible)
    (chart,) = overview.trajectories.charts
    assert chart.isVisibleTo(page)
    qtbot.waitUntil(lambda: chart.height() >= chart.minimumSizeHint().height())  # laid out at a readable size
    dates = [(TODAY - dt.timedelta(days=d)).strftime("%d %b %Y") for d in (90, 45, 3)]
    assert chart.accessibleDescription() == (
        "Line chart: PHQ-9 total. Bands: Minimal 0–4, Mild 5–9, Moderate 10–14, Moderately severe 15–19, "
        f"Severe 20–27. {dates[0]} 21 (Severe); {dates[1]} 14 (Moderate); {dates[2]} 6 (Mild).")
    items = [overview.action_list.item(i).text() for i in range(overview.action_list.count())]
    assert items == [f"Arrange naloxone training — Pat Partner, due "
                     f"{(TODAY - dt.timedelta(days=1)).strftime('%d %b %Y')} — OVERDUE"]
    page.grab().save(str(tmp_path / "case-page.png"))
    # Opening a form puts it where the overview was; closing it brings the overview back.
    page.open_response(page.forms.item(0).data(Qt.ItemDataRole.UserRole))
    assert not overview.isVisibleTo(page)
    assert page.close_form() and overview.isVisibleTo(page)


def test_the_joint_review_shows_the_scores_above_its_questions(qtbot, window, catalogue):
    case_id = _case_with_scores_and_actions(window, catalogue)
    page = window.open_case(case_id)
    page.new_form.setCurrentIndex(page.new_form.findData("joint_review"))
    page.start_form()
    form = page.form_page
    assert form is not None and form.trajectories is not None
    qtbot.waitUntil(form.trajectories.isVisible)
    assert [c.chart.title for c in form.trajectories.charts] == ["PHQ-9 total"]
    page.new_form.setCurrentIndex(page.new_form.findData("phq9"))
    page.start_form()
    assert page.form_page is not None and page.form_page.trajectories is None  # an instrument: no charts above


def test_agenda_starts_the_review_form_filled_from_the_item(qtbot, window, catalogue):
    case_id = _case_with_scores_and_actions(window, catalogue)

    def choose(dialog: AgendaDialog) -> None:
        qtbot.waitUntil(lambda: dialog.items.count() == 1)
        assert dialog.items.item(0).text().splitlines()[1].strip() == "Risk level urgent"
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)

    when_a_box_is_up(choose, AgendaDialog)
    window.menu.agenda.trigger()
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None)
    page = window.workspace.currentWidget()
    assert page.case_id == case_id and page.form_page is not None
    form = page.form_page
    assert form.spec.id == "complex_case_review" and form.response.status == "draft"
    assert form.response.answers["discussion"].startswith("On the agenda: Risk level urgent.")
    assert [row["action"] for row in form.response.answers["actions"]] == ["Arrange naloxone training"]


def test_agenda_pdf_saved_from_the_dialog(qtbot, window, catalogue, tmp_path, monkeypatch):
    _case_with_scores_and_actions(window, catalogue)
    out = tmp_path / "agenda.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF (*.pdf)"))
    dialog = AgendaDialog(window.store, catalogue, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.items.count() == 1)

    def go_on(box: QMessageBox) -> None:
        next(b for b in box.buttons() if b.text() == GO).click()

    when_a_box_is_up(go_on, QMessageBox)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Saved the agenda"), timeout=10_000)
    text = " ".join(PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text().split())
    assert "Risk level urgent" in text and "Arrange naloxone training" in text


def test_an_empty_agenda_says_so(qtbot, window, catalogue):
    dialog = AgendaDialog(window.store, catalogue, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.agenda is not None)
    assert dialog.status.text() == "No open case meets the agenda's rules today."
    assert not dialog.start_button.isEnabled() and dialog.save_button.isEnabled()


def test_scores_pdf_saved_from_the_case_page(qtbot, window, catalogue, tmp_path, monkeypatch):
    case_id = _case_with_scores_and_actions(window, catalogue)
    out = tmp_path / "scores.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF (*.pdf)"))
    page = window.open_case(case_id)
    overview = page.overview
    qtbot.waitUntil(overview.pdf_button.isVisible)

    def go_on(box: QMessageBox) -> None:
        next(b for b in box.buttons() if b.text() == GO).click()

    when_a_box_is_up(go_on, QMessageBox)
    qtbot.mouseClick(overview.pdf_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: overview.pdf_status.text().startswith("Saved"), timeout=10_000)
    assert overview.pdf_status.text() == f"Saved 1 chart to {out}"
    text = " ".join(PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text().split())
    assert overview.trajectories.charts[0].text_alternative() in text
