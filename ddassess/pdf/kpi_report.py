"""The printed KPI report: A4, the team's name, the period beside the one before, the figures
as the service hands them (already suppressed: this module prints, it decides nothing).

No person is named unless the report carries the named appendix (``KpiReport.named``),
which starts on a page of its own, marked for the team only.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer

from ddassess.domain.charts import BarChart, Series
from ddassess.pdf.charts import chart_block
from ddassess.pdf.fonts import register_fonts
from ddassess.pdf.layout import MARGIN, PAGE_H, PAGE_W, Styles, grid_table, para_text

Rows = list[tuple[str, str, str]]  # label, this period (or now), the period before


@dataclass(frozen=True)
class NamedCase:
    ref: str
    name: str
    coordinator: str
    risk: str
    next_review: dt.date | None


@dataclass(frozen=True)
class KpiReport:
    organisation: str
    period_label: str
    period_words: str
    previous_label: str
    previous_words: str
    made_on: dt.date
    now_on: dt.date
    period_tables: list[tuple[str, str, Rows]]
    medians: Rows
    now_tables: list[tuple[str, str, Rows]]
    named: list[NamedCase] | None = None


def _footer(report: KpiReport) -> Callable[[Canvas, SimpleDocTemplate], None]:
    regular, _ = register_fonts()

    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        team = report.organisation or "Dual diagnosis team"
        canvas.drawString(MARGIN, 12 * mm,
                          f"{team} · shared KPIs {report.period_label} · made {report.made_on:%d %b %Y}")
        canvas.drawRightString(PAGE_W - MARGIN, 12 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return draw


def render_kpi_report(report: KpiReport) -> bytes:
    styles = Styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=(PAGE_W, PAGE_H), leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=16 * mm, bottomMargin=20 * mm,
                            title=f"Shared KPIs {report.period_label}", author=report.organisation or "ddassess")
    width = PAGE_W - 2 * MARGIN
    story: list[Flowable] = []
    if report.organisation:
        story.append(Paragraph(para_text(report.organisation), styles.organisation))
    story.append(Paragraph(f"Dual diagnosis shared KPIs: {para_text(report.period_label)}", styles.title))
    story.append(Paragraph(
        f"{para_text(report.period_words)} ({para_text(report.period_label)}), compared with "
        f"{para_text(report.previous_words)} ({para_text(report.previous_label)}). Counts from 1 to 4 are shown "
        "as &lt;5, and so is any figure from which one could be worked out.", styles.subtitle))
    story.append(Paragraph("The period", styles.h1))
    for title, note, rows in report.period_tables:
        story.append(_table(styles, width, title, note, rows, report.period_label, report.previous_label))
        if len(rows) > 1:
            story.append(chart_block(_bars(title, rows, report.period_label, report.previous_label), width, 130))
    story.append(_table(styles, width, "Waiting times", "Median days, of the cases that reached the step.",
                        report.medians, report.period_label, report.previous_label))
    now = [_table(styles, width, title, note, [(a, b, "") for a, b, _ in rows], "Cases", None)
           for title, note, rows in report.now_tables]
    # The heading on the page of its first table (keepWithNext does not hold before a KeepTogether).
    heading = Paragraph(f"Now ({report.now_on:%d %b %Y})", styles.h1_free)
    story.append(KeepTogether([heading, *now[:1]]))
    story.extend(now[1:])
    if report.named is not None:
        story.append(PageBreak())
        story.append(Paragraph("Appendix: complex high-risk cases (named, for the team only)", styles.h1))
        story.append(Paragraph("This page names people. Do not send it to commissioners or outside the care team.",
                               styles.body))
        story.append(Spacer(1, 4))
        head = [Paragraph(h, styles.cell_bold) for h in ("Case", "Name", "Care coordinator", "Risk", "Next review")]
        body = [[Paragraph(para_text(x), styles.cell) for x in
                 (c.ref, c.name, c.coordinator or "—", c.risk, f"{c.next_review:%d %b %Y}" if c.next_review else "—")]
                for c in report.named] or [[Paragraph("No complex high-risk cases.", styles.cell)] + [""] * 4]
        story.append(grid_table([head, *body], [0.18 * width, 0.26 * width, 0.26 * width, 0.12 * width,
                                                0.18 * width]))
    footer = _footer(report)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _table(styles: Styles, width: float, title: str, note: str, rows: Rows, here: str, there: str | None) -> Flowable:
    heads = ["", here] + ([there] if there else [])
    widths = [0.6 * width, 0.2 * width] + ([0.2 * width] if there else [])
    head = [Paragraph(para_text(h) if h else "", styles.cell_bold) for h in heads]
    body = [[Paragraph(para_text(label), styles.cell), Paragraph(para_text(a), styles.cell)]
            + ([Paragraph(para_text(b), styles.cell)] if there else []) for label, a, b in rows]
    parts: list[Flowable] = [Paragraph(para_text(title), styles.h2)]
    if note:
        parts.append(Paragraph(para_text(note), styles.small))
    parts.append(Spacer(1, 2))
    parts.append(grid_table([head, *body], widths))
    return KeepTogether(parts)


def _bars(title: str, rows: Rows, here: str, there: str) -> BarChart:
    """A table's rows as bars, this period beside the one before; a hidden count ("<5") has
    no bar and is written as it is in the table."""
    def series(name: str, texts: list[str]) -> Series:
        return Series(name, tuple(float(t) if t.isdigit() else None for t in texts),
                      tuple("" if t.isdigit() else t for t in texts))

    return BarChart(title, tuple(label for label, _, _ in rows),
                    (series(here, [a for _, a, _ in rows]), series(there, [b for _, _, b in rows])), unit="cases")

