"""The joint care plan as an A4 PDF: content in the order of docs/care-plan.md.

``render_care_plan`` lays the plan out (reportlab); ``prepare_for_signing`` adds an
empty PAdES signature field to each practitioner's signature block (pyHanko), so that a
signature fills a field that was part of the plan as printed. Both work in memory:
nothing is written to disk here (exports go through ``fileio.atomic_write``).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
)

from ddassess.domain.careplan import CarePlan
from ddassess.domain.nhs import format_nhs_number
from ddassess.pdf.layout import (
    BODY_H,
    MARGIN,
    PAGE_H,
    PAGE_W,
    SEVERITY_COLOURS,
    FieldPositions,
    KeepStart,
    SignatureFlowable,
    Styles,
    fmt_date,
    grid_table,
    numbered_canvas_class,
    para_text,
)
from ddassess.pdf.plan_record import PLAN_KEY, plan_record

CONTENT_W = PAGE_W - 2 * MARGIN


@dataclass
class RenderedPlan:
    pdf: bytes
    pages: int
    # role -> (page index, (x1, y1, x2, y2)) of the digital signature field of that block
    signature_fields: FieldPositions = field(default_factory=dict)
    # every signature block of the plan in printed order, and how the person's block is signed
    blocks: tuple[str, ...] = ()
    person: str = "unsigned"  # "drawn" (strokes on the plan), "verbal" (agreement recorded), "unsigned"


def _section(story: list[Flowable], st: Styles, title: str, text: str, empty: str,
             style: ParagraphStyle | None = None) -> None:
    """A titled section; an empty one says so in words rather than leaving a bare heading."""
    body = Paragraph(para_text(text), style or st.body) if text and text.strip() else Paragraph(empty, st.empty)
    story.append(KeepStart([Paragraph(title, st.h1_free)], body))


def _titled(title: str, st: Styles, body: list[Flowable]) -> list[Flowable]:
    """A section heading kept with the start of its first flowable."""
    first = body[0]
    if isinstance(first, KeepStart):  # a need: the section heading joins its heading and goal
        return [KeepStart([Paragraph(title, st.h1_free), *first.lead], first.body), *body[1:]]
    return [KeepStart([Paragraph(title, st.h1_free)], first), *body[1:]]


def _who(name: str, plan: CarePlan, role: str) -> str:
    """A practitioner's name with the role and agency their signature block shows."""
    block = next((b for b in plan.signatures if b.role == role), None)
    extra = ", ".join(x for x in (block.job_title, block.agency) if x.strip()) if block is not None else ""
    return f"{name} ({extra})" if name and extra else name or "—"


def _summary(plan: CarePlan, st: Styles) -> Table:
    p = plan.person
    rows = [
        ("Name", p.name, "NHS number", format_nhs_number(p.nhs_number) if p.nhs_number else "—"),
        ("Date of birth", fmt_date(p.date_of_birth), "Case", p.case_ref),
        ("Known as", p.preferred_name or "—", "Pronouns", p.pronouns or "—"),
        ("Address", p.address or "Not recorded", "GP practice", p.gp_practice or "Not recorded"),
        ("Lead agency", plan.lead_agency or "—", "Quadrant", plan.quadrant or "—"),
        ("Care coordinator", _who(plan.care_coordinator, plan, "care_coordinator"), "Partner-service worker",
         _who(plan.partner_worker, plan, "partner")),
        ("Plan created", fmt_date(plan.created), "Next review", fmt_date(plan.next_review)),
    ]
    cells = [[Paragraph(a, st.cell_bold), Paragraph(para_text(b), st.cell), Paragraph(c, st.cell_bold),
              Paragraph(para_text(d), st.cell)] for a, b, c, d in rows]
    return grid_table(cells, [CONTENT_W * f for f in (0.18, 0.32, 0.2, 0.3)], header=False)


def _flags(plan: CarePlan, st: Styles) -> list[Flowable]:
    if not plan.risk_flags:
        return [Paragraph("No active risk flags at the time of this plan.", st.empty)]
    out = []
    for flag in plan.risk_flags:
        colour = SEVERITY_COLOURS.get(flag.severity, "#333333")
        src = f" <font size=7.5 color='#555555'>({para_text(flag.source)})</font>" if flag.source else ""
        out.append(Paragraph(f"<font color='{colour}'><b>{flag.severity.upper()}</b></font>  "
                             f"{para_text(flag.label)}{src}", st.body))
    return out


