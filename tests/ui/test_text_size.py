"""The text size chosen in Settings applies at once, to everything, and back again.

At 125%, 150% and 200% of the system's size, set through the real Settings dialog with the
window open: the case name, form title, pathway steps, risk banner and score chips grow
with the rest, no label, button or column cuts its text off, the search box shows its
hint, and "System default" brings the first size back without a restart.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget
from ui_helpers import case_with_forms, when_a_box_is_up

from ddassess.ui.caselist import COLUMNS
from ddassess.ui.settings_dialog import SettingsDialog
from ddassess.ui.widgets import apply_text_size

SEARCH_HINT_START = "Search by name, NHS number"  # at least this much of the search box's hint shows


@pytest.fixture
def system_size():
    """The size the application started with; restored afterwards for the other tests."""
    apply_text_size(0)
    yield QApplication.font().pointSizeF()
    apply_text_size(0)


def _choose_text_size(qtbot, window, points: int) -> None:
    """File > Settings…, Text size, Save: as a practitioner does it."""
    def answer(dialog: SettingsDialog) -> None:
        dialog.font_size.setValue(points)
        dialog.save()

    when_a_box_is_up(answer, SettingsDialog)
    window.menu.settings.trigger()
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None)


def _settle(qtbot, window) -> None:
    """Until the layouts have taken the new size (a few passes, the window's last)."""
    last = None
    for _ in range(100):
        qtbot.wait(30)
        now = [(w.geometry().getRect()) for w in window.findChildren(QWidget) if w.isVisible()]
        if now == last:
            return
        last = now


def _clipped(root: QWidget, where: str) -> list[str]:
    """Labels and buttons shown smaller than their text needs."""
    out = []
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible() or w.width() <= 0:
            continue
        if isinstance(w, QLabel) and w.text() and w.pixmap().isNull():
            if w.wordWrap():
                need_w, need_h = 0, w.heightForWidth(w.width())
            else:
                need_w, need_h = w.sizeHint().width(), w.sizeHint().height()
                if w.textFormat() != w.textFormat().RichText and "<" not in w.text():
                    need_w = max(need_w, w.fontMetrics().horizontalAdvance(w.text().split("\n")[0]))
            if need_w > w.width() + 1 or need_h > w.height() + 1:
                out.append(f"{where}: label {w.text()[:50]!r} needs {need_w}x{need_h}, has {w.width()}x{w.height()}")
        elif isinstance(w, QAbstractButton) and w.text():
            hint = w.sizeHint()
            if hint.width() > w.width() + 1 or hint.height() > w.height() + 1:
                out.append(f"{where}: button {w.text()[:50]!r} needs {hint.width()}x{hint.height()}, "
                           f"has {w.width()}x{w.height()}")
    return out


def _sizes(page) -> dict[str, float]:
    header = page.header
    return {
        "case name": header.title.font().pointSizeF(),
        "form title": page.form_page.title.font().pointSizeF(),
        "pathway step": next(iter(header.timeline.step_labels.values())).font().pointSizeF(),
        "risk banner": header.risk.flag_labels[0].font().pointSizeF(),
        "score chip": header.scores.score_labels[0].font().pointSizeF(),
        "form question": page.form_page.view.editors["q1"].buttons[0][1].font().pointSizeF(),
    }


@pytest.mark.parametrize("factor", [1.25, 1.5, 2])
def test_a_larger_text_size_applies_at_once_and_nothing_is_cut_off(qtbot, window, catalogue, system_size, factor):
    page = window.open_case(case_with_forms(window, catalogue))
    page.new_form.setCurrentIndex(page.new_form.findData("phq9"))
    page.start_form()
    before = _sizes(page)
    points = round(system_size * factor)
    _choose_text_size(qtbot, window, points)
    assert QApplication.font().pointSizeF() == points
    _settle(qtbot, window)
    after = _sizes(page)
    for part in before:
        assert after[part] == pytest.approx(before[part] * points / system_size), part  # everything grew alike
    assert after["case name"] == pytest.approx(1.5 * points) and after["form title"] == pytest.approx(1.5 * points)
    problems = _clipped(page.header, "case header") + _clipped(page.form_page, "form")
    window.workspace.setCurrentWidget(window.case_list)
    _settle(qtbot, window)
    case_list = window.case_list
    problems += _clipped(case_list, "case list")
    search = case_list.search
    if search.width() < search.fontMetrics().horizontalAdvance(SEARCH_HINT_START):
        problems.append(f"search box {search.width()} wide, its hint needs more")
    header = case_list.table.horizontalHeader()
    for column, (_key, title) in enumerate(COLUMNS):
        if header.sectionSize(column) < header.fontMetrics().horizontalAdvance(title):
            problems.append(f"column {title!r} is {header.sectionSize(column)} wide, cut off")
    dialog = SettingsDialog(window.store, window)
    qtbot.addWidget(dialog)
    dialog.show()
    _settle(qtbot, dialog)
    problems += _clipped(dialog, "settings")
    dialog.reject()
    assert problems == []
    # "System default": the first size again, without a restart.
    window.workspace.setCurrentWidget(page)
    _choose_text_size(qtbot, window, 0)
    assert QApplication.font().pointSizeF() == system_size
    assert _sizes(page) == before
