"""A case's scores over time as an A4 PDF, for the joint review: one chart per instrument
(its final totals, the form's bands shaded) with its text alternative under it.

This is a document of its own, not a part of the care plan PDF: a care plan's content hash
and its signatures cover what the plan says (docs/care-plan.md, docs/signing.md), and a
trajectory changes with every new score. Printed inside the plan, it would either change
the hash of every plan already agreed (and break their signatures' meaning) or freeze a
chart that is out of date by the next screening. So the plan keeps its "Screening scores"
table, and the trajectories print here, dated, beside it.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate

from ddassess.domain.charts import LineChart
from ddassess.pdf.charts import chart_block
from ddassess.pdf.fonts import register_fonts
from ddassess.pdf.layout import MARGIN, PAGE_W, Styles, fmt_date

CONTENT_W = PAGE_W - 2 * MARGIN
CONFIDENTIAL = "CONFIDENTIAL — personal health and social care information."


def render_scores(case_ref: str, person: str, made_on: dt.date, charts: list[LineChart]) -> bytes:
    regular, _bold = register_fonts()
    st = Styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=(PAGE_W, 297 * mm), leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=18 * mm, bottomMargin=20 * mm, title=f"Scores over time {case_ref}",
                            author="ddassess", subject="Scores over time", creator="ddassess")
    story: list[Any] = [Paragraph("Scores over time", st.title),
                        Paragraph(escape(f"{person} · case {case_ref} · printed {fmt_date(made_on)} · final "
                                         "responses only; each band as the form defines it"), st.subtitle)]
    if not charts:
        story.append(Paragraph("No final screening scores yet.", st.empty))
    for chart in charts:
        story.append(chart_block(chart, CONTENT_W, 62 * mm, size=8.5))

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(MARGIN, 12 * mm, CONFIDENTIAL)
        canvas.drawRightString(PAGE_W - MARGIN, 8 * mm, f"{case_ref} · scores over time · page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
