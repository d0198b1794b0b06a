"""Crafted attacks on a signed care plan: each is refused by ``pdf verify`` and by
countersigning, with the same words; the honest plans beside them are accepted.

The attack classes are those of the literature on PDF signatures: Mladenov et al. 2019
(Incremental Saving, Signature Wrapping, Universal Signature Forgery) and Mainka et al.
2021 (Shadow hide, replace, hide-and-replace), plus what issue 10 found: an overlay
through a new signature field (unsigned, or signed by a team member), bytes appended after
%%EOF, an altered certificate bag, and a signer's clock or certificate that cannot be
believed. Every file is built here, from a real plan, with pyHanko's incremental writer
or by editing bytes: nothing is stored.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sample_plans import sample_plan

from ddassess.cli import main
from ddassess.pdf import certs
from ddassess.pdf.careplan import prepare_for_signing, render_care_plan
from ddassess.pdf.plan_verdict import verdict
from ddassess.pdf.signing import PlanRefusedError, sign_pdf
from ddassess.pdf.verification import check_plan

DAMAGED = "This PDF is damaged and cannot be read"  # a file pyHanko cannot read: refused as damaged (exit 11)


@dataclass
class Team:
    ca: certs.Identity
    casey: certs.Identity
    pat: certs.Identity
    lee: certs.Identity
    mallory: certs.Identity  # a valid team certificate in the wrong hands


@pytest.fixture(scope="module")
def team() -> Team:
    ca = certs.new_team_ca("Fictional Joint Team")
    return Team(ca, certs.issue_certificate(ca, "Casey Coordinator", role="Care coordinator"),
                certs.issue_certificate(ca, "Pat Partner", role="Dual diagnosis worker"),
                certs.issue_certificate(ca, "Lee Lead", role="Team lead"),
                certs.issue_certificate(ca, "Mallory Fictional", role="Support worker"))


def _prepared(extra: Callable[[object], None] | None = None) -> bytes:
    """A fresh plan with its empty signature fields (and, for the shadow attacks, content
    an attacker slipped into it before it was signed)."""
    pdf = prepare_for_signing(render_care_plan(sample_plan(signed=True)))
    return _update(pdf, extra) if extra else pdf


@pytest.fixture(scope="module")
def one(team: Team) -> bytes:
    return sign_pdf(_prepared(), team.casey, field_name="care_coordinator")


def _update(pdf: bytes, edit: Callable[[object], None]) -> bytes:
    """One incremental update made by ``edit(writer)``, as any PDF tool can append."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    edit(w)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _page(w, n: int):  # type: ignore[no-untyped-def]
    return w.root["/Pages"]["/Kids"][n].get_object()


def _indirect(w, ref):  # type: ignore[no-untyped-def]
    from pyhanko.pdf_utils import generic

    return generic.IndirectObject(ref.idnum, ref.generation, w)


def _text_stream(text: str, *, box: tuple[int, int, int, int] = (0, 0, 595, 842)):  # type: ignore[no-untyped-def]
    """An opaque white box with large red text: what a forger wants a reader to see."""
    from pyhanko.pdf_utils import generic

    x1, y1, x2, y2 = box
    data = (f"1 1 1 rg {x1} {y1} {x2 - x1} {y2 - y1} re f 0.8 0 0 rg BT /Hv 40 Tf {x1 + 30} {(y1 + y2) // 2} Td "
            f"({text}) Tj ET").encode()
    font = generic.DictionaryObject({generic.NameObject("/Type"): generic.NameObject("/Font"),
                                     generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
                                     generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica")})
    return generic.StreamObject({
        generic.NameObject("/Type"): generic.NameObject("/XObject"),
        generic.NameObject("/Subtype"): generic.NameObject("/Form"),
        generic.NameObject("/BBox"): generic.ArrayObject([generic.NumberObject(v) for v in box]),
        generic.NameObject("/Resources"): generic.DictionaryObject(
            {generic.NameObject("/Font"): generic.DictionaryObject({generic.NameObject("/Hv"): font})}),
    }, stream_data=data)


def _page_text(text: str):  # type: ignore[no-untyped-def]
    from pyhanko.pdf_utils import generic

    text_op = f"BT /F1 40 Tf 60 420 Td ({text}) Tj ET"
    return generic.StreamObject(stream_data=f"1 1 1 rg 0 0 595 842 re f 0.8 0 0 rg {text_op}".encode())


# --- the attacks ------------------------------------------------------------------------


def overlay_through_new_signature_field(pdf: bytes, team: Team) -> bytes:
    """Issue 10: a new, unsigned, visible signature field whose appearance covers page 2."""
    from pyhanko.pdf_utils import generic

    def edit(w) -> None:  # type: ignore[no-untyped-def]
        page = _page(w, 1)
        ap = w.add_object(_text_stream("THIS PLAN IS WITHDRAWN"))
        widget = generic.DictionaryObject({
            generic.NameObject("/FT"): generic.NameObject("/Sig"),
            generic.NameObject("/T"): generic.TextStringObject("withdrawn"),
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
            generic.NameObject("/F"): generic.NumberObject(4),
            generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(v) for v in (0, 0, 595, 842)]),
            generic.NameObject("/P"): _indirect(w, page.container_ref),
            generic.NameObject("/AP"): generic.DictionaryObject({generic.NameObject("/N"): ap}),
        })
        ref = w.add_object(widget)
        page["/Annots"].append(ref) if "/Annots" in page else page.__setitem__(
            generic.NameObject("/Annots"), generic.ArrayObject([ref]))
        w.update_container(page)
        form = w.root["/AcroForm"]
        form["/Fields"].append(ref)
        w.update_container(form)

    return _update(pdf, edit)


