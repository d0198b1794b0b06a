"""The complex case review agenda as an A4 PDF: one block per case — why it is on the
agenda, who coordinates and who is the partner worker, the last joint review and the next,
and the open actions (overdue ones marked) — for the two services' meeting. In memory only:
the caller writes it (``fileio.atomic_write``)."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from ddassess.domain.agenda import Agenda, AgendaItem
from ddassess.pdf.fonts import register_fonts
from ddassess.pdf.layout import MARGIN, PAGE_W, Styles, fmt_date, grid_table

CONTENT_W = PAGE_W - 2 * MARGIN
CONFIDENTIAL = ("CONFIDENTIAL — for the complex case review meeting of the two services. Do not leave "
                "printed copies unattended; destroy after the meeting.")


def _p(text: str, style: Any) -> Paragraph:
    return Paragraph(escape(text), style)


def _item(number: int, item: AgendaItem, agenda: Agenda, st: Styles) -> list[Any]:
    heading = f"{number}. {item.ref} — {item.person_name}" if item.person_name else f"{number}. {item.ref}"
    parts: list[Any] = [_p(heading, st.h2)]
    parts += [_p("• " + reason, st.body) for reason in item.reasons]
    parts.append(Spacer(1, 3))
    facts = [[_p(h, st.cell_bold) for h in ("Care coordinator", "Partner worker", "Last joint review",
                                            "Next review")],
             [_p(item.coordinator or "—", st.cell), _p(item.partner or "—", st.cell),
              _p(fmt_date(item.last_joint_review), st.cell), _p(fmt_date(item.next_review), st.cell)]]
    parts.append(grid_table(facts, [CONTENT_W * 0.3, CONTENT_W * 0.3, CONTENT_W * 0.2, CONTENT_W * 0.2]))
    parts.append(Spacer(1, 3))
    if item.actions:
        rows = [[_p(h, st.cell_bold) for h in ("Open action", "Owner", "Due")]]
        for a in item.actions:
            due = fmt_date(a.due) + (" — OVERDUE" if a.overdue(agenda.made_on) else "")
            rows.append([_p(a.action, st.cell), _p(a.owner or "—", st.cell), _p(due, st.cell)])
        parts.append(grid_table(rows, [CONTENT_W * 0.6, CONTENT_W * 0.2, CONTENT_W * 0.2]))
    else:
        parts.append(_p("No open actions.", st.empty))
    parts.append(Spacer(1, 8))
    return parts


def render_agenda(agenda: Agenda, team: str = "") -> bytes:
    """The agenda as PDF bytes."""
    regular, _bold = register_fonts()
    st = Styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=(PAGE_W, 297 * mm), leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=18 * mm, bottomMargin=20 * mm, title="Complex case review agenda",
                            author="ddassess", subject="Complex case review agenda", creator="ddassess")
    story: list[Any] = []
    if team:
        story.append(_p(team, st.organisation))
    story.append(_p("Complex case review — agenda", st.title))
    count = len(agenda.items)
    story.append(_p(f"Meeting of {fmt_date(agenda.made_on)} · {count} case{'s' if count != 1 else ''}: open cases "
                    "that are high-risk (urgent or high, or the high/high quadrant), overdue for review, or with "
                    "risk flags nobody has acknowledged.", st.subtitle))
    if not agenda.items:
        story.append(_p("No case meets the agenda's rules today.", st.empty))
    for number, item in enumerate(agenda.items, 1):
        story.append(KeepTogether(_item(number, item, agenda, st)))

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(MARGIN, 12 * mm, CONFIDENTIAL)
        canvas.drawRightString(PAGE_W - MARGIN, 8 * mm, f"Agenda of {fmt_date(agenda.made_on)} · page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