def _scores(plan: CarePlan, st: Styles) -> list[Flowable]:
    if not plan.scores:
        return [Paragraph("No screening recorded yet.", st.empty)]
    rows = [[Paragraph(h, st.cell_bold) for h in ("Instrument", "Date", "Score", "Band")]]
    rows += [[Paragraph(para_text(s.instrument), st.cell), Paragraph(fmt_date(s.date), st.cell),
              Paragraph(para_text(s.total), st.cell), Paragraph(para_text(s.band), st.cell)] for s in plan.scores]
    return [grid_table(rows, [CONTENT_W * f for f in (0.34, 0.16, 0.22, 0.28)])]


def _needs(plan: CarePlan, st: Styles) -> list[Flowable]:
    out: list[Flowable] = []
    widths = [CONTENT_W * f for f in (0.34, 0.16, 0.15, 0.11, 0.11, 0.13)]
    for i, need in enumerate(plan.needs, 1):
        heading = Paragraph(f"{i}. {para_text(need.area)}: {para_text(need.need)}", st.h2_free)
        goal = Paragraph(f"<b>Goal, in my words:</b> “{para_text(need.goal)}”", st.lead_in_free)
        rows = [[Paragraph(h, st.cell_bold) for h in ("Action", "Who", "Agency", "Start", "Target", "Status")]]
        for a in need.actions:
            rows.append([Paragraph(para_text(a.description), st.cell), Paragraph(para_text(a.responsible), st.cell),
                         Paragraph(para_text(a.agency), st.cell), Paragraph(fmt_date(a.start), st.cell),
                         Paragraph(fmt_date(a.target), st.cell), Paragraph(para_text(a.status), st.cell)])
        if len(rows) == 1:
            rows.append([Paragraph("No actions agreed yet.", st.cell)] + [""] * 5)
        out.append(KeepStart([heading, goal], grid_table(rows, widths)))
    return out or [Paragraph("No needs recorded yet.", st.empty)]


def _care_team(plan: CarePlan, st: Styles) -> list[Flowable]:
    if not plan.care_team:
        return [Paragraph("No care team recorded yet.", st.empty)]
    rows = [[Paragraph(h, st.cell_bold) for h in ("Name", "Role", "Organisation", "Contact")]]
    rows += [[Paragraph(para_text(m.name), st.cell), Paragraph(para_text(m.role), st.cell),
              Paragraph(para_text(m.organisation), st.cell), Paragraph(para_text(m.contact), st.cell)]
             for m in plan.care_team]
    return [grid_table(rows, [CONTENT_W * f for f in (0.24, 0.24, 0.26, 0.26)])]


def _signatures(plan: CarePlan, st: Styles, positions: FieldPositions) -> list[Flowable]:
    """The four blocks, kept together on one page with their heading (never split 2 + 2)."""
    half = (CONTENT_W - 8) / 2
    blocks = [SignatureFlowable(b, half, st, positions) for b in plan.signatures]
    rows = [blocks[i : i + 2] for i in range(0, len(blocks), 2)]
    group: list[Flowable] = [Paragraph("Agreement and signatures", st.h1_free),
                   Paragraph("By signing, we agree this plan. The person has been offered a copy.", st.body),
                   Spacer(1, 4)]
    for row in rows:
        area = max(b.area_h for b in row)
        for b in row:  # the two blocks of a row line up, name lines included
            b.area_h, b.height = area, b.FURNITURE_H + area
        cells = row + [""] * (2 - len(row))
        group += [Table([cells], colWidths=[half + 4, half + 4], hAlign="LEFT",
                        style=[("FONTNAME", (0, 0), (-1, -1), st.body.fontName), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 6)])]
    copies = ", ".join(plan.copies_given_to) if plan.copies_given_to else "No copies recorded yet."
    group.append(Paragraph("<b>Copies given to:</b> " + escape(copies), st.body))
    # A verbal agreement too long for its block is printed whole after the blocks (it splits across pages).
    return [KeepTogether(group), *(b.overflow for b in blocks if b.overflow is not None)]


LOGO_W, LOGO_H = 45 * mm, 16 * mm  # the most the logo takes, its proportions kept