def signature_into_a_new_field_over_the_content(pdf: bytes, team: Team) -> bytes:
    """Issue 10: a holder of a valid team certificate signs into a new field placed over the plan."""
    return sign_pdf(pdf, team.mallory, field_name="overlay", new_field=(0, (40, 300, 555, 700)))


def new_annotation(pdf: bytes, team: Team) -> bytes:
    """A FreeText annotation ("Plan cancelled") added to page 1."""
    from pyhanko.pdf_utils import generic

    def edit(w) -> None:  # type: ignore[no-untyped-def]
        page = _page(w, 0)
        annot = w.add_object(generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
            generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(v) for v in (60, 600, 540, 700)]),
            generic.NameObject("/Contents"): generic.TextStringObject("Plan cancelled"),
            generic.NameObject("/DA"): generic.TextStringObject("/Helv 24 Tf 1 0 0 rg"),
            generic.NameObject("/P"): _indirect(w, page.container_ref),
        }))
        page[generic.NameObject("/Annots")] = generic.ArrayObject([annot])
        w.update_container(page)

    return _update(pdf, edit)


def incremental_saving_new_content(pdf: bytes, team: Team) -> bytes:
    """Mladenov ISA: an update that gives page 1 new content."""
    def edit(w) -> None:  # type: ignore[no-untyped-def]
        page = _page(w, 0)
        page["/Contents"] = w.add_object(_page_text("Plan cancelled"))
        w.update_container(page)

    return _update(pdf, edit)


def incremental_saving_without_a_new_xref(pdf: bytes, team: Team) -> bytes:
    """Mladenov ISA variant: new bytes appended after %%EOF with no cross-reference section,
    for readers that recover objects by scanning the file."""
    return pdf + b"\n% THIS PLAN IS WITHDRAWN\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"


def signature_wrapping_redefined_signature(pdf: bytes, team: Team) -> bytes:
    """Mladenov SWA: the signature dictionary is re-defined in a later revision (its byte
    range unchanged, so the digest still matches), together with new page content."""
    def edit(w) -> None:  # type: ignore[no-untyped-def]
        field = w.root["/AcroForm"]["/Fields"][0].get_object()
        w.mark_update(field.raw_get("/V"))
        page = _page(w, 0)
        page["/Contents"] = w.add_object(_page_text("Plan cancelled"))
        w.update_container(page)

    return _update(pdf, edit)


def signature_wrapping_moved_second_range(pdf: bytes, team: Team) -> bytes:
    """Mladenov SWA: the signed bytes after the signature are moved on and the byte range
    rewritten (same width) to point at them; forged objects sit in the gap."""
    m = re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert m is not None
    len1, start2, len2 = (int(g) for g in m.groups())
    junk = b"\n99 0 obj\n(THIS PLAN IS WITHDRAWN)\nendobj\n"
    old = m.group(0)
    new = old.replace(m.group(2), str(start2 + len(junk)).encode())
    new = new + b" " * (len(old) - len(new))
    assert len(new) == len(old)
    moved = pdf[:start2] + junk + pdf[start2:start2 + len2]
    return moved[: m.start()] + new + moved[m.end():]


