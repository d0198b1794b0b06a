"""Long text that the services accept prints: a table cell of 20,000 characters splits
across pages instead of raising LayoutError, a long name gives way in the page header so
the NHS number and date of birth stay whole, and a verbal agreement too long for its block
continues after the signatures. Every word is read back, in order."""

from __future__ import annotations

import dataclasses as dc
import io
import re

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from sample_plans import sample_plan

from ddassess.domain.careplan import Action
from ddassess.domain.limits import MAX_LONG_ANSWER, MAX_NAME
from ddassess.pdf.careplan import CONTENT_W, render_care_plan


def numbered(prefix: str, chars: int = MAX_LONG_ANSWER) -> str:
    """Text of ``chars`` characters whose every word can be found: 'a00001 a00002 ...'."""
    words = " ".join(f"{prefix}{i:05d}" for i in range(chars // 7 + 1))
    return words[: chars - chars % 7 - 1]


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _words(prefix: str, text: str) -> list[str]:
    return re.findall(rf"{prefix}\d{{5}}", text)


def _with_action(plan, **fields):  # type: ignore[no-untyped-def]
    need = plan.needs[0]
    return dc.replace(plan, needs=(dc.replace(need, actions=(Action(**({"description": "Weekly visit"} | fields)),)),
                                   *plan.needs[1:]))


CASES = {
    "action": lambda p, t: _with_action(p, description=t),
    "who": lambda p, t: _with_action(p, responsible=t),
    "need": lambda p, t: dc.replace(p, needs=(dc.replace(p.needs[0], need=t), *p.needs[1:])),
    "lead agency": lambda p, t: dc.replace(p, lead_agency=t),
    "care team": lambda p, t: dc.replace(p, care_team=(dc.replace(p.care_team[0], contact=t), *p.care_team[1:])),
    "what matters": lambda p, t: dc.replace(p, what_matters=t),
    "crisis plan": lambda p, t: dc.replace(p, crisis_plan={"What helps": t}),
}


@pytest.mark.parametrize("where", CASES)
def test_the_longest_answer_prints_whole_wherever_it_goes(where):
    """Before: a table row taller than a page raised reportlab's LayoutError."""
    text = numbered("a")
    rendered = render_care_plan(CASES[where](sample_plan(), text))
    assert _words("a", _text(rendered.pdf)) == _words("a", text)
    assert rendered.pages > 3


def test_a_row_that_fits_on_a_page_is_not_cut_in_two():
    """Only a row taller than a page is split inside (splitInRow always on would cut rows at
    the foot of every page); the others still move whole to the next page."""
    plan = sample_plan(needs=12, actions_per_need=4)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(render_care_plan(plan).pdf)).pages]
    for text in pages:
        flat = " ".join(text.split())
        assert len(re.findall(r"Action \d+ for need \d+", flat)) == flat.count("the day before")
    assert sum(" ".join(t.split()).count("the day before") for t in pages) == 48


def test_the_longest_name_gives_way_in_the_header_but_the_identifiers_do_not():
    name = "W" * MAX_NAME  # the widest letter, the longest name allowed
    plan = sample_plan(name=name)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(render_care_plan(plan).pdf)).pages]
    for text in pages:
        [header] = [ln for ln in text.splitlines() if "DOB " in ln]  # drawn last, on every page
        assert header.startswith("WWWW") and "…" in header
        assert "NHS 999 000 0018" in header and "DOB 02 Mar 1984" in header and header.endswith("DD-2026-00042")
    assert name in "".join(pages).replace("\n", "")  # whole in the summary, where it wraps


@pytest.mark.parametrize("text, size", [("W" * MAX_NAME, 8.5), ("Casey Coordinator", 8.0), ("i" * 5000, 8.0)])
def test_fitted_text_fits_its_width(text, size):
    from ddassess.pdf.layout import fitted

    out, used = fitted(text, "Helvetica", size, CONTENT_W / 2)
    assert stringWidth(out, "Helvetica", used) <= CONTENT_W / 2
    assert out == text or (out.endswith("…") and text.startswith(out[:-1]) and used == 5.5)


def test_a_verbal_agreement_too_long_for_its_block_continues_after_the_signatures():
    text = numbered("v")
    plan = sample_plan()
    plan = dc.replace(plan, signatures=tuple(dc.replace(b, strokes=(), verbal_agreement=text)
                                             if b.role == "service_user" else b for b in plan.signatures))
    read = _text(render_care_plan(plan).pdf)
    assert "… continued below the signatures." in read
    full = read[read.index("Agreed verbally (Service user), in full:"):]
    assert _words("v", full) == _words("v", text)
