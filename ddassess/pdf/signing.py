"""PAdES signatures added to care plan PDFs with pyHanko.

The first signature on a plan *certifies* it (DocMDP, "form filling only"), and every
signature locks its own field (FieldMDP), so a reader that honours PDF permissions allows
nothing afterwards but signing the plan's other, already-present signature fields. Before
anything is written, the signer's certificate must be a practitioner's, the block must
exist and be empty, and one certificate signs one role only.

Checking a signed plan is ``ddassess.pdf.verification`` (docs/signing.md has the whole
list of checks and what verification cannot know). The errors both sides raise are here.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from ddassess.codes import Code
from ddassess.errors import InvalidInputError, UserFacingError
from ddassess.pdf.certs import Identity, certificate_problem

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from pyhanko.sign.signers import SimpleSigner

    from ddassess.pdf.stampfont import StampFont


class NotAPdfError(UserFacingError):
    code = Code.PDF_001
    exit_code = 11


class NotSignedError(UserFacingError):
    code = Code.PDF_002
    exit_code = 12


class SignatureFieldError(InvalidInputError):
    """The signature block asked for is missing, already signed, or not this signer's to fill."""

    code = Code.PDF_004


class PlanRefusedError(UserFacingError):
    """A plan whose check fails is not signed (countersigning): the message is verify's verdict."""

    code = Code.PDF_005
    exit_code = 13


def asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    """The certificate as asn1crypto's, the form pyHanko works with."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _signer(identity: Identity) -> SimpleSigner:
    from asn1crypto import keys as asn1_keys
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = identity.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
    return signers.SimpleSigner(
        signing_cert=asn1_cert(identity.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([asn1_cert(c) for c in identity.chain]),
    )


def sign_pdf(pdf: bytes, identity: Identity, *, field_name: str, reason: str = "", location: str = "",
             new_field: tuple[int, tuple[int, int, int, int]] | None = None, timestamper: Any = None) -> bytes:
    """Sign ``field_name`` (an empty signature field of the PDF, or a new visible one at
    ``new_field=(page, box)``) as ``identity``; returns the PDF with one more revision.

    The first signature certifies the document (only form filling and signing allowed after
    it); every signature locks its own field (the field's /Lock, written when the plan's
    fields are made: ``careplan.prepare_for_signing``). ``timestamper`` (a pyHanko ``TimeStamper``,
    e.g. an organisation's RFC 3161 service) adds a timestamp token to the signature."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    problem = certificate_problem(identity.certificate)
    if problem:
        raise InvalidInputError(problem)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except (PdfReadError, ValueError) as exc:
        raise NotAPdfError("This file is not a readable PDF, so it cannot be signed.") from exc
    first = _check_field(writer, identity, field_name, new_field is not None)
    lock = fields.FieldMDPSpec(fields.FieldMDPAction.INCLUDE, fields=[field_name])
    meta = signers.PdfSignatureMetadata(field_name=field_name, reason=reason or None, location=location or None,
                                        name=identity.common_name, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", certify=first,
                                        docmdp_permissions=fields.MDPPerm.FILL_FORMS)
    spec = None
    if new_field is not None:
        page, box = new_field
        spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=page, box=box, field_mdp_spec=lock)
    style = TextStampStyle(stamp_text="Digitally signed by %(signer)s\n%(ts)s", border_width=0,
                           text_box_style=TextBoxStyle(font=_stamp_font()))
    pdf_signer = signers.PdfSigner(meta, signer=_signer(identity), stamp_style=style, new_field_spec=spec,
                                   timestamper=timestamper)
    reserve = _reserve(identity) + (2 * 8192 if timestamper is not None else 0)  # a token: the TSA's certificates
    out = pdf_signer.sign_pdf(writer, existing_fields_only=new_field is None, bytes_reserved=reserve)
    return bytes(out.getvalue())


def _reserve(identity: Identity) -> int:
    """Room for the signature container, worked out from what goes in it: without it
    pyHanko signs twice, once only to measure the result (a third of the signing time).
    The certificates are the bulk, then the signature value itself (an RSA key's size, or
    two EC integers); 2 KiB more holds the signed attributes (about 400 bytes) with room to
    spare. Kept tight because every verification reads the reserved room as hex. (pyHanko's
    ``bytes_reserved`` counts hex digits: the 8 KiB of "bytes" reserved before held 4 KiB.)"""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    certs = [identity.certificate, *identity.chain]
    bits = identity.key.key_size
    value = bits // 8 if isinstance(identity.key, rsa.RSAPrivateKey) else 2 * (bits // 8 + 8)
    size = sum(len(c.public_bytes(serialization.Encoding.DER)) for c in certs) + value + 2048
    return 2 * size  # pyHanko counts the room in hex digits, two per byte


def _stamp_font() -> StampFont:
    """The visible stamp in embedded DejaVu Sans, so "Łukasz Żółć" prints as written."""
    from ddassess.pdf.stampfont import StampFont

    return StampFont()


def _check_field(writer: Any, identity: Identity, field_name: str, new: bool) -> bool:
    """Refuse, before anything is written, a block that is missing or already signed, and a
    second role for a certificate that has already signed this plan. True when this is the
    document's first signature (which then certifies it)."""
    from cryptography import x509
    from pyhanko.sign.fields import enumerate_sig_fields

    mine = identity.certificate.fingerprint(sha256())
    filled = {}
    for name, value, _ref in enumerate_sig_fields(writer.prev):
        filled[name] = value
    if not new and field_name not in filled:
        raise SignatureFieldError(f"This PDF has no signature block '{field_name}'.",
                                  hint="Choose one of: " + ", ".join(sorted(filled)) + "." if filled else
                                  "Only care plans saved by ddassess have signature blocks.")
    if filled.get(field_name) is not None:
        raise SignatureFieldError(f"The '{field_name.replace('_', ' ')}' block of this plan is already signed.",
                                  hint="Each block is signed once; choose your own role's block.")
    existing = list(writer.prev.embedded_signatures)
    for sig in existing:
        if x509.load_der_x509_certificate(sig.signer_cert.dump()).fingerprint(sha256()) == mine:
            raise SignatureFieldError(
                f"You have already signed this plan as {sig.field_name.replace('_', ' ')}; one person signs one "
                "role only.", hint="The other blocks are for the partner-service practitioner and the team lead.")
    return not existing


def sha256() -> hashes.SHA256:
    """The hash a certificate's fingerprint is taken with."""
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


