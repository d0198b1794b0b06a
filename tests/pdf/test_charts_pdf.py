"""The PDF charts: drawn into a real PDF, read back as text (every value and name is there,
and the text alternative under the chart) and as pixels (pdfium): bars, points and bands
are where the values say, worked out here from the plot area and the values."""

from __future__ import annotations

import io

from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import SimpleDocTemplate

from ddassess.domain import charts
from ddassess.domain.charts import Band, BarChart, LineChart, Series
from ddassess.pdf.charts import bar_drawing, chart_block, line_drawing, plot_area
from ddassess.pdf.raster import rasterise

DPI = 144
# PHQ-9 bands (Kroenke, Spitzer & Williams 2001), shaded from half a point below each band.
PHQ9 = (Band(-0.5, 4.5, "Minimal", "0–4"), Band(4.5, 9.5, "Mild", "5–9"), Band(9.5, 14.5, "Moderate", "10–14"),
        Band(14.5, 19.5, "Moderately severe", "15–19"), Band(19.5, 27.5, "Severe", "20–27"))
X0, Y0, W, H = 50.0, 400.0, 400.0, 220.0  # where the drawing goes on the page


def _page(drawing) -> tuple[bytes, object]:
    out = io.BytesIO()
    canvas = rl_canvas.Canvas(out, pagesize=A4)
    drawing.drawOn(canvas, X0, Y0)
    canvas.showPage()
    canvas.save()
    pdf = out.getvalue()
    return pdf, next(rasterise(pdf, DPI))


def _pixel(image, x_pt: float, y_pt: float) -> tuple[int, int, int]:
    """The colour at (x, y) points from the page's bottom left."""
    scale = DPI / 72
    px, py = round(x_pt * scale), round((image.height_pt - y_pt) * scale)
    at = py * image.stride + px * 4
    r, g, b = image.rgba[at], image.rgba[at + 1], image.rgba[at + 2]
    return r, g, b


def _near(seen: tuple[int, int, int], hex_colour: str, tolerance: int = 14) -> bool:
    want = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return all(abs(a - b) <= tolerance for a, b in zip(seen, want, strict=True))


def test_line_chart_points_and_bands_in_the_pdf():
    chart = LineChart("PHQ-9 total", ("03 Jan 2026", "14 Feb 2026", "30 Mar 2026"),
                      (Series("", (21.0, 14.0, 6.0)),), bands=PHQ9, y_min=-0.5, y_max=27.5)
    pdf, image = _page(line_drawing(chart, W, H))
    left, bottom, right, top = plot_area(chart, W, H)
    low, high = -0.5, 27.5
    for i, score in enumerate((21, 14, 6)):
        x = X0 + left + (i + 0.5) * (right - left) / 3
        y = Y0 + bottom + (score - low) / (high - low) * (top - bottom)
        assert _near(_pixel(image, x, y), charts.SERIES_COLOURS[0]), (score, _pixel(image, x, y))
    for i, band in enumerate(PHQ9):
        y = Y0 + bottom + ((band.low + band.high) / 2 - low) / (high - low) * (top - bottom)
        assert _near(_pixel(image, X0 + left + 2, y), charts.band_colour(i, 5), 8), band.label
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for word in ("PHQ-9 total", "03 Jan 2026", "30 Mar 2026", "21", "14", "Minimal", "Moderately severe", "Severe"):
        assert word in text


def test_bar_chart_bars_in_the_pdf():
    chart = BarChart("Referrals by source", ("Self", "GP"), (Series("2026 Q3", (12.0, 6.0)),
                                                             Series("2026 Q2", (8.0, None), shown=("", "<5"))))
    pdf, image = _page(bar_drawing(chart, W, H))
    left, bottom, right, top = plot_area(chart, W, H)
    slot = (right - left) / 2
    for c, value in enumerate((12, 6)):
        x = X0 + left + c * slot + slot * 0.14 + 0.5 * slot * 0.36
        y_top = Y0 + bottom + value / 20 * (top - bottom)
        assert _near(_pixel(image, x, (Y0 + bottom + y_top) / 2), charts.SERIES_COLOURS[0])
        assert _near(_pixel(image, x, y_top + 12), "#FFFFFF"), "bar taller than its value"
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "<5" in text and "12" in text and "2026 Q2" in text


def test_chart_block_prints_the_text_alternative():
    chart = LineChart("GAD-7 total", ("Jan", "Mar"), (Series("", (15.0, 8.0)),),
                      bands=(Band(-0.5, 4.5, "Minimal", "0–4"), Band(4.5, 9.5, "Mild", "5–9"),
                             Band(9.5, 14.5, "Moderate", "10–14"), Band(14.5, 21.5, "Severe", "15–21")))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build([chart_block(chart, 300, 160)])
    text = " ".join(PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text().split())
    assert "Line chart: GAD-7 total. Bands: Minimal 0–4, Mild 5–9, Moderate 10–14, Severe 15–21." in text
    assert "Jan 15 (Severe); Mar 8 (Mild)." in text
