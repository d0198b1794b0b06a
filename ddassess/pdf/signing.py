"""PAdES signatures on care plan PDFs, added and checked with pyHanko.

Each signature is an incremental update, so a countersignature leaves the earlier ones
intact: pyHanko's difference analysis then sees only form filling (signing an empty
signature field) after each earlier signature. A signature is judged on pyHanko's
``bottom_line`` — intact, valid, trusted by the team's roots, and nothing but allowed
changes after it — never on ``valid`` alone (a tampered file can still say valid).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass

from ddassess.codes import Code
from ddassess.errors import InvalidInputError, UserFacingError
from ddassess.pdf.certs import Identity, certificate_problem, common_name

log = logging.getLogger(__name__)


class NotAPdfError(UserFacingError):
    code = Code.PDF_001
    exit_code = 11


class NotSignedError(UserFacingError):
    code = Code.PDF_002
    exit_code = 12


class SignatureFieldError(InvalidInputError):
    """The signature block asked for is missing, already signed, or not this signer's to fill."""

    code = Code.PDF_004


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
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    problem = certificate_problem(identity.certificate)
    if problem:
        raise InvalidInputError(problem)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except (PdfReadError, ValueError) as exc:
        raise NotAPdfError("This file is not a readable PDF, so it cannot be signed.") from exc
    _check_field(writer, identity, field_name, new_field is not None)
    meta = signers.PdfSignatureMetadata(field_name=field_name, reason=reason or None, location=location or None,
                                        name=identity.common_name, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256")
    spec = None
    if new_field is not None:
        page, box = new_field
        spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=page, box=box)
    style = TextStampStyle(stamp_text="Digitally signed by %(signer)s\n%(ts)s", border_width=0,
                           text_box_style=TextBoxStyle(font=_stamp_font()))
    pdf_signer = signers.PdfSigner(meta, signer=_signer(identity), stamp_style=style, new_field_spec=spec)
    out = pdf_signer.sign_pdf(writer, existing_fields_only=new_field is None, bytes_reserved=_reserve(identity))
    return out.getvalue()


def _reserve(identity: Identity) -> int:
    """Room for the signature container, worked out from what goes in it: without it
    pyHanko signs twice, once only to measure the result (a third of the signing time).
    The certificates are the bulk; 8 KiB more covers an RSA-4096 signature, the signed
    attributes and any encoding slack, so it is never too small."""
    from cryptography.hazmat.primitives import serialization

    certs = [identity.certificate, *identity.chain]
    size = sum(len(c.public_bytes(serialization.Encoding.DER)) for c in certs) + 8192
    return size + size % 2  # pyHanko writes it as hex pairs: an even count


def _stamp_font():  # type: ignore[no-untyped-def]
    """The visible stamp in embedded DejaVu Sans, so "Łukasz Żółć" prints as written."""
    from ddassess.pdf.stampfont import StampFont

    return StampFont()


def _check_field(writer, identity: Identity, field_name: str, new: bool) -> None:  # type: ignore[no-untyped-def]
    """Refuse, before anything is written, a block that is missing or already signed, and a
    second role for a certificate that has already signed this plan."""
    from cryptography import x509
    from pyhanko.sign.fields import enumerate_sig_fields

    mine = identity.certificate.fingerprint(_sha256())
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
    for sig in writer.prev.embedded_signatures:
        if x509.load_der_x509_certificate(sig.signer_cert.dump()).fingerprint(_sha256()) == mine:
            raise SignatureFieldError(
                f"You have already signed this plan as {sig.field_name.replace('_', ' ')}; one person signs one "
                "role only.", hint="The other blocks are for the partner-service practitioner and the team lead.")


def _sha256():  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


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
    expired_since: str = ""  # the certificate expired after signing (information, not a failure)

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
        ] + ([f"    note: the certificate has since expired (on {self.expired_since}); it was valid when this "
              "signature was made, so the signature still stands"] if self.expired_since else [])


