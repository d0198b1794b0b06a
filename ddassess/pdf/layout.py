"""Page furniture for care plan PDFs: styles, tables, signature blocks, numbered pages.

Every page carries the person's identifiers and the plan's id, version and date in the
header, and a confidentiality line with "Page x of y" in the footer (``NumberedCanvas``
defers pages until the total is known). Signature blocks draw signatures as vector
strokes and note where each practitioner's digital signature field goes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from ddassess.domain.careplan import SIGNER_ROLE_LABELS, CarePlan, SignatureBlock
from ddassess.domain.nhs import format_nhs_number
from ddassess.pdf.fonts import register_fonts

PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
CONFIDENTIAL = ("CONFIDENTIAL — personal health and social care information. Share only as the "
                "information-sharing agreement in this plan allows.")
DIGITAL_ROLES = ("care_coordinator", "partner", "team_lead")
BODY_H = PAGE_H - 40 * mm  # the frame the plan's content flows through (20 mm above and below)
# A row taller than a whole page (a long answer in a table cell) is split inside its cells;
# no piece is shorter than this many points (about two lines of a cell).
SPLIT_IN_ROW = 24
SEVERITY_COLOURS = {"urgent": "#B00020", "high": "#C2410C", "warning": "#A16207", "info": "#1D4ED8"}
# Where each digital signature field goes: role -> (page index, (x1, y1, x2, y2) in points).
FieldPositions = dict[str, tuple[int, tuple[int, int, int, int]]]


def fmt_date(d: dt.date | None) -> str:
    return d.strftime("%d %b %Y") if d else "—"


def fitted(text: str, font: str, size: float, width: float, smallest: float = 5.5) -> tuple[str, float]:
    """``text`` and a font size at which it fits ``width`` on one line: the size shrinks down to
    ``smallest``, then the text is cut with "…" (a name of the longest allowed length in a
    page header or a signature block, where nothing wraps)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    while size > smallest and stringWidth(text, font, size) > width:
        size = max(smallest, size - 0.5)
    if stringWidth(text, font, size) <= width:
        return text, size
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if stringWidth(text[:mid] + "…", font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "…", size


def para_text(value: str) -> str:
    """User text made safe for Paragraph markup, line breaks kept."""
    return escape(value.strip()).replace("\n", "<br/>") if value and value.strip() else "—"


class Styles:
    def __init__(self) -> None:
        regular, bold = register_fonts()
        self.body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12.5, alignment=TA_LEFT)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8, leading=10)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=8.5, leading=10.5)
        self.cell_bold = ParagraphStyle("cellb", parent=self.cell, fontName=bold)
        self.title = ParagraphStyle("title", parent=self.body, fontName=bold, fontSize=18, leading=22, spaceAfter=2)
        self.subtitle = ParagraphStyle("subtitle", parent=self.body, fontSize=10, textColor=colors.HexColor("#444444"),
                                       spaceAfter=8)
        self.h1 = ParagraphStyle("h1", parent=self.body, fontName=bold, fontSize=12.5, leading=16, spaceBefore=10,
                                 spaceAfter=4, keepWithNext=1, textColor=colors.HexColor("#1F3A5F"))
        self.h2 = ParagraphStyle("h2", parent=self.body, fontName=bold, fontSize=10.5, leading=13, spaceBefore=6,
                                 spaceAfter=2, keepWithNext=1)
        # Text that introduces a table: kept on the page of the table's first rows.
        self.lead_in = ParagraphStyle("lead_in", parent=self.body, spaceAfter=3, keepWithNext=1)
        # The same without keepWithNext, for use inside KeepStart (which does the keeping).
        self.h1_free = ParagraphStyle("h1_free", parent=self.h1, keepWithNext=0)
        self.h2_free = ParagraphStyle("h2_free", parent=self.h2, keepWithNext=0)
        self.lead_in_free = ParagraphStyle("lead_in_free", parent=self.lead_in, keepWithNext=0)
        self.organisation = ParagraphStyle("organisation", parent=self.body, fontName=bold, fontSize=12, leading=15,
                                           textColor=colors.HexColor("#1F3A5F"))
        self.empty = ParagraphStyle("empty", parent=self.body, textColor=colors.HexColor("#555555"))
        self.quote = ParagraphStyle("quote", parent=self.body, leftIndent=8, borderPadding=(4, 4, 4, 6),
                                    borderColor=colors.HexColor("#9CB3D4"), borderWidth=0,
                                    backColor=colors.HexColor("#F1F5FA"))


