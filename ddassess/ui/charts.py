"""Chart widgets drawn with QPainter: ``BarChartWidget`` (categories × one or more series, e.g.
this period and the one before) and ``LineChartWidget`` (x labels, series, shaded bands).

What they draw is a ``domain.charts.BarChart`` / ``LineChart``; the same object gives the
text alternative, which is the widget's accessible description, so a screen reader reads
every value. Every size comes from the widget's font (which follows Settings → Text size),
so the charts stay readable at 200 %. Series differ by colour (Okabe–Ito) *and* pattern or
marker shape, and values are written on the chart. A chart takes the keyboard focus (Tab):
Left / Right / Home / End step through the categories or points and the chart writes the
one chosen in words above the plot. A chart whose values open something (``openable``, the
Team view's) also takes Up / Down to choose a series and Enter to open the chosen value, and a
double click opens the bar or point under the pointer (``activated``).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFocusEvent,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from ddassess.domain import charts
from ddassess.domain.charts import BarChart, LineChart

_PATTERN_BRUSH = {
    "stripes": Qt.BrushStyle.BDiagPattern,
    "dots": Qt.BrushStyle.Dense6Pattern,
    "cross": Qt.BrushStyle.DiagCrossPattern,
}
FOCUS_COLOUR = "#1D4ED8"


def series_colour(index: int) -> QColor:
    return QColor(charts.SERIES_COLOURS[index % len(charts.SERIES_COLOURS)])


def tint(colour: QColor, amount: float = 0.75) -> QColor:
    """``colour`` mixed with white (the ground under a pattern)."""
    return QColor(round(colour.red() + (255 - colour.red()) * amount),
                  round(colour.green() + (255 - colour.green()) * amount),
                  round(colour.blue() + (255 - colour.blue()) * amount))


def fill_pattern(painter: QPainter, rect: QRectF, index: int) -> None:
    """Series ``index``'s fill: solid colour for the first, a pattern over a tint for the rest."""
    colour = series_colour(index)
    pattern = charts.SERIES_PATTERNS[index % len(charts.SERIES_PATTERNS)]
    if pattern == "solid":
        painter.fillRect(rect, colour)
    else:
        painter.fillRect(rect, tint(colour))
        brush = QBrush(colour, _PATTERN_BRUSH[pattern])
        painter.fillRect(rect, brush)
    painter.setPen(QPen(colour.darker(130), 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(rect)


def draw_marker(painter: QPainter, centre: QPointF, radius: float, index: int) -> None:
    shape = charts.SERIES_MARKERS[index % len(charts.SERIES_MARKERS)]
    colour = series_colour(index)
    painter.setPen(QPen(QColor(charts.INK), 1))
    painter.setBrush(colour)
    x, y, r = centre.x(), centre.y(), radius
    if shape == "circle":
        painter.drawEllipse(centre, r, r)
    elif shape == "square":
        painter.drawRect(QRectF(x - r, y - r, 2 * r, 2 * r))
    elif shape == "triangle":
        painter.drawPolygon(QPolygonF([QPointF(x, y - r * 1.2), QPointF(x + r * 1.1, y + r * 0.8),
                                       QPointF(x - r * 1.1, y + r * 0.8)]))
    else:
        painter.drawPolygon(QPolygonF([QPointF(x, y - r * 1.3), QPointF(x + r * 1.3, y),
                                       QPointF(x, y + r * 1.3), QPointF(x - r * 1.3, y)]))


class _ChartWidget(QWidget):
    """What both charts share: title, legend, value axis, focus, keyboard, text alternative."""

    chart: BarChart | LineChart
    activated = Signal(int, int)  # series, category / point: Enter on the chosen one, or a double click

    def __init__(self, chart: BarChart | LineChart, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAutoFillBackground(False)
        self.current: int | None = None
        self.current_series = 0
        self.openable = False  # its values open something (Enter, double click)
        self.chart = chart
        self._describe()

    def set_chart(self, chart: BarChart | LineChart) -> None:
        self.chart = chart
        self.current = None
        self.current_series = 0
        self._describe()
        self.updateGeometry()
        self.update()

    def _title(self) -> str:
        return self.chart.title

    def _series(self) -> tuple[charts.Series, ...]:
        return self.chart.series

    def _range(self) -> tuple[float, float]:
        return self.chart.value_range()

    def text_alternative(self) -> str:
        return self.chart.text_alternative()

    # -- what subclasses give -------------------------------------------------------------
    def _labels(self) -> tuple[str, ...]:
        raise NotImplementedError

    def _draw_plot(self, painter: QPainter, plot: QRectF) -> None:
        raise NotImplementedError

    def _right_margin(self, metrics: QFontMetricsF) -> float:
        return metrics.height() * 0.5

    # -- geometry ---------------------------------------------------------------------------
    def _metrics(self) -> QFontMetricsF:
        return QFontMetricsF(self.font())

    def _title_font(self) -> QFont:
        font = QFont(self.font())
        font.setWeight(QFont.Weight.DemiBold)
        return font

    def _legend_shown(self) -> bool:
        series = self._series()
        return len(series) > 1 or bool(series and series[0].name and isinstance(self, BarChartWidget))

    def plot_rect(self) -> QRectF:
        """Where values are drawn: the value axis runs from its bottom (low) to its top (high)."""
        m = self._metrics()
        line = m.height()
        pad = line * 0.5
        top = pad + QFontMetricsF(self._title_font()).height() + pad * 0.5
        top += line + pad * 0.5  # the legend row, or the keyboard readout
        top += line * 0.5  # room for the top value's label, centred on its line
        low, high = self._range()
        left = pad + max(m.horizontalAdvance(charts.number(t)) for t in charts.ticks(low, high)) + pad
        bottom = self.height() - pad - line - pad * 0.5
        right = self.width() - self._right_margin(m)
        return QRectF(left, top, max(1.0, right - left), max(1.0, bottom - top))

    def y_for(self, value: float) -> float:
        plot = self.plot_rect()
        low, high = self._range()
        return plot.bottom() - charts.fraction(value, low, high) * plot.height()

    def slot(self, index: int) -> QRectF:
        """The horizontal slot of category / x label ``index``."""
        plot = self.plot_rect()
        count = max(1, len(self._labels()))
        width = plot.width() / count
        return QRectF(plot.left() + index * width, plot.top(), width, plot.height())

    def sizeHint(self) -> QSize:  # noqa: N802
        m = self._metrics()
        count = max(3, len(self._labels()))
        width = max(m.horizontalAdvance("0") * 40, count * m.horizontalAdvance("00000000"))
        return QSize(math.ceil(width), math.ceil(m.height() * 14))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        m = self._metrics()
        return QSize(math.ceil(m.horizontalAdvance("0") * 28), math.ceil(m.height() * 10))

    # -- accessibility and keys -------------------------------------------------------------
    def _describe(self) -> None:
        self.setAccessibleName(self._title())
        self.setAccessibleDescription(self.text_alternative())
        self.setToolTip(self.text_alternative())

    def readout(self) -> str:
        """The category or point chosen with the arrow keys, in words ("" when none)."""
        if self.current is None or not self._labels():
            return ""
        i = self.current
        values = "; ".join((f"{s.name} " if s.name else "") + s.text(i) for s in self._series())
        text = f"{self._labels()[i]}: {values}"
        if self.openable:
            series = self._series()[self.current_series]
            text += f" (Enter lists the cases{' of ' + series.name if len(self._series()) > 1 else ''})"
        return text

    def hit(self, x: float, y: float) -> tuple[int, int] | None:
        """(series, category) under the point ``x``, ``y`` (None: outside the plot's slots)."""
        count = len(self._labels())
        plot = self.plot_rect()
        if not count or not plot.left() <= x < plot.right():
            return None
        index = min(count - 1, int((x - plot.left()) / (plot.width() / count)))
        return self._series_at(index, x, y), index

    def _series_at(self, index: int, x: float, y: float) -> int:
        return 0

    def _mark_chosen(self, painter: QPainter) -> None:
        """Outline the chosen series' value in the chosen slot (what Enter opens)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        count = len(self._labels())
        key = Qt.Key(event.key())
        moves = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}
        if count and key in moves:
            if self.current is None:
                self.current = 0 if moves[key] > 0 else count - 1
            else:
                self.current = max(0, min(count - 1, self.current + moves[key]))
        elif count and key == Qt.Key.Key_Home:
            self.current = 0
        elif count and key == Qt.Key.Key_End:
            self.current = count - 1
        elif self.openable and count and key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and len(self._series()) > 1:
            step = 1 if key == Qt.Key.Key_Down else -1
            self.current_series = (self.current_series + step) % len(self._series())
            if self.current is None:
                self.current = 0
        elif self.openable and count and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.current is None:
                self.current = 0
            self.update()
            self._announce()
            event.accept()
            self.activated.emit(self.current_series, self.current)
            return
        else:
            super().keyPressEvent(event)
            return
        self.update()
        self._announce()
        event.accept()

    def _announce(self) -> None:
        """The chosen value is also the accessible name's tail, so a screen reader says it."""
        readout = self.readout()
        self.setAccessibleName(f"{self._title()}: {readout}" if readout else self._title())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        found = self.hit(event.position().x(), event.position().y())
        if found is None:
            super().mousePressEvent(event)
            return
        self.current_series, self.current = found
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.update()
        self._announce()
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        found = self.hit(event.position().x(), event.position().y())
        if not self.openable or found is None:
            super().mouseDoubleClickEvent(event)
            return
        self.current_series, self.current = found
        event.accept()
        self.activated.emit(*found)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.update()

    # -- painting ----------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        m = self._metrics()
        pad = m.height() * 0.5
        ink = QColor(charts.INK)
        painter.setFont(self._title_font())
        title_h = QFontMetricsF(self._title_font()).height()
        painter.setPen(ink)
        painter.drawText(QRectF(pad, pad, self.width() - 2 * pad, title_h),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         QFontMetricsF(self._title_font()).elidedText(
                             self._title(), Qt.TextElideMode.ElideRight, self.width() - 2 * pad))
        painter.setFont(self.font())
        row = QRectF(pad, pad + title_h + pad * 0.5, self.width() - 2 * pad, m.height())
        if self.current is not None and self.hasFocus():
            painter.setPen(ink)
            painter.drawText(row, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             m.elidedText(self.readout(), Qt.TextElideMode.ElideRight, row.width()))
        elif self._legend_shown():
            self._draw_legend(painter, row, m)
        plot = self.plot_rect()
        if not self._labels():
            painter.setPen(ink)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No data")
        else:
            self._draw_axis(painter, plot, m)
            self._draw_plot(painter, plot)
            self._draw_x_labels(painter, plot, m)
            if self.current is not None and self.hasFocus():
                painter.setPen(QPen(QColor(FOCUS_COLOUR), 2, Qt.PenStyle.DashLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(self.slot(self.current).adjusted(1, 1, -1, -1))
                if self.openable and len(self._series()) > 1:
                    self._mark_chosen(painter)
        if self.hasFocus():
            painter.setPen(QPen(QColor(FOCUS_COLOUR), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        painter.end()

    def _draw_legend(self, painter: QPainter, row: QRectF, m: QFontMetricsF) -> None:
        x = row.left()
        box = m.height() * 0.8
        for i, s in enumerate(self._series()):
            swatch = QRectF(x, row.center().y() - box / 2, box * 1.4, box)
            self._legend_swatch(painter, swatch, i)
            x = swatch.right() + m.height() * 0.3
            painter.setPen(QColor(charts.INK))
            painter.drawText(QPointF(x, row.center().y() + m.ascent() / 2 - m.descent() / 2), s.name)
            x += m.horizontalAdvance(s.name) + m.height()

    def _legend_swatch(self, painter: QPainter, swatch: QRectF, index: int) -> None:
        fill_pattern(painter, swatch, index)

    def _draw_axis(self, painter: QPainter, plot: QRectF, m: QFontMetricsF) -> None:
        low, high = self._range()
        for value in charts.ticks(low, high):
            y = self.y_for(value)
            painter.setPen(QPen(QColor(charts.GRID), 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(QColor(charts.INK))
            text = charts.number(value)
            painter.drawText(QRectF(0, y - m.height() / 2, plot.left() - m.height() * 0.3, m.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        painter.setPen(QPen(QColor(charts.INK), 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.drawLine(plot.bottomLeft(), plot.topLeft())

    def _draw_x_labels(self, painter: QPainter, plot: QRectF, m: QFontMetricsF) -> None:
        painter.setPen(QColor(charts.INK))
        for i, label in enumerate(self._labels()):
            slot = self.slot(i)
            rect = QRectF(slot.left(), plot.bottom() + m.height() * 0.25, slot.width(), m.height())
            painter.drawText(rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                             m.elidedText(label, Qt.TextElideMode.ElideRight, slot.width() - 2))


class BarChartWidget(_ChartWidget):
    """Bars for each category, one per series side by side, the value written above each."""

    chart: BarChart

    def __init__(self, chart: BarChart, parent: QWidget | None = None) -> None:
        super().__init__(chart, parent)

    def _labels(self) -> tuple[str, ...]:
        return self.chart.categories

    def bar_rect(self, series: int, category: int) -> QRectF:
        """The bar of ``series`` in ``category`` (zero height when it has no value)."""
        slot = self.slot(category)
        count = len(self.chart.series)
        group = slot.width() * 0.72
        width = group / count
        left = slot.left() + (slot.width() - group) / 2 + series * width
        value = self.chart.series[series].values[category]
        top = self.y_for(value if value is not None else 0.0)
        return QRectF(left + 1, top, max(1.0, width - 2), self.plot_rect().bottom() - top)

    def _mark_chosen(self, painter: QPainter) -> None:
        if self.current is None:
            return
        bar = self.bar_rect(self.current_series, self.current)
        line = self._metrics().height()
        outline = QRectF(bar.left() - 2, min(bar.top(), bar.bottom() - line * 0.3) - line - 2, bar.width() + 4,
                         max(bar.height(), line * 0.3) + line + 4)
        painter.setPen(QPen(QColor(FOCUS_COLOUR), 3))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(outline)

    def _series_at(self, index: int, x: float, y: float) -> int:
        for s in range(len(self.chart.series)):
            bar = self.bar_rect(s, index)
            if x < bar.right() + 1:
                return s
        return len(self.chart.series) - 1

    def _draw_plot(self, painter: QPainter, plot: QRectF) -> None:
        m = self._metrics()
        for c in range(len(self.chart.categories)):
            for s, series in enumerate(self.chart.series):
                bar = self.bar_rect(s, c)
                if series.values[c] is not None and bar.height() > 0:
                    fill_pattern(painter, bar, s)
                painter.setPen(QColor(charts.INK))
                text = series.text(c) if series.values[c] is not None or series.shown else "–"
                label = QRectF(bar.left() - m.height(), bar.top() - m.height(), bar.width() + 2 * m.height(),
                               m.height())
                painter.drawText(label, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, text)


class LineChartWidget(_ChartWidget):
    """A line per series through its points (a marker and the value at each), over the bands
    shaded light to dark with their names at the right."""

    chart: LineChart

    def __init__(self, chart: LineChart, parent: QWidget | None = None) -> None:
        super().__init__(chart, parent)

    def _labels(self) -> tuple[str, ...]:
        return self.chart.x_labels

    def _right_margin(self, metrics: QFontMetricsF) -> float:
        if not self.chart.bands:
            return metrics.height() * 0.5
        return max(metrics.horizontalAdvance(b.label) for b in self.chart.bands) + metrics.height()

    def point(self, series: int, index: int) -> QPointF | None:
        """Where the point of ``series`` at x label ``index`` is drawn (None: no value)."""
        value = self.chart.series[series].values[index]
        if value is None:
            return None
        return QPointF(self.slot(index).center().x(), self.y_for(value))

    def _series_at(self, index: int, x: float, y: float) -> int:
        distances = [(abs(p.y() - y), s) for s in range(len(self.chart.series))
                     if (p := self.point(s, index)) is not None]
        return min(distances)[1] if distances else 0

    def _mark_chosen(self, painter: QPainter) -> None:
        p = self.point(self.current_series, self.current) if self.current is not None else None
        if p is None:
            return
        radius = max(4.0, self._metrics().height() * 0.28) * 2
        painter.setPen(QPen(QColor(FOCUS_COLOUR), 3))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(p, radius, radius)

    def band_rect(self, index: int) -> QRectF:
        band = self.chart.bands[index]
        plot = self.plot_rect()
        low, high = self._range()
        top = self.y_for(min(band.high, high))
        bottom = self.y_for(max(band.low, low))
        return QRectF(plot.left(), top, plot.width(), bottom - top)

    def _legend_swatch(self, painter: QPainter, swatch: QRectF, index: int) -> None:
        painter.setPen(QPen(series_colour(index), 2))
        painter.drawLine(QPointF(swatch.left(), swatch.center().y()), QPointF(swatch.right(), swatch.center().y()))
        draw_marker(painter, swatch.center(), swatch.height() * 0.3, index)

    def _draw_bands(self, painter: QPainter, plot: QRectF) -> None:
        m = self._metrics()
        count = len(self.chart.bands)
        last_label_top = float("inf")
        for i in range(count):
            rect = self.band_rect(i)
            painter.fillRect(rect, QColor(charts.band_colour(i, count)))
        # Names from the bottom band up, each centred on its band, skipped where it would
        # overlap the one below (the text alternative still names every band).
        for i in range(count):
            rect = self.band_rect(i)
            centre = rect.center().y()
            label_rect = QRectF(plot.right() + m.height() * 0.3, centre - m.height() / 2,
                                self.width() - plot.right(), m.height())
            if label_rect.bottom() > last_label_top + 0.5:
                continue
            painter.fillRect(QRectF(plot.right() + 1, rect.top(), m.height() * 0.2, rect.height()),
                             QColor(charts.band_colour(i, count)).darker(115))
            painter.setPen(QColor(charts.INK))
            painter.drawText(label_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             self.chart.bands[i].label)
            last_label_top = label_rect.top()

    def _draw_axis(self, painter: QPainter, plot: QRectF, m: QFontMetricsF) -> None:
        self._draw_bands(painter, plot)
        super()._draw_axis(painter, plot, m)

    def _draw_plot(self, painter: QPainter, plot: QRectF) -> None:
        m = self._metrics()
        radius = max(4.0, m.height() * 0.28)
        for s in range(len(self.chart.series)):
            points = [self.point(s, i) for i in range(len(self.chart.x_labels))]
            painter.setPen(QPen(series_colour(s), max(2.0, m.height() * 0.12)))
            previous: QPointF | None = None
            for p in points:  # a gap where there is no value
                if p is not None and previous is not None:
                    painter.drawLine(previous, p)
                previous = p
        for s, series in enumerate(self.chart.series):
            for i in range(len(self.chart.x_labels)):
                p = self.point(s, i)
                if p is None:
                    continue
                draw_marker(painter, p, radius, s)
                painter.setPen(QColor(charts.INK))
                above = p.y() - radius - m.height() >= plot.top() - m.height() * 0.5
                label = QRectF(p.x() - m.height() * 2, p.y() - radius - m.height() if above else p.y() + radius,
                               m.height() * 4, m.height())
                painter.drawText(label, Qt.AlignmentFlag.AlignCenter, series.text(i))
