"""PAdES signatures on care plan PDFs, added and checked with pyHanko.

Signing: the first signature on a plan *certifies* it (DocMDP, "form filling only"), and
every signature locks its own field (FieldMDP), so a reader that honours PDF permissions
allows nothing afterwards but signing the plan's other, already-present signature fields.

Verifying does not rely on a reader honouring anything. Each signature is checked by
pyHanko (intact, valid, trusted by the team's roots) and every revision added after it is
compared with a difference policy stricter than pyHanko's default: the only change allowed
is filling one of the plan's own pre-existing, empty signature fields (plus bookkeeping a
reader never shows: cross-reference and object streams, the signature's validation data).
A new field or widget, an annotation, a content stream, resources, the page tree, the
outline, or anything pyHanko cannot classify is refused, saying what was added after
whose signature. On top of that: the file must end where the last signature ends, the
certificates carried in a signature must all be the signer's chain, the signer's
certificate must be a practitioner's (signing key usage, not an authority), and the
signing time must be credible (see ``_time_problems``). docs/signing.md has the whole
list and what verification cannot know.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ddassess.codes import Code
from ddassess.errors import InvalidInputError, UserFacingError
from ddassess.pdf.certs import Identity, certificate_problem, common_name, usage_problem

log = logging.getLogger(__name__)

# How far a signer's clock may run ahead of the verifier's, or behind the plan's maker's
# or the previous signer's, before a signing time is refused.
CLOCK_SKEW = dt.timedelta(minutes=5)
PLAN_KEY = "/DDAssessPlan"  # written by careplan.prepare_for_signing, covered by the first signature
BLOCK_LABELS = {"service_user": "person", "care_coordinator": "care coordinator",
                "partner": "partner practitioner", "team_lead": "team lead"}
PERSON_STATES = {"drawn": "signed by hand on the plan (not a digital signature)",
                 "verbal": "agreed verbally, recorded on the plan (not a digital signature)",
                 "unsigned": "unsigned"}


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


def label(field_name: str) -> str:
    """A signature block's name in words ("team lead" for ``team_lead``)."""
    return BLOCK_LABELS.get(field_name, field_name.replace("_", " "))


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


def _stamp_font():  # type: ignore[no-untyped-def]
    """The visible stamp in embedded DejaVu Sans, so "Łukasz Żółć" prints as written."""
    from ddassess.pdf.stampfont import StampFont

    return StampFont()


def _check_field(writer: Any, identity: Identity, field_name: str, new: bool) -> bool:
    """Refuse, before anything is written, a block that is missing or already signed, and a
    second role for a certificate that has already signed this plan. True when this is the
    document's first signature (which then certifies it)."""
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
    existing = list(writer.prev.embedded_signatures)
    for sig in existing:
        if x509.load_der_x509_certificate(sig.signer_cert.dump()).fingerprint(_sha256()) == mine:
            raise SignatureFieldError(
                f"You have already signed this plan as {sig.field_name.replace('_', ' ')}; one person signs one "
                "role only.", hint="The other blocks are for the partner-service practitioner and the team lead.")
    return not existing


def _sha256():  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).strftime("%d %b %Y %H:%M UTC") if moment else "unknown"


# --- the result of a check ------------------------------------------------------------------


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
    time_source: str = ""  # where the signing time comes from, in words
    changes: str = ""  # what was changed after this signature, in words
    changed_in: int = -1  # the first revision after this signature that was refused
    problems: tuple[str, ...] = ()  # everything else that fails: time, key usage, certificates, bytes
    signed_revision: int = -1
    signed_when: dt.datetime | None = None
    readable: bool = True  # False: the signature could not even be parsed (malformed or forged)

    @property
    def role(self) -> str:
        return label(self.field)

    @property
    def ok(self) -> bool:
        return (self.bottom_line and self.intact and self.valid and self.trusted and self.unchanged_after
                and not self.problems)

    def lines(self) -> list[str]:
        mark = "OK" if self.ok else "PROBLEM"
        after = ("only signatures into the plan's own empty signature blocks" if self.unchanged_after
                 else "CHANGED after this signature" + (f": {self.changes}" if self.changes else ""))
        return [
            f"{mark}: signature '{self.field}' by {self.signer}, signed {self.signed_at}",
            f"    content intact: {'yes' if self.intact else 'NO — the signed bytes were changed (tampered)'}",
            f"    signature valid: {'yes' if self.valid else 'NO'}",
            f"    certificate trusted by the team's authority: {'yes' if self.trusted else 'NO'}",
            "    document after signing: " + after,
        ] + ([f"    signing time: {self.time_source}"] if self.time_source else []) \
          + [f"    PROBLEM: {p}" for p in self.problems] \
          + ([f"    note: the certificate has since expired (on {self.expired_since}); it was valid when this "
              "signature was made, so the signature still stands"] if self.expired_since else [])


