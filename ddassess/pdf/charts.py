"""The client's two charts (``ui/charts.py``) as reportlab ``Drawing``s for the PDFs: the same
``domain.charts`` objects, scale, colours, patterns, markers and band shading, so a chart
printed in a report reads as the one on the screen. A drawing is a flowable: put it in a
story as it is, or use ``chart_block`` for the drawing with its text alternative printed
under it (a reader of the paper copy who cannot tell the colours apart, or a screen reader
given the PDF's text, still has every value).
"""

from __future__ import annotations

from reportlab.graphics.shapes import Circle, Drawing, Line, Path, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Paragraph

from ddassess.domain import charts
from ddassess.domain.charts import BarChart, LineChart
from ddassess.pdf.fonts import register_fonts

INK = colors.HexColor(charts.INK)
GRID = colors.HexColor(charts.GRID)


def _colour(index: int) -> colors.Color:
    return colors.HexColor(charts.SERIES_COLOURS[index % len(charts.SERIES_COLOURS)])


def _tint(colour: colors.Color, amount: float = 0.75) -> colors.Color:
    return colors.Color(colour.red + (1 - colour.red) * amount, colour.green + (1 - colour.green) * amount,
                        colour.blue + (1 - colour.blue) * amount)


def _text_fit(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…" if text else ""


class _Frame:
    """The layout both charts share, in points with the origin at the bottom left."""

    def __init__(self, title: str, labels: tuple[str, ...], value_range: tuple[float, float],
                 width: float, height: float, size: float, right: float) -> None:
        self.regular, self.bold = register_fonts()
        self.size, self.line = size, size * 1.25
        self.low, self.high = value_range
        self.labels = labels
        tick_width = max(stringWidth(charts.number(t), self.regular, size) for t in charts.ticks(self.low, self.high))
        self.left = tick_width + size
        self.right = width - right
        self.bottom = self.line * 1.4
        self.top = height - self.line * 3.1  # the title and the legend above
        self.width, self.height = width, height
        self.title = title

    def y(self, value: float) -> float:
        return self.bottom + charts.fraction(value, self.low, self.high) * (self.top - self.bottom)

    def slot(self, index: int) -> tuple[float, float]:
        """Left edge and width of category / x label ``index``."""
        width = (self.right - self.left) / max(1, len(self.labels))
        return self.left + index * width, width

    def furniture(self, drawing: Drawing) -> None:
        drawing.add(String(0, self.height - self.size * 1.1, _text_fit(self.title, self.bold, self.size * 1.1,
                                                                        self.width),
                           fontName=self.bold, fontSize=self.size * 1.1, fillColor=INK))
        for value in charts.ticks(self.low, self.high):
            y = self.y(value)
            drawing.add(Line(self.left, y, self.right, y, strokeColor=GRID, strokeWidth=0.4))
            drawing.add(String(self.left - self.size * 0.4, y - self.size * 0.35, charts.number(value),
                               fontName=self.regular, fontSize=self.size, fillColor=INK, textAnchor="end"))
        drawing.add(Line(self.left, self.bottom, self.right, self.bottom, strokeColor=INK, strokeWidth=0.6))
        drawing.add(Line(self.left, self.bottom, self.left, self.top, strokeColor=INK, strokeWidth=0.6))
        for i, label in enumerate(self.labels):
            left, width = self.slot(i)
            drawing.add(String(left + width / 2, self.bottom - self.line, _text_fit(label, self.regular, self.size,
                                                                                     width - 2),
                               fontName=self.regular, fontSize=self.size, fillColor=INK, textAnchor="middle"))


def _line_right_margin(chart: LineChart, size: float) -> float:
    if not chart.bands:
        return size
    regular = register_fonts()[0]
    return max(stringWidth(b.label, regular, size) for b in chart.bands) + size * 1.2


def plot_area(chart: BarChart | LineChart, width: float, height: float, size: float = 8) -> tuple[float, float,
                                                                                                   float, float]:
    """Where the values are drawn in the drawing: left, bottom, right, top (points)."""
    if isinstance(chart, BarChart):
        frame = _Frame(chart.title, chart.categories, chart.value_range(), width, height, size, size)
    else:
        frame = _Frame(chart.title, chart.x_labels, chart.value_range(), width, height, size,
                       _line_right_margin(chart, size))
    return frame.left, frame.bottom, frame.right, frame.top


def _fill(drawing: Drawing, x: float, y: float, w: float, h: float, index: int) -> None:
    """Series ``index``'s fill: solid for the first, stripes over a tint for the others."""
    colour = _colour(index)
    if charts.SERIES_PATTERNS[index % len(charts.SERIES_PATTERNS)] == "solid":
        drawing.add(Rect(x, y, w, h, fillColor=colour, strokeColor=colour, strokeWidth=0.5))
        return
    drawing.add(Rect(x, y, w, h, fillColor=_tint(colour), strokeColor=None))
    # The stripes as one path of many short lines: a shape per stripe made a report of a dozen
    # charts draw a thousand shapes, each set up and validated on its own (half its time).
    stripes = Path(fillColor=None, strokeColor=colour, strokeWidth=0.7)
    step = 3.0
    c = -h
    while c < w:  # lines at 45°, clipped to the bar
        x0, y0 = (x + c, y) if c >= 0 else (x, y - c)
        x1, y1 = (x + c + h, y + h) if c + h <= w else (x + w, y + w - c)
        if x1 > x0:
            stripes.moveTo(x0, y0)
            stripes.lineTo(x1, y1)
        c += step
    if stripes.points:
        drawing.add(stripes)
    drawing.add(Rect(x, y, w, h, fillColor=None, strokeColor=colour, strokeWidth=0.5))


def _marker(drawing: Drawing, x: float, y: float, r: float, index: int) -> None:
    shape = charts.SERIES_MARKERS[index % len(charts.SERIES_MARKERS)]
    style = {"fillColor": _colour(index), "strokeColor": INK, "strokeWidth": 0.5}
    if shape == "circle":
        drawing.add(Circle(x, y, r, **style))
    elif shape == "square":
        drawing.add(Rect(x - r, y - r, 2 * r, 2 * r, **style))
    elif shape == "triangle":
        drawing.add(Polygon([x, y + r * 1.2, x + r * 1.1, y - r * 0.8, x - r * 1.1, y - r * 0.8], **style))
    else:
        drawing.add(Polygon([x, y + r * 1.3, x + r * 1.3, y, x, y - r * 1.3, x - r * 1.3, y], **style))


def _legend(drawing: Drawing, frame: _Frame, names: list[str], line_chart: bool) -> None:
    x = 0.0
    y = frame.height - frame.line * 2.1
    box = frame.size * 0.9
    for i, name in enumerate(names):
        if line_chart:
            drawing.add(Line(x, y + box / 2, x + box * 1.6, y + box / 2, strokeColor=_colour(i), strokeWidth=1.5))
            _marker(drawing, x + box * 0.8, y + box / 2, box * 0.3, i)
        else:
            _fill(drawing, x, y, box * 1.6, box, i)
        x += box * 1.6 + frame.size * 0.4
        drawing.add(String(x, y + box * 0.15, name, fontName=frame.regular, fontSize=frame.size, fillColor=INK))
        x += stringWidth(name, frame.regular, frame.size) + frame.size * 1.2


def bar_drawing(chart: BarChart, width: float, height: float, size: float = 8) -> Drawing:
    """``chart`` as bars ``width`` × ``height`` points, each value written above its bar."""
    drawing = Drawing(width, height)
    frame = _Frame(chart.title, chart.categories, chart.value_range(), width, height, size, size)
    if len(chart.series) > 1 or chart.series[0].name:
        _legend(drawing, frame, [s.name for s in chart.series], line_chart=False)
    if not chart.categories:
        drawing.add(String(width / 2, height / 2, "No data", fontName=frame.regular, fontSize=size,
                           fillColor=INK, textAnchor="middle"))
        drawing.add(String(0, height - size * 1.1, chart.title, fontName=frame.bold, fontSize=size * 1.1))
        return drawing
    frame.furniture(drawing)
    count = len(chart.series)
    for c in range(len(chart.categories)):
        left, slot = frame.slot(c)
        group = slot * 0.72
        bar = group / count
        for s, series in enumerate(chart.series):
            value = series.values[c]
            x = left + (slot - group) / 2 + s * bar + 0.5
            top = frame.y(value if value is not None else 0.0)
            if value is not None and top > frame.bottom:
                _fill(drawing, x, frame.bottom, bar - 1, top - frame.bottom, s)
            text = series.text(c) if value is not None or series.shown else "–"
            drawing.add(String(x + (bar - 1) / 2, top + size * 0.3, text, fontName=frame.regular,
                               fontSize=size * 0.9, fillColor=INK, textAnchor="middle"))
    return drawing


def line_drawing(chart: LineChart, width: float, height: float, size: float = 8) -> Drawing:
    """``chart`` as lines over its shaded bands, ``width`` × ``height`` points, each point
    marked and its value written beside it, the band names at the right."""
    regular = register_fonts()[0]
    right = _line_right_margin(chart, size)
    drawing = Drawing(width, height)
    frame = _Frame(chart.title, chart.x_labels, chart.value_range(), width, height, size, right)
    if len(chart.series) > 1:
        _legend(drawing, frame, [s.name for s in chart.series], line_chart=True)
    count = len(chart.bands)
    last_label = float("-inf")
    for i, band in enumerate(chart.bands):
        low, high = frame.y(max(band.low, frame.low)), frame.y(min(band.high, frame.high))
        colour = colors.HexColor(charts.band_colour(i, count))
        drawing.add(Rect(frame.left, low, frame.right - frame.left, high - low, fillColor=colour, strokeColor=None))
        middle = (low + high) / 2 - size * 0.35
        if middle - last_label >= size * 1.1:  # skip a name that would overlap the one below
            drawing.add(Rect(frame.right, low, size * 0.25, high - low, fillColor=colour, strokeColor=INK,
                             strokeWidth=0.2))
            drawing.add(String(frame.right + size * 0.5, middle, band.label, fontName=regular, fontSize=size,
                               fillColor=INK))
            last_label = middle
    if not chart.x_labels:
        drawing.add(String(width / 2, height / 2, "No values yet", fontName=regular, fontSize=size,
                           fillColor=INK, textAnchor="middle"))
    frame.furniture(drawing)
    for s, series in enumerate(chart.series):
        points: list[tuple[float, float] | None] = []
        for i, value in enumerate(series.values):
            left, slot = frame.slot(i)
            points.append(None if value is None else (left + slot / 2, frame.y(value)))
        run: list[float] = []
        for p in [*points, None]:  # a gap where there is no value
            if p is None:
                if len(run) >= 4:
                    drawing.add(PolyLine(run, strokeColor=_colour(s), strokeWidth=1.5))
                run = []
            else:
                run.extend(p)
        for i, p in enumerate(points):
            if p is None:
                continue
            _marker(drawing, p[0], p[1], size * 0.3, s)
            drawing.add(String(p[0], p[1] + size * 0.55, series.text(i), fontName=regular, fontSize=size * 0.9,
                               fillColor=INK, textAnchor="middle"))
    return drawing


def chart_block(chart: BarChart | LineChart, width: float, height: float, size: float = 8) -> Flowable:
    """The chart and, under it in small type, its text alternative, kept on one page."""
    regular = register_fonts()[0]
    drawing = bar_drawing(chart, width, height, size) if isinstance(chart, BarChart) else \
        line_drawing(chart, width, height, size)
    style = ParagraphStyle("chart-alt", fontName=regular, fontSize=size * 0.85, leading=size * 1.1,
                           textColor=colors.HexColor("#4B5563"), spaceBefore=2, spaceAfter=6)
    from xml.sax.saxutils import escape
    return KeepTogether([drawing, Paragraph(escape(chart.text_alternative()), style)])