def _organisation(plan: CarePlan, st: Styles) -> list[Flowable]:
    """Whose plan it is, above the title: the logo (if set) and the organisation's name."""
    if not plan.organisation and not plan.logo:
        return []
    cells: list[Flowable | str] = []
    widths = []
    if plan.logo:
        from reportlab.lib.utils import ImageReader
        from reportlab.platypus import Image

        iw, ih = ImageReader(io.BytesIO(plan.logo)).getSize()
        scale = min(LOGO_W / iw, LOGO_H / ih)
        cells.append(Image(io.BytesIO(plan.logo), width=iw * scale, height=ih * scale))
        widths.append(iw * scale + 6)
    cells.append(Paragraph(para_text(plan.organisation), st.organisation) if plan.organisation else "")
    widths.append(CONTENT_W - sum(widths))
    return [Table([cells], colWidths=widths, hAlign="LEFT",
                  style=[("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                         ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]),
            Spacer(1, 2)]


def build_story(plan: CarePlan, st: Styles, positions: FieldPositions) -> list[Flowable]:
    title = f"Version {plan.version}"
    if plan.replaces_version:
        title += f" — replaces version {plan.replaces_version}"
    story: list[Flowable] = [
        *_organisation(plan, st),
        Paragraph("Joint care plan", st.title),
        Paragraph(f"{title}  ·  plan {para_text(plan.plan_id)}  ·  updated {fmt_date(plan.updated)}", st.subtitle),
        _summary(plan, st),
        *_titled("Active risk flags", st, _flags(plan, st)),
        *_titled("Screening scores", st, _scores(plan, st)),
    ]
    _section(story, st, "What matters to me", f"“{plan.what_matters.strip()}”" if plan.what_matters.strip() else "",
             "Not recorded yet: write it with the person, in their words.", st.quote)
    story += _titled("Needs, goals and actions", st, _needs(plan, st))
    _section(story, st, "Risk management plan", plan.risk_management, "No risk management plan recorded yet.")
    if plan.crisis_plan:
        items = list(plan.crisis_plan.items())
        first_h, first_t = items[0]
        story.append(KeepStart([Paragraph("Crisis and contingency plan", st.h1_free),
                                Paragraph(para_text(first_h), st.h2_free)], Paragraph(para_text(first_t), st.body)))
        for heading, text in items[1:]:
            story.append(KeepStart([Paragraph(para_text(heading), st.h2_free)], Paragraph(para_text(text), st.body)))
    else:
        _section(story, st, "Crisis and contingency plan", "", "No crisis plan recorded yet.")
    _section(story, st, "Medication (including substitution prescribing)", plan.medication,
             "No medication recorded.")
    _section(story, st, "Carer's needs", plan.carer_needs, "No carer recorded.")
    _section(story, st, "Information-sharing agreement", plan.information_sharing,
             "No information-sharing agreement recorded yet.")
    _section(story, st, "Unmet needs", plan.unmet_needs, "No unmet needs recorded.")
    story += _titled("Care team", st, _care_team(plan, st))
    story += _signatures(plan, st, positions)
    return story


def render_care_plan(plan: CarePlan) -> RenderedPlan:
    st = Styles()
    positions: FieldPositions = {}
    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf, pagesize=(PAGE_W, PAGE_H), leftMargin=MARGIN, rightMargin=MARGIN, topMargin=20 * mm,
        bottomMargin=20 * mm, title=f"Joint care plan {plan.plan_id} v{plan.version}",
        author="ddassess", subject="Joint care plan", creator="ddassess",
    )
    frame = Frame(MARGIN, 20 * mm, CONTENT_W, BODY_H, id="body", leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="plan", frames=[frame])])
    doc.build(build_story(plan, st, positions), canvasmaker=numbered_canvas_class(plan))
    person = next((b for b in plan.signatures if b.role == "service_user"), None)
    state = "unsigned" if person is None or not person.is_signed else "drawn" if person.strokes else "verbal"
    return RenderedPlan(buf.getvalue(), doc.page, positions, tuple(b.role for b in plan.signatures), state)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def prepare_for_signing(rendered: RenderedPlan) -> bytes:
    """The rendered plan with an empty signature field in each practitioner's block, and an
    entry in the document catalogue that says what the plan is: its signature blocks in
    order, how the person's block is signed, and when this version was made (UTC). The first
    signature covers that entry, so verification can list every block (signed or not) and
    refuse a signing time before the plan existed."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    writer = IncrementalPdfFileWriter(io.BytesIO(rendered.pdf))
    for role, (page, box) in sorted(rendered.signature_fields.items()):
        # The field's lock: its signature locks the field itself (FieldMDP), so nothing may change it after.
        lock = fields.FieldMDPSpec(fields.FieldMDPAction.INCLUDE, fields=[role])
        fields.append_signature_field(writer, fields.SigFieldSpec(sig_field_name=role, on_page=page, box=box,
                                                                  field_mdp_spec=lock))
    made = _now().astimezone(dt.UTC).replace(microsecond=0)
    writer.root[generic.NameObject(PLAN_KEY)] = plan_record(
        tuple(rendered.blocks or sorted(rendered.signature_fields)), tuple(rendered.signature_fields),
        rendered.person, made)
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
