"""PAdES signatures on care plan PDFs, added and checked with pyHanko.

Each signature is an incremental update, so a countersignature leaves the earlier ones
intact: pyHanko's difference analysis then sees only form filling (signing an empty
signature field) after each earlier signature. A signature is judged on pyHanko's
``bottom_line`` — intact, valid, trusted by the team's roots, and nothing but allowed
changes after it — never on ``valid`` alone (a tampered file can still say valid).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from ddassess.errors import InvalidInputError, UserFacingError
from ddassess.pdf.certs import Identity, certificate_problem, common_name

log = logging.getLogger(__name__)


class NotAPdfError(UserFacingError):
    code = "PDF_001"
    exit_code = 11


class NotSignedError(UserFacingError):
    code = "PDF_002"
    exit_code = 12


def _asn1_cert(cert):  # type: ignore[no-untyped-def]
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _signer(identity: Identity):  # type: ignore[no-untyped-def]
    from asn1crypto import keys as asn1_keys
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = identity.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
    return signers.SimpleSigner(
        signing_cert=_asn1_cert(identity.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(c) for c in identity.chain]),
    )


def sign_pdf(pdf: bytes, identity: Identity, *, field_name: str, reason: str = "", location: str = "",
             new_field: tuple[int, tuple[int, int, int, int]] | None = None) -> bytes:
    """Sign ``field_name`` (an empty signature field of the PDF, or a new visible one at
    ``new_field=(page, box)``) as ``identity``; returns the PDF with one more revision."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    problem = certificate_problem(identity.certificate)
    if problem:
        raise InvalidInputError(problem)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except (PdfReadError, ValueError) as exc:
        raise NotAPdfError("This file is not a readable PDF, so it cannot be signed.") from exc
    meta = signers.PdfSignatureMetadata(field_name=field_name, reason=reason or None, location=location or None,
                                        name=identity.common_name, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256")
    spec = None
    if new_field is not None:
        page, box = new_field
        spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=page, box=box)
    style = TextStampStyle(stamp_text="Digitally signed by %(signer)s\n%(ts)s", border_width=0)
    pdf_signer = signers.PdfSigner(meta, signer=_signer(identity), stamp_style=style, new_field_spec=spec)
    out = pdf_signer.sign_pdf(writer, existing_fields_only=new_field is None)
    return out.getvalue()


@dataclass(frozen=True)
class SignatureReport:
    field: str
    signer: str
    signed_at: str
    intact: bool
    valid: bool
    trusted: bool
    unchanged_after: bool
    summary: str
    bottom_line: bool = False  # pyHanko's own overall verdict

    @property
    def ok(self) -> bool:
        return self.bottom_line and self.intact and self.valid and self.trusted and self.unchanged_after

    def lines(self) -> list[str]:
        mark = "OK" if self.ok else "PROBLEM"
        return [
            f"{mark}: signature '{self.field}' by {self.signer}, signed {self.signed_at}",
            f"    content intact: {'yes' if self.intact else 'NO — the signed bytes were changed (tampered)'}",
            f"    signature valid: {'yes' if self.valid else 'NO'}",
            f"    certificate trusted by the team's authority: {'yes' if self.trusted else 'NO'}",
            "    document after signing: " + ("only further signatures or form filling" if self.unchanged_after
                                               else "CHANGED after this signature"),
        ]


def verify_pdf(pdf: bytes, trust_roots: list) -> list[SignatureReport]:  # type: ignore[type-arg]
    """Report every signature of ``pdf`` against the given trusted root certificates."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    if not pdf.lstrip()[:5] == b"%PDF-":
        raise NotAPdfError("This file is not a PDF.", hint="Choose the care plan PDF you were sent.")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfReadError, ValueError, KeyError) as exc:
        raise NotAPdfError(f"This PDF is damaged and cannot be read ({exc.__class__.__name__}).") from exc
    if not embedded:
        raise NotSignedError("This PDF has no digital signatures.",
                             hint="Only care plans signed in ddassess (or another PAdES signer) can be verified.")
    context = ValidationContext(trust_roots=[_asn1_cert(c) for c in trust_roots], allow_fetching=False,
                                revocation_mode="soft-fail")
    reports = []
    for sig in embedded:
        try:
            status = validate_pdf_signature(sig, context)
        except Exception as exc:  # noqa: BLE001 - pyHanko raises many types for mangled signatures
            log.info("signature %s could not be validated: %s", sig.field_name, exc.__class__.__name__)
            reports.append(SignatureReport(sig.field_name, "(unreadable)", "", False, False, False, False,
                                           f"could not be checked: {exc.__class__.__name__}"))
            continue
        level = status.modification_level
        unchanged = status.docmdp_ok is not False and (level is None or level <= ModificationLevel.FORM_FILLING)
        signed_at = status.signer_reported_dt.strftime("%d %b %Y %H:%M UTC") if status.signer_reported_dt else "unknown"
        from cryptography import x509

        signer_cert = x509.load_der_x509_certificate(status.signing_cert.dump())
        reports.append(SignatureReport(
            field=sig.field_name, signer=common_name(signer_cert), signed_at=signed_at,
            intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
            unchanged_after=bool(unchanged), summary=status.summary(), bottom_line=bool(status.bottom_line),
        ))
    return reports
