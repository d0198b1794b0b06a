"""Checking a signed care plan: finding every signature, checking each, reading the plan's record.

``check_plan`` finds a PDF's signatures (a filled field whose signature cannot even be
read is a failed signature, never skipped), checks each (``ddassess.pdf.signature_check``)
and reads the plan's own record of its blocks, covered by the first signature.
``check_before_signing`` is the same check, run before countersigning.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from ddassess.pdf.plan_record import read_plan_record
from ddassess.pdf.plan_verdict import PlanCheck, SignatureReport
from ddassess.pdf.signature_check import check_signature, pyhanko_roots
from ddassess.pdf.signing import NotAPdfError, NotSignedError, PlanRefusedError, sha256


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
    roots = pyhanko_roots(tuple(c.fingerprint(sha256()) for c in trust_roots), tuple(trust_roots))
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
        report = check_signature(sig, roots, made=made, previous=previous, last=sig.signed_revision == total - 1)
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
    except (KeyError, ValueError, TypeError, AttributeError):
        return (), None, None
    return read_plan_record(root)

def check_before_signing(pdf: bytes, trust_roots: list[Any]) -> PlanCheck:
    """The check countersigning runs first: anything verify refuses is refused, with
    verify's verdict as the message."""
    check = check_plan(pdf, trust_roots)
    if not check.ok:
        raise PlanRefusedError(check.headline, hint="Nothing was signed. Ask the sender for the original; "
                               "`ddassess pdf verify` shows the details.")
    return check
