"""The visible signature stamp prints the signer's name as written, in an embedded font."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sample_plans import sample_plan

from ddassess.pdf import certs
from ddassess.pdf.careplan import prepare_for_signing, render_care_plan
from ddassess.pdf.signing import sign_pdf
from ddassess.pdf.verification import verify_pdf


def _stamp(pdf: bytes, field: str):  # type: ignore[no-untyped-def]
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/T") == field:
                return annot["/AP"]["/N"].get_object()
    raise AssertionError(f"no signature widget {field}")


def _unescape(m: re.Match) -> bytes:  # type: ignore[type-arg]
    code = m.group(1)
    if code[:1].isdigit():
        return bytes([int(code, 8)])
    return {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(code, code)


def _actual_texts(stream) -> list[str]:  # type: ignore[no-untyped-def]
    """The /ActualText strings of a content stream and its form XObjects (UTF-16BE)."""
    out = []
    data = stream.get_data()
    for raw in re.findall(rb"/ActualText\s*\((.*?)\)\s*>>", data, re.S):
        unescaped = re.sub(rb"\\([0-7]{1,3}|.)", _unescape, raw, flags=re.S)
        out.append(unescaped.decode("utf-16") if unescaped[:2] == b"\xfe\xff" else unescaped.decode("latin-1"))
    for xobj in (stream.get("/Resources") or {}).get("/XObject", {}).values():
        out += _actual_texts(xobj.get_object())
    return out


def _fonts(stream) -> list:  # type: ignore[no-untyped-def, type-arg]
    res = stream.get("/Resources") or {}
    found = [f.get_object() for f in (res.get("/Font") or {}).values()]
    for xobj in (res.get("/XObject") or {}).values():
        found += _fonts(xobj.get_object())
    return found


def test_polish_signer_name_in_the_stamp():
    ca = certs.new_team_ca("Zespół Łódź")
    pdf = prepare_for_signing(render_care_plan(sample_plan()))
    pdf = sign_pdf(pdf, certs.issue_certificate(ca, "Łukasz Żółć"), field_name="care_coordinator")
    stamp = _stamp(pdf, "care_coordinator")
    texts = _actual_texts(stamp)
    assert any("Digitally signed by Łukasz Żółć" in t for t in texts), texts
    fonts = _fonts(stamp)
    assert fonts and all("DejaVuSans" in str(f["/BaseFont"]) for f in fonts), [f["/BaseFont"] for f in fonts]
    for font in fonts:  # embedded, so every reader shows the same letters
        cidfont = font["/DescendantFonts"][0].get_object()
        descriptor = cidfont["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
        # Widths in thousandths of an em (DejaVu's "0" is 636/1000 wide): with the font's own
        # 2,048 units the letters were spread twice as wide and ran out of the box.
        widths = [w for entry in cidfont["/W"] if isinstance(entry, list) for w in entry]
        assert widths and max(widths) <= 1000, widths
    assert [r.ok for r in verify_pdf(pdf, [ca.certificate])] == [True]