def grid_table(rows: list[list[Flowable]], widths: list[float], header: bool = True) -> Table:
    t = GridTable(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style = [
        ("FONTNAME", (0, 0), (-1, -1), register_fonts()[0]),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#B8C2CC")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E3EAF3")))
    t.setStyle(TableStyle(style))
    return t


class GridTable(Table):
    """A table that splits between rows, and inside a row only when that row is taller than a
    page: reportlab raises LayoutError for such a row (a 20,000-character answer in a cell)
    unless splitInRow is on, but with it always on every row at the foot of a page would be
    cut in two. Rows that fit on a page move whole to the next page, as before."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["splitInRow"] = 0  # the pieces reportlab makes of a split table come back through here
        super().__init__(*args, **kwargs)

    def split(self, avail_w: float, avail_h: float) -> list[Flowable]:
        parts = super().split(avail_w, avail_h)
        if parts or not any(h > BODY_H for h in getattr(self, "_rowHeights", None) or ()):
            return parts
        self.splitInRow = SPLIT_IN_ROW
        try:
            return super().split(avail_w, avail_h)
        finally:
            self.splitInRow = 0


class KeepStart(Flowable):
    """A heading (and lead-in) kept with the *start* of what follows, not all of it.

    reportlab's keepWithNext keeps a heading with the whole next flowable, so a table that
    does not fit in the rest of the page is pushed whole onto the next one, leaving half a
    page blank. This keeps the heading with the first rows (or lines) only: when those fit,
    everything starts here and the table splits (its header row repeats); when they do not,
    all of it moves to the next page, so no heading is left alone at the foot of a page."""

    def __init__(self, lead: list[Flowable], body: Flowable, first_rows: int = 2) -> None:
        super().__init__()
        self.lead, self.body, self.first_rows = lead, body, first_rows

    def _start_height(self, avail_w: float) -> float:
        h = sum(f.wrap(avail_w, 10_000)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in self.lead)
        body_h = self.body.wrap(avail_w, 10_000)[1]
        if isinstance(self.body, Table):
            heights = self.body._rowHeights  # known once wrapped
            return h + sum(heights[: 1 + self.first_rows])
        if isinstance(self.body, Paragraph):
            return h + min(body_h, 3 * self.body.style.leading)
        return h + body_h

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        self._avail_w = avail_w
        return avail_w, 0xFFFFFF  # always split: the frame asks what fits

    def split(self, avail_w: float, avail_h: float) -> list[Flowable]:
        frame = getattr(self, "_frame", None)
        at_top = bool(getattr(frame, "_atTop", False))
        if at_top or self._start_height(avail_w) <= avail_h:
            return [*self.lead, self.body]
        return []  # not even the start fits: the frame moves on and this starts the next page

    def drawOn(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802 - never drawn itself; split always runs
        raise AssertionError("KeepStart is split, never drawn")


class SignatureFlowable(Flowable):
    """One signature block: role, drawn strokes or verbal agreement, name, role, agency, date.

    The signing area grows to fit a long verbal agreement (the form allows 2,000 characters),
    so the text never runs over the lines below; ``height`` is shared by the two blocks of a
    row so they line up. A longer one (a draft beyond the form's limit) would make the block
    taller than a page: the area stops at VERBAL_MAX_H, says the rest follows, and
    ``overflow`` holds the whole text for the plan to print after the signature blocks."""

    STROKE_H = 40
    FURNITURE_H = 110  # role label above the area; name, role, agency, date and digital field below
    # The tallest a block can be and still share a page with the heading above it: 2,000
    # characters of ordinary text take about 450 points, so the form's limit is shown whole.
    VERBAL_MAX_H = BODY_H - FURNITURE_H - 80

    def __init__(self, block: SignatureBlock, width: float, styles: Styles, positions: FieldPositions) -> None:
        super().__init__()
        self.block, self.width, self.styles, self.positions = block, width, styles, positions
        self.digital = block.role in DIGITAL_ROLES
        self.verbal: Flowable | None = None
        self.overflow: Paragraph | None = None
        if block.verbal_agreement and not block.strokes:
            self.verbal = Paragraph("<i>Agreed verbally:</i> " + para_text(block.verbal_agreement), styles.small)
            if self.verbal.wrap(width - 12, 10_000)[1] + 4 > self.VERBAL_MAX_H:
                self.overflow = Paragraph(f"<b>Agreed verbally ({SIGNER_ROLE_LABELS.get(block.role, block.role)}),"
                                          " in full:</b> " + para_text(block.verbal_agreement), styles.body)
                note = styles.small.leading + 4
                first = self.verbal.split(width - 12, self.VERBAL_MAX_H - 4 - note)
                self.verbal = Table([[first[0]], [Paragraph("<i>… continued below the signatures.</i>", styles.small)]],
                                    colWidths=[width - 12], style=[("LEFTPADDING", (0, 0), (-1, -1), 0),
                                                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                                                   ("TOPPADDING", (0, 0), (-1, -1), 0),
                                                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 0)])
        self.area_h = float(self.STROKE_H)
        if self.verbal is not None:
            self.area_h = max(self.area_h, self.verbal.wrap(width - 12, 10_000)[1] + 4)
        self.height = self.FURNITURE_H + self.area_h

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c, b, w, h = self.canv, self.block, self.width, self.height
        regular, bold = register_fonts()
        c.setStrokeColor(colors.HexColor("#8896A6"))
        c.setLineWidth(0.6)
        c.rect(0, 0, w, h)
        c.setFont(bold, 9)
        c.drawString(6, h - 13, SIGNER_ROLE_LABELS.get(b.role, b.role))
        area_top = h - 18
        area_bottom = area_top - self.area_h
        if b.strokes:
            self._draw_strokes(area_bottom, area_bottom + self.STROKE_H)
        elif self.verbal is not None:
            _w, ph = self.verbal.wrap(w - 12, self.area_h)
            self.verbal.drawOn(c, 6, area_top - ph - 2)
        c.setStrokeColor(colors.HexColor("#444444"))
        c.line(6, area_bottom, w - 6, area_bottom)
        c.setFont(regular, 8)
        y = area_bottom - 11
        lines = [("Name", b.name)]
        if self.digital or b.job_title or b.agency:
            lines += [("Role", b.job_title), ("Agency", b.agency)]
        lines.append(("Date", fmt_date(b.signed_on) if b.signed_on else ""))
        for label, value in lines:
            text, size = fitted(f"{label}: {value}" if value else f"{label}:", regular, 8, w - 12)
            c.setFont(regular, size)
            c.drawString(6, y, text)
            y -= 10
        if self.digital:
            x, y0 = c.absolutePosition(0, 0)
            page = c.getPageNumber() - 1
            self.positions[b.role] = (page, (int(x + 4), int(y0 + 3), int(x + w - 4), int(y0 + 31)))
            c.setFont(regular, 6.5)
            c.setFillColor(colors.HexColor("#6B7280"))
            c.drawString(6, 35, "Digital signature (PAdES):")
            c.setFillColor(colors.black)

    def _draw_strokes(self, bottom: float, top: float) -> None:
        points = [p for s in self.block.strokes for p in s]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        span_x, span_y = max(max(xs) - min(xs), 1.0), max(max(ys) - min(ys), 1.0)
        scale = min((self.width - 16) / span_x, (top - bottom - 4) / span_y)
        ox, oy = 8 - min(xs) * scale, bottom + 2
        c = self.canv
        c.setStrokeColor(colors.HexColor("#0B1F4D"))
        c.setLineWidth(1.1)
        c.setLineCap(1)
        c.setLineJoin(1)
        for stroke in self.block.strokes:
            if len(stroke) < 2:
                continue
            path = c.beginPath()
            # Signature pads measure y downwards; PDF measures up.
            path.moveTo(ox + stroke[0][0] * scale, oy + (max(ys) - stroke[0][1]) * scale)
            for x, y in stroke[1:]:
                path.lineTo(ox + x * scale, oy + (max(ys) - y) * scale)
            c.drawPath(path, stroke=1, fill=0)


def numbered_canvas_class(plan: CarePlan) -> type[rl_canvas.Canvas]:
    regular, bold = register_fonts()
    person = plan.person
    rest = (f"  ·  NHS {format_nhs_number(person.nhs_number) if person.nhs_number else '—'}"
            f"  ·  DOB {fmt_date(person.date_of_birth)}  ·  {person.case_ref}")
    # The NHS number, date of birth and case reference are always whole; a long name gives way.
    name, size = fitted(person.name + rest, bold, 8.5, PAGE_W - 2 * MARGIN, smallest=6.5)
    if name.endswith("…"):
        from reportlab.pdfbase.pdfmetrics import stringWidth

        name = fitted(person.name, bold, size, PAGE_W - 2 * MARGIN - stringWidth(rest, bold, size), smallest=size)[0]
        name += rest
    header, header_font = name, (bold, size)
    plan_line = f"Joint care plan {plan.plan_id}  ·  version {plan.version}  ·  {fmt_date(plan.updated)}"
    # The organisation on every page, right of the plan line, in the room that line leaves.
    from reportlab.pdfbase.pdfmetrics import stringWidth

    room = PAGE_W - 2 * MARGIN - stringWidth(plan_line, regular, 7.5) - 12
    organisation = fitted(plan.organisation, regular, 7.5, room, smallest=6)[0] if plan.organisation else ""

    class NumberedCanvas(rl_canvas.Canvas):
        """Defers each page so the footer can say 'Page x of y'."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["initialFontName"] = kwargs.get("initialFontName") or regular  # platypus passes None
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            self.saveState()
            self.setFont(*header_font)
            self.drawString(MARGIN, PAGE_H - 10 * mm, header)
            self.setFont(regular, 7.5)
            self.drawString(MARGIN, PAGE_H - 14 * mm, plan_line)
            if organisation:
                self.drawRightString(PAGE_W - MARGIN, PAGE_H - 14 * mm, organisation)
            self.setStrokeColor(colors.HexColor("#B8C2CC"))
            self.line(MARGIN, PAGE_H - 15.5 * mm, PAGE_W - MARGIN, PAGE_H - 15.5 * mm)
            self.line(MARGIN, 14 * mm, PAGE_W - MARGIN, 14 * mm)
            self.setFont(regular, 7)
            self.drawString(MARGIN, 10 * mm, CONFIDENTIAL)
            self.setFont(bold, 8)
            self.drawRightString(PAGE_W - MARGIN, 6 * mm, f"Page {self._pageNumber} of {total}")
            self.restoreState()

    return NumberedCanvas