@dataclass(frozen=True)
class PlanCheck:
    """Every signature of a PDF checked, and the plan's signature blocks: which are signed,
    which are still empty. ``blocks`` come from the plan's own record (covered by its first
    signature); a PDF without one lists its signature fields instead."""

    reports: list[SignatureReport]
    blocks: tuple[str, ...] = ()
    person: str | None = None  # how the person's block is signed (a ddassess plan only)
    made: dt.datetime | None = None  # when this plan version was made (a ddassess plan only)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)

    @property
    def headline(self) -> str:
        """The verdict: one line, in words."""
        return verdict(self)

    def block_lines(self) -> list[str]:
        by_field = {r.field: r for r in self.reports}
        out = []
        for block in self.blocks:
            r = by_field.get(block)
            if block == "service_user" and r is None:
                state = PERSON_STATES.get(self.person or "unsigned", "unsigned")
            elif r is None:
                state = "unsigned"
            else:
                state = (f"signed by {r.signer}, {r.signed_at} "
                         f"({'trusted' if r.trusted else 'NOT trusted'}{'' if r.ok else ', FAILED the check'})")
            out.append(f"  {label(block)}: {state}")
        return out

    def lines(self) -> list[str]:
        """The verdict, then the blocks, then every signature's details."""
        head = [self.headline]
        if self.blocks:
            head += ["", "Signature blocks of this plan:", *self.block_lines()]
        if self.made is not None:
            head.append(f"This plan version was made {_when(self.made)}.")
        return head + [""] + [line for r in self.reports for line in r.lines()]


def verdict(check: PlanCheck | Sequence[SignatureReport]) -> str:
    """One line that says, in words, whether the plan can be relied on, and names each
    block: signed by whom (trusted) or still unsigned. A failure names the first thing that
    fails, in the order that matters most to a reader: the document changed after a
    signature (and what), a signature that does not check out, a signer nobody here trusts,
    anything else (time, certificate use)."""
    if not isinstance(check, PlanCheck):
        check = PlanCheck(list(check))
    reports = check.reports
    broken = next((r for r in reports if not r.readable), None)
    if broken is not None:
        return f"NOT TRUSTWORTHY: {broken.problems[0] if broken.problems else 'a signature cannot be read'}"
    changed = [r for r in reports if not r.intact or not r.unchanged_after]
    if changed:
        tampered = next((r for r in reports if not r.intact), None)
        if tampered is not None:
            i = reports.index(tampered) + 1
            return f"NOT TRUSTWORTHY: the document was changed after signature {i} ({tampered.signer})"
        first = min(r.changed_in for r in changed)
        before = [r for r in reports if r.signed_revision < first] or changed
        last = before[-1]
        i = reports.index(last) + 1
        what = next((r.changes for r in changed if r.changed_in == first and r.changes), "")
        return (f"NOT TRUSTWORTHY: the document was changed after signature {i} ({last.signer}, {last.role})"
                + (f": {what}" if what else ""))
    for i, r in enumerate(reports, start=1):
        who = f"signature {i} ({r.signer}, {r.role})"
        if not r.valid:
            return f"NOT TRUSTWORTHY: {who} does not check out"
        if r.problems:
            return f"NOT TRUSTWORTHY: {who}: {r.problems[0]}"
        if not r.trusted:
            return f"NOT TRUSTWORTHY: signature {i} ({r.signer}) is not from an authority you trust"
        if not r.bottom_line:
            return f"NOT TRUSTWORTHY: {who} does not check out"
    signed = [f"{r.signer} ({r.role})" for r in reports]
    names = signed[0] if len(signed) == 1 else ", ".join(signed[:-1]) + " and " + signed[-1]
    done = {r.field for r in reports}
    rest = []
    for block in check.blocks:
        if block == "service_user" and block not in done:
            if check.person in ("drawn", "verbal"):
                rest.append("person " + ("signed by hand on the plan" if check.person == "drawn"
                                         else "agreed verbally (recorded on the plan)"))
            else:
                rest.append("person's block unsigned")
        elif block not in done:
            rest.append(f"{label(block)}'s block unsigned")
    return "OK: intact and trusted: signed by " + names + ("; " + "; ".join(rest) if rest else "")