def signature_wrapping_rewritten_range(pdf: bytes, team: Team) -> bytes:
    """Mladenov SWA: the byte range rewritten in place (same width) to leave bytes out of
    the digest that an attacker could then change."""
    m = re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert m is not None
    old = m.group(0)
    new = old.replace(m.group(3), str(int(m.group(3)) - 9).encode())
    new = new + b" " * (len(old) - len(new))
    return pdf[: m.start()] + new + pdf[m.end():]


def _edit_signature_dict(pdf: bytes, change: Callable[[object], None]) -> bytes:
    """Mladenov USF: a later revision re-defines the signature dictionary, with a change."""
    from pyhanko.pdf_utils import generic

    def edit(w) -> None:  # type: ignore[no-untyped-def]
        field = w.root["/AcroForm"]["/Fields"][0].get_object()
        old = field["/V"]
        sig = generic.DictionaryObject({k: v for k, v in old.items()})
        change(sig)
        field[generic.NameObject("/V")] = w.add_object(sig)
        w.update_container(field)

    return _update(pdf, edit)


def universal_forgery_no_byte_range(pdf: bytes, team: Team) -> bytes:
    return _edit_signature_dict(pdf, lambda sig: sig.pop("/ByteRange"))  # type: ignore[attr-defined]


def universal_forgery_empty_contents(pdf: bytes, team: Team) -> bytes:
    from pyhanko.pdf_utils import generic

    return _edit_signature_dict(pdf, lambda sig: sig.__setitem__(  # type: ignore[attr-defined]
        generic.NameObject("/Contents"), generic.ByteStringObject(b"\x00" * 16)))


def universal_forgery_zero_byte_range(pdf: bytes, team: Team) -> bytes:
    from pyhanko.pdf_utils import generic

    return _edit_signature_dict(pdf, lambda sig: sig.__setitem__(  # type: ignore[attr-defined]
        generic.NameObject("/ByteRange"), generic.ArrayObject([generic.NumberObject(0)] * 4)))


def universal_forgery_unknown_subfilter(pdf: bytes, team: Team) -> bytes:
    """pyHanko itself skips a signature of an unknown sub-filter: the block would read unsigned."""
    from pyhanko.pdf_utils import generic

    return _edit_signature_dict(pdf, lambda sig: sig.__setitem__(  # type: ignore[attr-defined]
        generic.NameObject("/SubFilter"), generic.NameObject("/adbe.x509.forged")))


def _with_shadow(team: Team) -> tuple[bytes, int, int]:
    """A plan signed by Casey that an attacker prepared before signing: an unreferenced
    content stream and an unreferenced page hold the shadow text. Returns the signed PDF
    and the shadow stream's and page's object numbers."""
    from pyhanko.pdf_utils import generic

    refs: dict[str, int] = {}

    def plant(w) -> None:  # type: ignore[no-untyped-def]
        stream = w.add_object(_page_text("THIS PLAN IS WITHDRAWN"))
        first = _page(w, 0)
        page = generic.DictionaryObject({k: v for k, v in first.items()})
        page[generic.NameObject("/Contents")] = stream
        page.pop("/Annots", None)
        refs["stream"], refs["page"] = stream.idnum, w.add_object(page).idnum

    signed = sign_pdf(_prepared(plant), team.casey, field_name="care_coordinator")
    return signed, refs["stream"], refs["page"]


def shadow_hide(pdf: bytes, team: Team) -> bytes:
    """Mainka hide: the update only points page 1 at content already in the signed file,
    drawn over the plan's own."""
    from pyhanko.pdf_utils import generic

    signed, stream, _page_num = _with_shadow(team)

    def edit(w) -> None:  # type: ignore[no-untyped-def]
        page = _page(w, 0)
        contents = page.raw_get("/Contents")
        old = list(contents) if isinstance(contents, generic.ArrayObject) else [contents]
        page[generic.NameObject("/Contents")] = generic.ArrayObject(
            [*old, generic.IndirectObject(stream, 0, w)])
        w.update_container(page)

    return _update(signed, edit)


def shadow_replace(pdf: bytes, team: Team) -> bytes:
    """Mainka replace (via overwrite): page 1's content stream object is re-defined with
    the same object number and new text."""
    from pyhanko.pdf_utils import generic

    def edit(w) -> None:  # type: ignore[no-untyped-def]
        page = _page(w, 0)
        contents = page.raw_get("/Contents")
        ref = contents[0] if isinstance(contents, generic.ArrayObject) else contents
        stream = ref.get_object()
        stream.strip_filters()
        stream.pop("/Filter", None)
        stream._data = stream._encoded_data = b"BT /F1 40 Tf 60 420 Td (Plan cancelled) Tj ET"
        w.mark_update(ref)

    return _update(pdf, edit)


