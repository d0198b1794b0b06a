"""The care plan PDF, read back: content, pages, Unicode, signature fields and signing."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sample_plans import sample_plan

from ddassess.pdf import certs
from ddassess.pdf.careplan import prepare_for_signing, render_care_plan
from ddassess.pdf.signing import sign_pdf
from ddassess.pdf.verification import verify_pdf


def _text_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_short_plan_content_reads_back():
    rendered = render_care_plan(sample_plan())
    pages = _text_pages(rendered.pdf)
    assert rendered.pages == len(pages)
    text = "\n".join(pages)
    for expected in ("Joint care plan", "Version 2 — replaces version 1", "What matters to me", "Keeping my flat",
                     "Needs, goals and actions", "PHQ-9", "Moderately severe", "Risk to self",
                     "Crisis and contingency plan", "Methadone 40 mg", "Information-sharing agreement",
                     "Care coordinator", "Team lead (countersignature)"):
        assert expected in text, expected


def test_unicode_names_round_trip_with_embedded_font():
    rendered = render_care_plan(sample_plan(name="Łukasz Żółć"))
    text = "\n".join(_text_pages(rendered.pdf))
    assert "Łukasz Żółć" in text
    assert "Siân O'Connor" in text
    reader = PdfReader(io.BytesIO(rendered.pdf))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]))
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in font \
                else font.get("/FontDescriptor")
            if descriptor is not None:
                assert "/FontFile2" in descriptor.get_object(), f"{font['/BaseFont']} is not embedded"
    assert any("DejaVuSans" in f for f in fonts)
    assert not any("Helvetica" in f for f in fonts)


def test_long_plan_splits_with_identifiers_and_page_numbers_on_every_page():
    rendered = render_care_plan(sample_plan(needs=12, actions_per_need=6))
    pages = _text_pages(rendered.pdf)
    assert len(pages) >= 4
    for n, text in enumerate(pages, 1):
        assert f"Page {n} of {len(pages)}" in text
        assert "999 000 0018" in text and "DD-2026-00042" in text and "version 2" in text
        assert "CONFIDENTIAL" in text
    # (A table's header row repeating on its continuation pages: test_careplan_layout.py.)


def test_signature_fields_sit_in_the_practitioners_blocks_and_sign():
    rendered = render_care_plan(sample_plan(signed=True))
    assert set(rendered.signature_fields) == {"care_coordinator", "partner", "team_lead"}
    pdf = prepare_for_signing(rendered)
    ca = certs.new_team_ca("Fictional Joint Team")
    for role, name in (("care_coordinator", "Casey Coordinator"), ("partner", "Siân O'Connor"),
                       ("team_lead", "Lee Lead")):
        pdf = sign_pdf(pdf, certs.issue_certificate(ca, name), field_name=role)
    reports = verify_pdf(pdf, [ca.certificate])
    assert [r.signer for r in reports] == ["Casey Coordinator", "Siân O'Connor", "Lee Lead"]
    assert all(r.ok for r in reports), [r.summary for r in reports]


def test_signing_a_field_that_is_not_there_fails_cleanly():
    from ddassess.pdf.signing import SignatureFieldError

    pdf = prepare_for_signing(render_care_plan(sample_plan()))
    ca = certs.new_team_ca("Fictional Joint Team")
    with pytest.raises(SignatureFieldError, match="no signature block 'no_such_field'"):
        sign_pdf(pdf, certs.issue_certificate(ca, "Casey Coordinator"), field_name="no_such_field")


def test_text_that_looks_like_markup_is_printed_as_typed():
    plan = sample_plan()
    from dataclasses import replace

    plan = replace(plan, what_matters="<b>not bold</b> & <font size=40>not big</font>")
    text = "\n".join(_text_pages(render_care_plan(plan).pdf))
    assert "<b>not bold</b> & <font size=40>not big</font>" in text


@pytest.mark.parametrize("needs, actions", [(5, 3), (10, 1), (10, 2), (10, 4), (10, 5)])
def test_no_need_heading_is_left_at_the_foot_of_a_page(needs, actions):
    """A need's heading and goal always share a page with the start of its actions table."""
    pages = _text_pages(render_care_plan(sample_plan(needs=needs, actions_per_need=actions)).pdf)
    for n, text in enumerate(pages, 1):
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        furniture = ("CONFIDENTIAL", "Page ", "Joint care plan CP-", "Łukasz Żółć  ·  NHS")
        body = [ln for ln in lines if not ln.startswith(furniture)]
        assert not body[-1].startswith("Goal, in my words"), f"page {n} ends with a goal and no actions"
        assert not re.match(r"^\d+\. ", body[-1]), f"page {n} ends with a need heading"