def signatures_of(pdf: bytes) -> list[Any]:
    """The embedded signatures of ``pdf``; NotAPdfError / NotSignedError when there is
    nothing to verify. Needs no trust roots, so a command can say "not a PDF" or "not
    signed" before it asks where the trusted authorities are."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader

    if not pdf.lstrip()[:5] == b"%PDF-":
        raise NotAPdfError("This file is not a PDF.", hint="Choose the care plan PDF you were sent.")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = _collect(reader)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise NotAPdfError(f"This PDF is damaged and cannot be read ({exc.__class__.__name__}).",
                           hint="It may have been cut short or altered; ask the sender for the original.") from exc
    if not embedded:
        raise NotSignedError("This PDF has no digital signatures.",
                             hint="Only care plans signed in ddassess (or another PAdES signer) can be verified.")
    return embedded


@dataclass(frozen=True)
class _Malformed:
    """A filled signature field whose signature cannot even be read: no byte range, no or
    empty contents, an unknown sub-filter (the shapes of a universal signature forgery).
    pyHanko would skip some of these silently; here each is a failed signature."""

    field_name: str
    signed_revision: int
    reason: str


def _collect(reader: Any) -> list[Any]:
    from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

    known = {f.value for f in SigSeedSubFilter}
    out: list[Any] = []
    for name, value, field_ref in enumerate_sig_fields(reader, filled_status=True):
        try:
            revision = reader.xrefs.get_last_change(field_ref.get_object().raw_get("/V").reference)
        except Exception:  # noqa: BLE001 - a direct /V, or one pyHanko cannot place
            revision = reader.xrefs.total_revisions - 1
        try:
            subfilter = value.get_object().get("/SubFilter")
            if subfilter not in known:
                out.append(_Malformed(name, revision, f"its sub-filter {subfilter} is not a signature format"))
                continue
            out.append(EmbeddedPdfSignature(reader, field_ref, name))
        except Exception as exc:  # noqa: BLE001 - pyHanko raises many types for forged signatures
            detail = str(exc) if 0 < len(str(exc)) <= 60 else "malformed"
            out.append(_Malformed(name, revision, f"it cannot be read ({exc.__class__.__name__}: {detail})"))
    return out


def verify_pdf(pdf: bytes, trust_roots: list[Any]) -> list[SignatureReport]:
    """Report every signature of ``pdf`` against the given trusted root certificates."""
    return check_plan(pdf, trust_roots).reports


def check_plan(pdf: bytes, trust_roots: list[Any]) -> PlanCheck:
    """Every signature of ``pdf`` checked against the trusted roots, with the plan's blocks."""
    found = sorted(signatures_of(pdf), key=lambda s: s.signed_revision)
    embedded = [s for s in found if not isinstance(s, _Malformed)]
    roots = _roots(tuple(c.fingerprint(_sha256()) for c in trust_roots), tuple(trust_roots))
    blocks, person, made = _plan_record(embedded[0]) if embedded else ((), None, None)
    reports: list[SignatureReport] = []
    previous: SignatureReport | None = None
    total = embedded[0].reader.xrefs.total_revisions if embedded else 0
    for sig in found:
        if isinstance(sig, _Malformed):
            reports.append(SignatureReport(
                sig.field_name, "(unreadable)", "unknown", False, False, False, True, "malformed",
                signed_revision=sig.signed_revision, readable=False,
                problems=(f"the signature in '{sig.field_name}' is malformed or forged: {sig.reason}",)))
            continue
        report = _report(sig, roots, made=made, previous=previous, last=sig.signed_revision == total - 1)
        reports.append(report)
        if report.signed_when is not None:
            previous = report
    if not blocks and embedded:
        blocks = tuple(_field_names(embedded[0].reader))
    return PlanCheck(reports, blocks, person, made)