def shadow_hide_and_replace(pdf: bytes, team: Team) -> bytes:
    """Mainka hide-and-replace: a new catalogue and page tree show the shadow page that was
    signed but never shown."""
    from pyhanko.pdf_utils import generic

    signed, _stream, page = _with_shadow(team)

    def edit(w) -> None:  # type: ignore[no-untyped-def]
        pages = w.add_object(generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Pages"),
            generic.NameObject("/Kids"): generic.ArrayObject([generic.IndirectObject(page, 0, w)]),
            generic.NameObject("/Count"): generic.NumberObject(1)}))
        w.root[generic.NameObject("/Pages")] = pages
        w.update_root()

    return _update(signed, edit)


def altered_certificate_bag(pdf: bytes, team: Team) -> bytes:
    """Issue 10: one byte flipped in the authority's certificate carried inside the
    signature (the /Contents hex, which the signature's digest does not cover)."""
    from cryptography.hazmat.primitives import serialization

    der = team.ca.certificate.public_bytes(serialization.Encoding.DER).hex().encode()
    data = bytearray(pdf)
    for candidate in (der, der.upper()):
        pos = bytes(data).find(candidate)
        if pos >= 0:
            target = pos + len(candidate) - 40  # inside the certificate's own signature value
            data[target] = ord("0") if data[target] != ord("0") else ord("1")
            return bytes(data)
    raise AssertionError("the authority's certificate is not in the signature")


