"""One signature checked: intact, valid, trusted, its time, its certificates and its bytes.

The signature is validated by pyHanko against the team's roots at the time it was made (a
trusted RFC 3161 timestamp token's, else the signer's own claim), with the revisions after
it under the strict difference policy (``ddassess.pdf.modification_policy``). On top of
that: the signer's certificate must be a practitioner's, the certificates carried in the
signature must all be the signer's chain, the signature must cover its revision (the last
one the whole file), and the signing time must be credible (see ``_time_problems``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from ddassess.pdf.certs import common_name, usage_problem
from ddassess.pdf.modification_policy import diff_policy, what_changed
from ddassess.pdf.plan_verdict import SignatureReport, format_time
from ddassess.pdf.signing import asn1_cert

log = logging.getLogger(__name__)

# How far a signer's clock may run ahead of the verifier's, or behind the plan's maker's
# or the previous signer's, before a signing time is refused.
CLOCK_SKEW = dt.timedelta(minutes=5)

_ROOT_CACHE: dict[tuple[Any, ...], list[Any]] = {}


def pyhanko_roots(key: tuple[Any, ...], certs: tuple[Any, ...]) -> list[Any]:
    """The trust roots as pyHanko objects, converted once per set of roots (verifying
    several plans against the same team authority is the common case)."""
    if key not in _ROOT_CACHE:
        _ROOT_CACHE.clear()
        _ROOT_CACHE[key] = [asn1_cert(c) for c in certs]
    return _ROOT_CACHE[key]


def check_signature(sig: Any, roots: list[Any], *, made: dt.datetime | None, previous: SignatureReport | None,
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

        status = validate_pdf_signature(sig, context(claimed), diff_policy=diff_policy(),
                                        ts_validation_context=context(None))
        token = status.timestamp_validity
        when, source = claimed, "the signer's own claim (their computer's clock); no timestamp token"
        token_problem = ""
        if token is not None:
            if token.intact and token.valid and token.trusted:
                when = token.timestamp
                source = f"from a trusted RFC 3161 timestamp token ({common_name(_crypto(token.signing_cert))})"
                if claimed is None or abs(token.timestamp - claimed) > CLOCK_SKEW:
                    status = validate_pdf_signature(sig, context(when), diff_policy=diff_policy(),
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
    changes, changed_in = ("", -1) if unchanged else what_changed(sig)
    signer_cert = x509.load_der_x509_certificate(status.signing_cert.dump())
    problems = [p for p in (token_problem, usage_problem(signer_cert), _bag_problem(sig, status),
                            _coverage_problem(sig, last)) if p]
    if when is not None:
        problems += _time_problems(when, signer_cert, made=made, previous=previous)
    else:
        problems.append("it carries no signing time, so nothing says when it was made")
    expired = signer_cert.not_valid_after_utc < dt.datetime.now(dt.UTC)
    return SignatureReport(
        field=sig.field_name, signer=common_name(signer_cert), signed_at=format_time(when),
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        unchanged_after=bool(unchanged), summary=status.summary(), bottom_line=bool(status.bottom_line),
        expired_since=f"{signer_cert.not_valid_after_utc:%d %b %Y}" if expired and status.trusted else "",
        time_source=f"{format_time(when)}, {source}", changes=changes, changed_in=changed_in,
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
        out.append(f"its signing time ({format_time(when)}) is in the future")
    if made is not None and when < made - CLOCK_SKEW:
        out.append(f"its signing time ({format_time(when)}) is before this plan version was made ({format_time(made)})")
    if previous is not None and previous.signed_when is not None and when < previous.signed_when - CLOCK_SKEW:
        out.append(f"its signing time ({format_time(when)}) is before the previous signature "
                   f"({previous.signer}, {format_time(previous.signed_when)})")
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        out.append(f"its signing time ({format_time(when)}) is outside its certificate's validity "
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

