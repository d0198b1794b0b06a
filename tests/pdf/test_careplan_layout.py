"""How the care plan lies on the page: nothing overlaps, nothing is stranded, tables split
with their header, signature blocks stay together, and pages render as A4 images."""

from __future__ import annotations

import dataclasses as dc
import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from sample_plans import sample_plan

from ddassess.pdf.careplan import render_care_plan

FURNITURE = ("CONFIDENTIAL", "Page ", "Joint care plan CP-", "Łukasz Żółć  ·  NHS")
FRAME_BOTTOM = 20 * 72 / 25.4  # the body frame's bottom edge, in points
SECTION_HEADINGS = ("Active risk flags", "Screening scores", "What matters to me", "Needs, goals and actions",
                    "Risk management plan", "Crisis and contingency plan",
                    "Medication (including substitution prescribing)", "Carer's needs",
                    "Information-sharing agreement", "Unmet needs", "Care team", "Agreement and signatures")
ROLE_LABELS = ("Service user", "Care coordinator", "Partner-service practitioner", "Team lead (countersignature)")


def _pages(pdf: bytes) -> list[list[tuple[str, float]]]:
    """Each page's text fragments with their height on the page (points from the bottom)."""
    out = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        found: list[tuple[str, float]] = []

        def visit(text, cm, tm, _font, _size, found=found):  # type: ignore[no-untyped-def]
            if text.strip():
                found.append((text.strip(), tm[5] * cm[3] + cm[5]))

        page.extract_text(visitor_text=visit)
        out.append(found)
    return out


def _body_lines(pdf: bytes) -> list[list[str]]:
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    return [[ln.strip() for ln in t.splitlines() if ln.strip() and not ln.strip().startswith(FURNITURE)]
            for t in pages]


def test_long_verbal_agreement_is_printed_whole_above_the_name_line():
    words = " ".join(f"w{i:03d}" for i in range(400))  # 2,000 characters, each word findable
    verbal = ("Could not hold a pen because of a hand injury; agreed aloud, witnessed by Siân O'Connor. "
              + words)[:2000]
    plan = sample_plan(signed=True)
    plan = dc.replace(plan, signatures=tuple(
        dc.replace(b, strokes=(), verbal_agreement=verbal) if b.role == "service_user" else b
        for b in plan.signatures))
    pages = _pages(render_care_plan(plan).pdf)
    [page] = [p for p in pages if any(t.startswith("Agreement and signatures") for t, _y in p)]
    text = " ".join(t for t, _y in page)
    expected = re.findall(r"w\d{3}", verbal)
    assert re.findall(r"w\d{3}", text) == expected  # every word, in order: nothing cut off
    lowest_verbal = min(y for t, y in page if re.search(r"w\d{3}", t))
    name_line = max(y for t, y in page if t.startswith("Name: Łukasz Żółć"))
    assert name_line < lowest_verbal - 5, "the verbal agreement runs into the name line"
    highest_verbal = max(y for t, y in page if re.search(r"w\d{3}|Agreed verbally", t))
    role_label = min(y for t, y in page if t == "Service user")
    assert highest_verbal < role_label - 5, "the verbal agreement runs over the block's title and above"
    # And the partner's block beside it lines up: its name line is at the same height.
    assert any(t.startswith("Name: Casey Coordinator") and abs(y - name_line) < 1 for t, y in page)


def test_a_table_that_splits_repeats_its_header_at_the_top_of_each_continuation_page():
    pdf = render_care_plan(sample_plan(needs=1, actions_per_need=45)).pdf
    pages = _body_lines(pdf)
    with_actions = [n for n, lines in enumerate(pages) if any(re.match(r"Action \d+ for need 1", ln) for ln in lines)]
    assert len(with_actions) >= 3, "the table should run over several pages"
    for n in with_actions[1:]:
        assert " ".join(pages[n][:6]) == "Action Who Agency Start Target Status", (n, pages[n][:6])
    # The rows continue in order across the pages.
    numbers = [int(m.group(1)) for lines in pages for ln in lines if (m := re.match(r"Action (\d+) for need 1", ln))]
    assert numbers == list(range(1, 46))


@pytest.mark.parametrize("needs, actions", [(4, 4), (6, 5)])
def test_page_one_is_filled_before_a_table_moves_on(needs, actions):
    """A need's table starts on the page of its heading when its first rows fit there."""
    pages = _pages(render_care_plan(sample_plan(needs=needs, actions_per_need=actions)).pdf)
    lowest = min(y for t, y in pages[0] if not t.startswith(FURNITURE))
    assert lowest <= FRAME_BOTTOM + 125, f"page 1 ends {lowest - FRAME_BOTTOM:.0f} pt above the frame bottom"


@pytest.mark.parametrize("needs, actions", [(1, 1), (2, 3), (3, 2), (4, 4), (5, 3), (6, 5), (8, 2), (10, 4)])
def test_no_heading_is_stranded_and_the_signature_blocks_stay_together(needs, actions):
    pdf = render_care_plan(sample_plan(needs=needs, actions_per_need=actions)).pdf
    pages = _body_lines(pdf)
    for n, lines in enumerate(pages, 1):
        last = lines[-1]
        assert last not in SECTION_HEADINGS, f"page {n} ends with the heading '{last}'"
        assert not re.match(r"^\d+\. ", last) and not last.startswith("Goal, in my words"), f"page {n}: {last}"
    [sig_page] = [lines for lines in pages if "Agreement and signatures" in lines]
    text = "\n".join(sig_page)
    for label in ROLE_LABELS:
        assert label in text, f"'{label}' is not on the page of 'Agreement and signatures'"


def test_empty_optional_sections_say_so():
    plan = dc.replace(sample_plan(), crisis_plan={}, medication="", unmet_needs="", care_team=(), copies_given_to=())
    lines = [ln for page in _body_lines(render_care_plan(plan).pdf) for ln in page]
    for heading, note in (("Crisis and contingency plan", "No crisis plan recorded yet."),
                          ("Medication (including substitution prescribing)", "No medication recorded."),
                          ("Unmet needs", "No unmet needs recorded."), ("Care team", "No care team recorded yet.")):
        assert lines[lines.index(heading) + 1] == note
    assert "Copies given to: No copies recorded yet." in lines


def test_pages_render_as_non_blank_a4_images(tmp_path):
    # poppler-utils is installed by packaging/linux/test.sh: a missing pdftoppm fails here, never skips
    assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils) is missing: run ./packaging/linux/test.sh"
    rendered = render_care_plan(sample_plan(signed=True))
    (tmp_path / "plan.pdf").write_bytes(rendered.pdf)
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(tmp_path / "plan.pdf"), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.pgm"))
    assert len(images) == rendered.pages
    for image in images:
        data = image.read_bytes()
        magic, width, height, _maxval, pixels = re.match(rb"(P5)\s+(\d+)\s+(\d+)\s+(\d+)\s(.*)", data, re.S).groups()
        width, height = int(width), int(height)
        assert abs(height / width - 297 / 210) < 0.02  # A4 portrait
        assert len(pixels) == width * height
        dark = sum(1 for p in pixels if p < 128) / len(pixels)
        assert 0.005 < dark < 0.5, f"{image.name}: {dark:.1%} dark pixels"