def cut_in_the_middle_of_a_countersignature(pdf: bytes, team: Team) -> bytes:
    two = sign_pdf(pdf, team.pat, field_name="partner")
    return two[: len(pdf) + (len(two) - len(pdf)) // 2]


ATTACKS = {
    "overlay through a new signature field": (overlay_through_new_signature_field,
                                              "added a new signature field 'withdrawn' on page 2"),
    "signature into a new field over the content": (signature_into_a_new_field_over_the_content,
                                                    "added a new signature field 'overlay' on page 1"),
    "new annotation": (new_annotation, "added an annotation (FreeText) on page 1"),
    "incremental saving: new content": (incremental_saving_new_content, "changed page 1"),
    "incremental saving without a new xref": (incremental_saving_without_a_new_xref,
                                              "the file goes on after the last signature"),
    "signature wrapping: signature re-defined": (signature_wrapping_redefined_signature, "signature wrapping"),
    "signature wrapping: byte range rewritten": (signature_wrapping_rewritten_range,
                                                 "changed after signature 1 (Casey Coordinator)"),
    "signature wrapping: second range moved": (signature_wrapping_moved_second_range, DAMAGED),
    "universal forgery: no byte range": (universal_forgery_no_byte_range, "is malformed or forged"),
    "universal forgery: empty contents": (universal_forgery_empty_contents, "is malformed or forged"),
    "universal forgery: zero byte range": (universal_forgery_zero_byte_range, "NOT TRUSTWORTHY"),
    "universal forgery: unknown sub-filter": (universal_forgery_unknown_subfilter, "is malformed or forged"),
    "shadow hide": (shadow_hide, "changed page 1"),
    "shadow replace": (shadow_replace, "changed a content stream"),
    "shadow hide-and-replace": (shadow_hide_and_replace, "changed the document catalogue (/Pages)"),
    "altered certificate bag": (altered_certificate_bag, "not part of the signer's chain"),
    "revision cut short": (cut_in_the_middle_of_a_countersignature, DAMAGED),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_each_attack_is_refused_by_verify_and_by_countersigning(name, team, one, store, tmp_path, capsys):
    from ddassess.errors import UserFacingError
    from ddassess.services import signing
    from ddassess.services.careplan_files import countersign

    build, words = ATTACKS[name]
    crafted = tmp_path / "crafted.pdf"
    crafted.write_bytes(build(one, team))
    ca_pem = tmp_path / "ca.pem"
    ca_pem.write_bytes(certs.cert_pem(team.ca.certificate))
    capsys.readouterr()
    code = main(["pdf", "verify", str(crafted), "--trust", str(ca_pem)])
    out, err = capsys.readouterr()
    line = out.splitlines()[0]
    assert line.startswith("NOT TRUSTWORTHY: "), out
    signing.trust_authority(store, certs.cert_pem(team.ca.certificate))
    before = crafted.read_bytes()
    with pytest.raises(UserFacingError) as info:
        countersign(store, crafted, team.lee, "team_lead", out=tmp_path / "countersigned.pdf")
    if words == DAMAGED:
        assert code == 11 and DAMAGED in err, err
        assert info.value.message in err  # the same words as verify
    else:
        assert code == 13 and words in line, line
        assert isinstance(info.value, PlanRefusedError) and info.value.exit_code == 13
        assert info.value.message == line  # the same words as verify
    assert not (tmp_path / "countersigned.pdf").exists() and crafted.read_bytes() == before


# --- the honest plans are accepted --------------------------------------------------------


def test_the_untouched_signed_plan_is_accepted(team, one):
    check = check_plan(one, [team.ca.certificate])
    assert check.ok, check.lines()
    assert verdict(check) == ("OK: intact and trusted: signed by Casey Coordinator (care coordinator); person "
                              "signed by hand on the plan; partner practitioner's block unsigned; team lead's "
                              "block unsigned")
    assert check.blocks == ("service_user", "care_coordinator", "partner", "team_lead")


def test_a_signature_into_a_pre_existing_empty_block_is_accepted(team, one):
    two = sign_pdf(one, team.pat, field_name="partner")
    check = check_plan(two, [team.ca.certificate])
    assert check.ok, check.lines()
    assert verdict(check).endswith("signed by Casey Coordinator (care coordinator) and Pat Partner (partner "
                                   "practitioner); person signed by hand on the plan; team lead's block unsigned")


def test_all_four_blocks_signed_in_order_are_accepted_and_named(team, one):
    full = sign_pdf(sign_pdf(one, team.pat, field_name="partner"), team.lee, field_name="team_lead")
    check = check_plan(full, [team.ca.certificate])
    assert check.ok, check.lines()
    assert verdict(check) == ("OK: intact and trusted: signed by Casey Coordinator (care coordinator), Pat Partner "
                              "(partner practitioner) and Lee Lead (team lead); person signed by hand on the plan")
    lines = check.lines()
    assert "  person: signed by hand on the plan (not a digital signature)" in lines
    assert any(line.startswith("  team lead: signed by Lee Lead, ") and line.endswith("(trusted)") for line in lines)


def test_a_plan_cut_back_before_the_countersignature_says_which_block_it_lacks(team, one):
    """A copy cut at the end of an earlier revision is that earlier version, byte for byte:
    nothing signed says a countersignature followed. Verify names the block as unsigned."""
    two = sign_pdf(one, team.pat, field_name="partner")
    full = sign_pdf(two, team.lee, field_name="team_lead")
    assert full.startswith(two)
    check = check_plan(full[: len(two)], [team.ca.certificate])
    assert check.ok
    assert verdict(check).endswith("; team lead's block unsigned")
    assert "  team lead: unsigned" in check.lines()


def test_the_first_signature_certifies_and_each_block_is_locked(team, one):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import FieldMDPAction, MDPPerm

    two = sign_pdf(one, team.pat, field_name="partner")
    first, second = PdfFileReader(io.BytesIO(two)).embedded_signatures
    assert first.docmdp_level == MDPPerm.FILL_FORMS  # certification: form filling (signing) only
    assert second.docmdp_level is None  # an approval signature
    for sig in (first, second):
        assert sig.fieldmdp.action == FieldMDPAction.INCLUDE and sig.fieldmdp.fields == [sig.field_name]


def test_an_overlay_on_a_plan_signed_without_certification_is_refused_too(team, monkeypatch):
    """Verification does not rely on the certification: a plan signed before plans were
    certified (or by another program) gets the same strict check of what came after."""
    from ddassess.pdf import signing

    monkeypatch.setattr(signing, "_check_field", lambda *a: False)  # sign as an approval, not a certification
    uncertified = sign_pdf(_prepared(), team.casey, field_name="care_coordinator")
    monkeypatch.undo()
    assert check_plan(uncertified, [team.ca.certificate]).ok
    line = verdict(check_plan(overlay_through_new_signature_field(uncertified, team), [team.ca.certificate]))
    assert line.startswith("NOT TRUSTWORTHY: the document was changed after signature 1 (Casey Coordinator")
    assert "added a new signature field 'withdrawn' on page 2" in line
