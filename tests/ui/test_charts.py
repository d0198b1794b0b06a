"""The chart widgets, drawn offscreen: the pixels are where the data says (bars, points,
bands sampled at positions worked out here from the plot area and the values), the text
alternative names every value and is the accessible description, the keyboard reaches the
chart and steps through it, and the charts still fit their text at 200 %.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from ddassess.domain import charts
from ddassess.domain.charts import Band, BarChart, LineChart, Series
from ddassess.ui.charts import BarChartWidget, LineChartWidget, tint
from ddassess.ui.widgets import apply_text_size

PHQ9_BANDS = (Band(0, 5, "minimal"), Band(5, 10, "mild"), Band(10, 15, "moderate"),
              Band(15, 20, "moderately severe"), Band(20, 27, "severe"))  # Kroenke et al. 2001


def _image(widget: QWidget) -> QImage:
    return widget.grab().toImage()


def _colour_at(image: QImage, x: float, y: float) -> QColor:
    ratio = image.devicePixelRatio()
    return image.pixelColor(QPoint(round(x * ratio), round(y * ratio)))


def _close(a: QColor, b: QColor, tolerance: int = 12) -> bool:
    return all(abs(p - q) <= tolerance for p, q in ((a.red(), b.red()), (a.green(), b.green()),
                                                     (a.blue(), b.blue())))


def _shown(qtbot, widget: QWidget, width: int = 640, height: int = 320) -> QWidget:
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.addWidget(widget)
    qtbot.addWidget(holder)
    holder.resize(width, height)
    holder.show()
    qtbot.waitExposed(holder)
    return holder


def test_bars_stand_as_high_as_their_values(qtbot):
    chart = BarChart("Referrals by source", ("Self", "GP", "Psychiatry"),
                     (Series("This quarter", (12.0, 6.0, 3.0)), Series("Last quarter", (8.0, 10.0, None))),
                     unit="referrals")
    widget = BarChartWidget(chart)
    holder = _shown(qtbot, widget)  # noqa: F841 (the holder keeps the chart alive)
    image = _image(widget)
    plot = widget.plot_rect()
    low, high = chart.value_range()
    assert (low, high) == (0.0, 20.0)  # the axis ends on the round number above 12
    blue, orange = QColor(charts.SERIES_COLOURS[0]), QColor(charts.SERIES_COLOURS[1])
    slot_width = plot.width() / 3
    for c, (this, last) in enumerate(((12, 8), (6, 10), (3, None))):
        # Worked here, not asked of the widget: bar s of 2 in slot c, 72 % of the slot wide.
        group_left = plot.left() + c * slot_width + slot_width * 0.14
        for s, value in enumerate((this, last)):
            x = group_left + (s + 0.5) * slot_width * 0.36
            if value is None:
                just_above_axis = _colour_at(image, x, plot.bottom() - 3)
                assert _close(just_above_axis, QColor("white")), "no bar where there is no value"
                continue
            top = plot.bottom() - value / high * plot.height()
            inside = _colour_at(image, x, (top + plot.bottom()) / 2)
            above = _colour_at(image, x, top - 4 - widget.fontMetrics().height())
            if s == 0:
                assert _close(inside, blue), (c, s, inside.name())
            else:  # the second series is striped: orange lines over an orange tint
                assert _close(inside, orange) or _close(inside, tint(orange), 20), (c, s, inside.name())
            assert not _close(above, blue) and not _close(above, orange), f"bar {c},{s} taller than {value}"
    alternative = widget.text_alternative()
    assert alternative == ("Bar chart: Referrals by source (referrals). Self: This quarter 12; Last quarter 8. "
                           "GP: This quarter 6; Last quarter 10. Psychiatry: This quarter 3; Last quarter no value.")
    assert widget.accessibleDescription() == alternative
    assert widget.accessibleName() == "Referrals by source"


def test_suppressed_counts_are_written_as_given(qtbot):
    chart = BarChart("Exits", ("Planned", "Unplanned"), (Series("Q3", (None, 7.0), shown=("<5", "")),))
    widget = BarChartWidget(chart)
    holder = _shown(qtbot, widget)  # noqa: F841 (the holder keeps the chart alive)
    assert widget.text_alternative() == "Bar chart: Exits. Planned: Q3 <5. Unplanned: Q3 7."


def test_points_and_bands_are_where_the_scores_are(qtbot):
    chart = LineChart("PHQ-9", ("03 Jan 2026", "14 Feb 2026", "30 Mar 2026"),
                      (Series("", (21.0, 14.0, 6.0)),), bands=PHQ9_BANDS, y_min=0, y_max=27)
    widget = LineChartWidget(chart)
    holder = _shown(qtbot, widget, 700, 360)  # noqa: F841
    image = _image(widget)
    plot = widget.plot_rect()
    blue = QColor(charts.SERIES_COLOURS[0])
    for i, score in enumerate((21, 14, 6)):
        x = plot.left() + (i + 0.5) * plot.width() / 3
        y = plot.bottom() - score / 27 * plot.height()
        assert _close(_colour_at(image, x, y), blue), (i, _colour_at(image, x, y).name())
    # Each band's tint shows at the plot's left edge half-way up the band, away from the line,
    # lighter for the milder bands.
    for i, band in enumerate(PHQ9_BANDS):
        y = plot.bottom() - (band.low + band.high) / 2 / 27 * plot.height()
        seen = _colour_at(image, plot.left() + 3, y)
        assert _close(seen, QColor(charts.band_colour(i, 5)), 6), (band.label, seen.name())
    lightness = [QColor(charts.band_colour(i, 5)).lightness() for i in range(5)]
    assert lightness == sorted(lightness, reverse=True)
    assert widget.text_alternative() == (
        "Line chart: PHQ-9. Bands: minimal 0–5, mild 5–10, moderate 10–15, moderately severe 15–20, "
        "severe 20–27. 03 Jan 2026 21 (severe); 14 Feb 2026 14 (moderate); 30 Mar 2026 6 (mild).")


def test_a_gap_where_there_is_no_score(qtbot):
    chart = LineChart("GAD-7", ("Jan", "Feb", "Mar"), (Series("", (10.0, None, 10.0)),), y_min=0, y_max=21)
    widget = LineChartWidget(chart)
    holder = _shown(qtbot, widget)  # noqa: F841 (the holder keeps the chart alive)
    image = _image(widget)
    plot = widget.plot_rect()
    y = plot.bottom() - 10 / 21 * plot.height()
    # Half-way between the first and second points: no line is drawn to a missing value.
    x = plot.left() + 1.0 * plot.width() / 3
    assert not _close(_colour_at(image, x, y), QColor(charts.SERIES_COLOURS[0]), 40)
    assert widget.point(0, 1) is None
    assert "Feb no value" in widget.text_alternative()


def test_keyboard_reaches_the_chart_and_steps_through_it(qtbot):
    chart = LineChart("AUDIT", ("Jan", "Feb", "Mar"), (Series("", (22.0, 17.0, 9.0)),),
                      bands=(Band(0, 8, "lower risk"), Band(8, 16, "increasing risk"),
                             Band(16, 20, "higher risk"), Band(20, 40, "possible dependence")))
    before = QLineEdit()
    widget = LineChartWidget(chart)
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.addWidget(before)
    layout.addWidget(widget)
    qtbot.addWidget(holder)
    holder.resize(640, 360)
    holder.show()
    holder.activateWindow()
    qtbot.waitExposed(holder)
    before.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(before.hasFocus)
    qtbot.keyClick(before, Qt.Key.Key_Tab)
    qtbot.waitUntil(widget.hasFocus)
    qtbot.keyClick(widget, Qt.Key.Key_Right)
    assert widget.readout() == "Jan: 22"
    qtbot.keyClick(widget, Qt.Key.Key_End)
    assert widget.readout() == "Mar: 9"
    qtbot.keyClick(widget, Qt.Key.Key_Right)
    assert widget.readout() == "Mar: 9"  # stays on the last
    qtbot.keyClick(widget, Qt.Key.Key_Left)
    assert widget.readout() == "Feb: 17"
    qtbot.keyClick(widget, Qt.Key.Key_Home)
    assert widget.readout() == "Jan: 22"
    # The focus frame is drawn in the focus colour along the widget's edge.
    image = _image(widget)
    assert _close(_colour_at(image, 1, widget.height() / 2), QColor("#1D4ED8"), 40)


def test_empty_chart_says_so(qtbot):
    widget = BarChartWidget(BarChart("Nothing yet", (), (Series("Q3", ()),)))
    holder = _shown(qtbot, widget)  # noqa: F841 (the holder keeps the chart alive)
    widget.grab()
    assert widget.text_alternative() == "Bar chart: Nothing yet. No data."
    line = LineChartWidget(LineChart("PHQ-9", (), (Series("", ()),), bands=PHQ9_BANDS))
    assert "No values yet." in line.text_alternative()


@pytest.mark.parametrize("bad", [
    lambda: BarChart("x", ("a", "b"), (Series("s", (1.0,)),)),
    lambda: BarChart("x", ("a",), ()),
    lambda: BarChart("x", ("a",), (Series("s", (float("nan"),)),)),
    lambda: LineChart("x", ("a",), (Series("s", (1.0,)),), bands=(Band(5, 5, "empty"),)),
])
def test_a_chart_that_cannot_be_drawn_is_refused(bad):
    with pytest.raises(ValueError):
        bad()


@pytest.mark.parametrize("percent", [100, 150, 200])
def test_text_size_grows_the_chart(qtbot, percent):
    base = QApplication.font().pointSizeF()
    try:
        apply_text_size(round(base * percent / 100))
        chart = LineChart("PHQ-9", ("03 Jan", "14 Feb"), (Series("", (21.0, 14.0)),), bands=PHQ9_BANDS)
        widget = LineChartWidget(chart)
        holder = _shown(qtbot, widget, 200, 100)
        holder.adjustSize()
        metrics = widget.fontMetrics()
        assert widget.minimumSizeHint().height() >= metrics.height() * 10
        # Every band's name has room at the right of the plot.
        widest = max(metrics.horizontalAdvance(b.label) for b in PHQ9_BANDS)
        assert widget.width() - widget.plot_rect().right() >= widest
    finally:
        apply_text_size(0)