def _field_names(reader: Any) -> list[str]:
    from pyhanko.sign.fields import enumerate_sig_fields

    return [name for name, _value, _ref in enumerate_sig_fields(reader)]


def _plan_record(first: Any) -> tuple[tuple[str, ...], str | None, dt.datetime | None]:
    """The plan's record as the first signature covers it: blocks, person's block, made."""
    try:
        root = first.reader.get_historical_resolver(first.signed_revision).root
        record = root.get(PLAN_KEY)
        if record is None:
            return (), None, None
        record = record.get_object()
        blocks = tuple(str(b) for b in record.get("/Blocks", []))
        person = str(record.get("/Person", "unsigned"))
        made = dt.datetime.strptime(str(record["/Made"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except (KeyError, ValueError, TypeError, AttributeError):
        return (), None, None
    return blocks, person, made


_ROOT_CACHE: dict[tuple[Any, ...], list[Any]] = {}


def _roots(key: tuple[Any, ...], certs: tuple[Any, ...]) -> list[Any]:
    """The trust roots as pyHanko objects, converted once per set of roots (verifying
    several plans against the same team authority is the common case)."""
    if key not in _ROOT_CACHE:
        _ROOT_CACHE.clear()
        _ROOT_CACHE[key] = [_asn1_cert(c) for c in certs]
    return _ROOT_CACHE[key]


def strict_diff_policy() -> Any:
    """pyHanko's standard difference analysis with only what a signed plan may gain: one of
    its existing signature fields filled (``SigFieldModificationRule``; no field creation, no
    other field changes), and bookkeeping a reader never shows (cross-reference and object
    streams, the document security store, catalogue keys such as /Extensions, and the
    modification date and producer pyHanko writes into the document information and XMP
    metadata at every signature). Any other change to the document information or metadata,
    annotations, pages, content and anything unclassified are left unexplained, which
    pyHanko reports as a suspicious modification."""
    from pyhanko.sign.diff_analysis import (
        CatalogModificationRule,
        DSSCompareRule,
        FormUpdatingRule,
        ModificationLevel,
        ObjectStreamRule,
        SigFieldModificationRule,
        StandardDiffPolicy,
        XrefStreamRule,
    )

    return StandardDiffPolicy(
        global_rules=[
            CatalogModificationRule(),
            _DateAndProducerOnly().as_qualified(ModificationLevel.LTA_UPDATES),
            XrefStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
            ObjectStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
            DSSCompareRule().as_qualified(ModificationLevel.LTA_UPDATES),
        ],
        form_rule=FormUpdatingRule(field_rules=[SigFieldModificationRule()]),
        ignore_orphaned_objects=False,
    )


_BOOKKEEPING = {"/ModDate", "/Producer"}
_XMP_BOOKKEEPING = {"ModifyDate", "MetadataDate", "Producer"}


def _info_essentials(info: Any) -> dict[str, str]:
    return {str(k): str(v.get_object()) for k, v in info.get_object().items() if k not in _BOOKKEEPING}


def _xmp_essentials(stream: Any) -> list[tuple[str, str]]:
    """The XMP metadata's values, whatever the layout, without pyHanko's bookkeeping."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(stream.get_object().data, parser=parser)
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        name = etree.QName(el).localname
        if name in _XMP_BOOKKEEPING:
            continue
        if el.text and el.text.strip():
            out.append((name, el.text.strip()))
        out += [(etree.QName(k).localname, v) for k, v in el.attrib.items()
                if etree.QName(k).localname not in _XMP_BOOKKEEPING]
    return sorted(out)


def _rule_base() -> Any:
    from pyhanko.sign.diff_analysis import WhitelistRule

    return WhitelistRule


class _DateAndProducerOnly(_rule_base()):  # type: ignore[misc]
    """Approve a new document information dictionary or XMP metadata stream only when nothing
    but the modification date and the producer changed (what pyHanko writes at every
    signature); a changed title, author or subject is left unexplained, so refused."""

    def apply(self, old: Any, new: Any) -> Any:
        from pyhanko.sign.diff_analysis import DocInfoRule, MetadataUpdateRule

        try:
            old_info = old.trailer_view.get_value_as_reference("/Info", optional=True)
            new_info = new.trailer_view.get_value_as_reference("/Info", optional=True)
            if old_info is not None and new_info is not None and \
                    _info_essentials(old(old_info)) == _info_essentials(new(new_info)):
                yield from DocInfoRule().apply(old, new)
            old_xmp, new_xmp = old.root.raw_get("/Metadata"), new.root.raw_get("/Metadata")
            if _xmp_essentials(old_xmp) == _xmp_essentials(new_xmp):
                yield from MetadataUpdateRule().apply(old, new)
        except Exception:  # noqa: BLE001 - anything unreadable stays unexplained, so refused
            return


_POLICY: list[Any] = []


def _policy() -> Any:
    if not _POLICY:
        _POLICY.append(strict_diff_policy())
    return _POLICY[0]


def _report(sig: Any, roots: list[Any], *, made: dt.datetime | None, previous: SignatureReport | None,
            last: bool) -> SignatureReport:
    """One signature checked at the time it was made (see ``_time_problems``), with the
    revisions after it under the strict difference policy."""
    from cryptography import x509
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        claimed = sig.self_reported_timestamp

        def context(moment: dt.datetime | None) -> Any:
            return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail",
                                     moment=moment)

        status = validate_pdf_signature(sig, context(claimed), diff_policy=_policy(),
                                        ts_validation_context=context(None))
        token = status.timestamp_validity
        when, source = claimed, "the signer's own claim (their computer's clock); no timestamp token"
        token_problem = ""
        if token is not None:
            if token.intact and token.valid and token.trusted:
                when = token.timestamp
                source = f"from a trusted RFC 3161 timestamp token ({common_name(_crypto(token.signing_cert))})"
                if claimed is None or abs(token.timestamp - claimed) > CLOCK_SKEW:
                    status = validate_pdf_signature(sig, context(when), diff_policy=_policy(),
                                                    ts_validation_context=context(None))
            else:
                token_problem = "its timestamp token does not check out (not intact, or not from a trusted authority)"
    except Exception as exc:  # noqa: BLE001 - pyHanko raises many types for mangled signatures
        log.info("signature %s could not be validated: %s", sig.field_name, exc.__class__.__name__)
        return SignatureReport(sig.field_name, "(unreadable)", "", False, False, False, False,
                               f"could not be checked: {exc.__class__.__name__}", signed_revision=sig.signed_revision,
                               readable=False,
                               problems=(f"the signature in '{sig.field_name}' is malformed or forged: it cannot be "
                                         f"checked ({exc.__class__.__name__})",))
    level = status.modification_level
    unchanged = status.docmdp_ok is not False and level is not None and level <= ModificationLevel.FORM_FILLING
    changes, changed_in = ("", -1) if unchanged else _what_changed(sig)
    signer_cert = x509.load_der_x509_certificate(status.signing_cert.dump())
    problems = [p for p in (token_problem, usage_problem(signer_cert), _bag_problem(sig, status),
                            _coverage_problem(sig, last)) if p]
    if when is not None:
        problems += _time_problems(when, signer_cert, made=made, previous=previous)
    else:
        problems.append("it carries no signing time, so nothing says when it was made")
    expired = signer_cert.not_valid_after_utc < dt.datetime.now(dt.UTC)
    return SignatureReport(
        field=sig.field_name, signer=common_name(signer_cert), signed_at=_when(when),
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        unchanged_after=bool(unchanged), summary=status.summary(), bottom_line=bool(status.bottom_line),
        expired_since=f"{signer_cert.not_valid_after_utc:%d %b %Y}" if expired and status.trusted else "",
        time_source=f"{_when(when)}, {source}", changes=changes, changed_in=changed_in,
        problems=tuple(problems), signed_revision=sig.signed_revision, signed_when=when,
    )


def _crypto(cert: Any) -> Any:
    from cryptography import x509

    return x509.load_der_x509_certificate(cert.dump())


def _time_problems(when: dt.datetime, cert: Any, *, made: dt.datetime | None,
                   previous: SignatureReport | None) -> list[str]:
    """A signing time is refused when it is in the future (beyond the clock skew), before
    the plan version was made, before the previous signature, or outside the certificate's
    validity. Without a timestamp token it is the signer's own claim: these checks catch a
    clock set wrong, not a signer who also made the plan on a clock set back."""
    now = dt.datetime.now(dt.UTC)
    out = []
    if when > now + CLOCK_SKEW:
        out.append(f"its signing time ({_when(when)}) is in the future")
    if made is not None and when < made - CLOCK_SKEW:
        out.append(f"its signing time ({_when(when)}) is before this plan version was made ({_when(made)})")
    if previous is not None and previous.signed_when is not None and when < previous.signed_when - CLOCK_SKEW:
        out.append(f"its signing time ({_when(when)}) is before the previous signature "
                   f"({previous.signer}, {_when(previous.signed_when)})")
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        out.append(f"its signing time ({_when(when)}) is outside its certificate's validity "
                   f"({cert.not_valid_before_utc:%d %b %Y} to {cert.not_valid_after_utc:%d %b %Y})")
    return out


def _bag_problem(sig: Any, status: Any) -> str:
    """The certificates inside a signature are not covered by it: each must be the signer's
    own certificate or one of the chain that validated it, byte for byte."""
    try:
        path = status.validation_path
        if path is None:
            return ""  # no chain to the roots: the signature already fails as untrusted
        known = {sig.signer_cert.dump()} | {c.dump() for c in path.iter_certs(include_root=True)}
        for choice in sig.signed_data["certificates"] or []:
            if choice.name != "certificate" or choice.chosen.dump() not in known:
                return ("it carries a certificate that is not part of the signer's chain "
                        "(altered or added after signing)")
    except Exception as exc:  # noqa: BLE001 - a damaged certificate can fail to parse anywhere
        return f"its certificates cannot be read ({exc.__class__.__name__}): altered after signing"
    return ""


def _coverage_problem(sig: Any, last: bool) -> str:
    """The signature must cover its whole revision, and the last one the whole file; the
    room left for the signature must hold nothing after it but zeros."""
    from asn1crypto import parser
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    coverage = sig.evaluate_signature_coverage()
    if coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return "its byte range does not cover its revision of the document (signature wrapping)"
    if last and coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return ("the file goes on after the last signature (bytes appended, or a later signature "
                "cut short)")
    raw = sig.pkcs7_content
    parsed = parser.parse(raw, strict=False)
    if raw[len(parsed[3]) + len(parsed[4]):].strip(b"\x00"):
        return "its signature container holds extra bytes after the signature (altered after signing)"
    return ""


def _what_changed(sig: Any) -> tuple[str, int]:
    """The first revision after ``sig`` that the strict policy refuses, in words."""
    from pyhanko.sign.diff_analysis import SuspiciousModification

    reader = sig.reader
    base = reader.get_historical_resolver(sig.signed_revision)
    for revision in range(sig.signed_revision + 1, reader.xrefs.total_revisions):
        try:
            _policy().apply(base, reader.get_historical_resolver(revision))
        except SuspiciousModification:
            return _describe(reader, revision), revision
        except Exception as exc:  # noqa: BLE001 - a revision pyHanko cannot even compare
            return f"revision {revision + 1} cannot be analysed ({exc.__class__.__name__})", revision
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if sig.evaluate_signature_coverage() < SignatureCoverageLevel.ENTIRE_REVISION:
        return ("its signature dictionary was re-defined after signing, so what it covers is not what is shown "
                "(signature wrapping)"), sig.signed_revision
    return "its permissions (DocMDP) were broken", sig.signed_revision + 1


def _describe(reader: Any, revision: int) -> str:
    """What a revision added or changed, in a reader's words."""
    from pyhanko.pdf_utils import generic

    xrefs = reader.xrefs
    new = reader.get_historical_resolver(revision)
    old = reader.get_historical_resolver(revision - 1)
    try:
        page_refs = [ref.idnum for ref in _page_refs(new.root["/Pages"])]
    except Exception:  # noqa: BLE001
        page_refs = []
    pages = {num: i + 1 for i, num in enumerate(page_refs)}
    said: list[str] = []

    def say(text: str) -> None:
        if text not in said:
            said.append(text)

    refs = sorted(xrefs.explicit_refs_in_revision(revision), key=lambda r: r.idnum)
    freed = xrefs.refs_freed_in_revision(revision) if hasattr(xrefs, "refs_freed_in_revision") else []
    for ref in refs:
        existed = xrefs.get_historical_ref(ref, revision - 1) is not None
        verb = "changed" if existed else "added"
        try:
            obj = new(ref)
        except Exception:  # noqa: BLE001
            say(f"{verb} an unreadable object")
            continue
        if not isinstance(obj, generic.DictionaryObject):
            say(f"{verb} object {ref.idnum}")
            continue
        try:
            kind = obj.get("/Type")
            if obj.get("/FT") == "/Sig" or (obj.get("/Subtype") == "/Widget" and "/T" in obj):
                name = str(obj.get("/T", "?"))
                if not existed:
                    say(f"added a new signature field '{name}'" + _on_page(obj, pages))
                else:
                    say(f"changed the signature field '{name}'")
            elif obj.get("/Subtype") == "/Widget" or kind == "/Annot":
                say(f"{verb} an annotation ({str(obj.get('/Subtype', '?')).lstrip('/')})" + _on_page(obj, pages))
            elif kind == "/Page":
                say(f"{verb} page {pages.get(ref.idnum, '?')}")
            elif kind == "/Pages":
                say(f"{verb} the page tree")
            elif kind == "/Catalog":
                keys = sorted(str(k) for k in set(obj) | set(old.root) if k not in ("/AcroForm", "/DSS", "/Metadata")
                              and (k not in obj or k not in old.root or obj.raw_get(k) != old.root.raw_get(k)))
                if keys:
                    say(f"{verb} the document catalogue ({', '.join(keys)})")
            elif kind == "/Outlines" or "/First" in obj and "/Count" in obj:
                say(f"{verb} the outline (bookmarks)")
            elif "/Fields" in obj:
                say(f"{verb} the form's list of fields")
            elif kind in ("/SigFieldLock", "/TransformParams", "/SigRef"):
                continue
            elif kind == "/Sig":
                say(f"{verb} a signature dictionary" if existed else "added a signature")
            elif kind == "/Metadata":
                if not existed or _xmp_essentials(obj) != _xmp_essentials(old.root.raw_get("/Metadata")):
                    say(f"{verb} the document's XMP metadata")
            elif kind == "/Font" or kind == "/FontDescriptor":
                say(f"{verb} a font")
            elif kind in ("/XRef", "/ObjStm"):
                continue
            elif isinstance(obj, generic.StreamObject):
                say(f"{verb} a content stream" if obj.get("/Subtype") != "/Image" else f"{verb} an image")
            elif "/Producer" in obj or "/Title" in obj or "/ModDate" in obj:
                if not existed or _info_essentials(obj) != _info_essentials(old(ref)):
                    say(f"{verb} the document information")
            else:
                say(f"{verb} object {ref.idnum}" + (f" ({str(kind).lstrip('/')})" if kind else ""))
        except Exception:  # noqa: BLE001 - a damaged object is still a change
            say(f"{verb} object {ref.idnum}")
    if freed:
        say(f"deleted {len(freed)} object(s)")
    said.sort(key=lambda t: 0 if "field '" in t or "annotation" in t else 1 if "page" in t else 2)
    return "; ".join(said[:4]) + (f" and {len(said) - 4} more change(s)" if len(said) > 4 else "") \
        if said else "a change that cannot be explained"


def _page_refs(node: Any) -> list[Any]:
    out = []
    for kid in node.get_object().raw_get("/Kids"):
        obj = kid.get_object()
        if obj.get("/Type") == "/Pages":
            out += _page_refs(obj)
        else:
            out.append(kid.reference if hasattr(kid, "reference") else kid)
    return out


def _on_page(obj: Any, pages: dict[int, int]) -> str:
    try:
        ref = obj.raw_get("/P")
        return f" on page {pages[ref.idnum]}"
    except (KeyError, AttributeError):
        return ""


def check_before_signing(pdf: bytes, trust_roots: list[Any]) -> PlanCheck:
    """The check countersigning runs first: anything verify refuses is refused, with
    verify's verdict as the message."""
    check = check_plan(pdf, trust_roots)
    if not check.ok:
        raise PlanRefusedError(check.headline, hint="Nothing was signed. Ask the sender for the original; "
                               "`ddassess pdf verify` shows the details.")
    return check