def verdict(reports: list[SignatureReport]) -> str:
    """One line that says, in words, whether the document can be relied on; the per-signature
    details follow it. "signature valid: yes" beside "trusted: NO" read as mixed news, so the
    verdict names the first thing that fails, in the order that matters most to a reader:
    the document changed after a signature, a signature that does not check out, a signer
    nobody here trusts."""
    n = len(reports)
    for i, r in enumerate(reports, start=1):
        who = f"signature {i} ({r.signer})"
        if not r.intact or not r.unchanged_after:
            return f"NOT TRUSTWORTHY: the document was changed after signature {i} ({r.signer})"
        if not r.valid or (r.trusted and not r.bottom_line):
            return f"NOT TRUSTWORTHY: {who} does not check out"
        if not r.trusted:
            return f"NOT TRUSTWORTHY: {who} is not from an authority you trust"
    if n == 1:
        return "OK: 1 signature, intact, valid and trusted"
    return f"OK: {n} signatures, all intact, valid and trusted"


def signatures_of(pdf: bytes) -> list:  # type: ignore[type-arg]
    """The embedded signatures of ``pdf``; NotAPdfError / NotSignedError when there is
    nothing to verify. Needs no trust roots, so a command can say "not a PDF" or "not
    signed" before it asks where the trusted authorities are."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader

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
    return embedded


def verify_pdf(pdf: bytes, trust_roots: list) -> list[SignatureReport]:  # type: ignore[type-arg]
    """Report every signature of ``pdf`` against the given trusted root certificates."""
    embedded = signatures_of(pdf)
    roots = _roots(tuple(c.fingerprint(_sha256()) for c in trust_roots), tuple(trust_roots))
    return [_report(sig, roots) for sig in embedded]


_ROOT_CACHE: dict = {}  # type: ignore[type-arg]


def _roots(key: tuple, certs: tuple) -> list:  # type: ignore[type-arg]
    """The trust roots as pyHanko objects, converted once per set of roots (verifying
    several plans against the same team authority is the common case)."""
    if key not in _ROOT_CACHE:
        _ROOT_CACHE.clear()
        _ROOT_CACHE[key] = [_asn1_cert(c) for c in certs]
    return _ROOT_CACHE[key]


def _report(sig, roots: list) -> SignatureReport:  # type: ignore[no-untyped-def, type-arg]
    """One signature checked at the time it was made.

    The certificate is validated at the signer-reported signing time (pyHanko's
    ``ValidationContext(moment=...)``): a plan signed while the certificate was valid stays
    valid after the certificate expires (certificates last 3 years; plans are kept longer),
    and the expiry is reported as information. A certificate already expired (or not yet
    valid) at the signing time still fails. The signing time is the signer's own claim — there
    is no timestamp authority offline — so this trusts the signer's clock, as a paper
    signature trusts the date written beside it."""
    from cryptography import x509
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        when = sig.self_reported_timestamp
        context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail",
                                    moment=when)
        status = validate_pdf_signature(sig, context)
    except Exception as exc:  # noqa: BLE001 - pyHanko raises many types for mangled signatures
        log.info("signature %s could not be validated: %s", sig.field_name, exc.__class__.__name__)
        return SignatureReport(sig.field_name, "(unreadable)", "", False, False, False, False,
                               f"could not be checked: {exc.__class__.__name__}")
    level = status.modification_level
    unchanged = status.docmdp_ok is not False and (level is None or level <= ModificationLevel.FORM_FILLING)
    signed_at = status.signer_reported_dt.strftime("%d %b %Y %H:%M UTC") if status.signer_reported_dt else "unknown"
    signer_cert = x509.load_der_x509_certificate(status.signing_cert.dump())
    expired = signer_cert.not_valid_after_utc < dt.datetime.now(dt.UTC)
    return SignatureReport(
        field=sig.field_name, signer=common_name(signer_cert), signed_at=signed_at,
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        unchanged_after=bool(unchanged), summary=status.summary(), bottom_line=bool(status.bottom_line),
        expired_since=f"{signer_cert.not_valid_after_utc:%d %b %Y}" if expired and status.trusted else "",
    )
