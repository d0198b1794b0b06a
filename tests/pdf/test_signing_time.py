"""Signatures are judged at the time they were made: a plan outlives its signers' certificates."""

from __future__ import annotations

import datetime as dt

import pytest
from sample_plans import sample_plan
from signing_clock import plan_made_at, sign_at

from ddassess.pdf import certs
from ddassess.pdf.careplan import prepare_for_signing, render_care_plan
from ddassess.pdf.verification import verify_pdf


def test_signature_made_while_the_certificate_was_valid_still_verifies_after_it_expired(monkeypatch):
    now = dt.datetime.now(dt.UTC)
    ca = certs.new_team_ca("Fictional Joint Team")
    short = certs.issue_certificate(ca, "Casey Coordinator", days=5, not_before=now - dt.timedelta(days=10))
    assert short.certificate.not_valid_after_utc < now  # it has expired
    pdf = plan_made_at(monkeypatch, now - dt.timedelta(days=8, hours=1), signed=False)  # made before signing
    pdf = sign_at(monkeypatch, now - dt.timedelta(days=8), short, pdf, "care_coordinator")
    [report] = verify_pdf(pdf, [ca.certificate])
    assert report.ok, report.summary
    assert report.expired_since == f"{short.certificate.not_valid_after_utc:%d %b %Y}"
    text = "\n".join(report.lines())
    assert text.startswith("OK:") and "has since expired" in text
    assert "the signer's own claim" in text  # no timestamp token: the time is the signer's word


def test_signature_made_after_the_certificate_expired_fails(monkeypatch):
    now = dt.datetime.now(dt.UTC)
    ca = certs.new_team_ca("Fictional Joint Team")
    short = certs.issue_certificate(ca, "Casey Coordinator", days=5, not_before=now - dt.timedelta(days=10))
    pdf = prepare_for_signing(render_care_plan(sample_plan()))
    # The clock was set back for ddassess's own check only; pyHanko records the real (later)
    # signing time, after the certificate expired.
    from ddassess.pdf.signing import sign_pdf

    with monkeypatch.context() as m:
        m.setattr(certs, "_now", lambda: now - dt.timedelta(days=8))
        pdf = sign_pdf(pdf, short, field_name="care_coordinator")
    [report] = verify_pdf(pdf, [ca.certificate])
    assert not report.ok and not report.trusted
    assert report.lines()[0].startswith("PROBLEM")


def test_a_valid_certificate_reports_no_expiry_note():
    ca = certs.new_team_ca("Fictional Joint Team")
    pdf = prepare_for_signing(render_care_plan(sample_plan()))
    from ddassess.pdf.signing import sign_pdf

    pdf = sign_pdf(pdf, certs.issue_certificate(ca, "Casey Coordinator"), field_name="care_coordinator")
    [report] = verify_pdf(pdf, [ca.certificate])
    assert report.ok and report.expired_since == "" and "expired" not in "\n".join(report.lines())


@pytest.mark.parametrize("field", ["care_coordinator", "no_such_block"])
def test_signing_a_signed_or_missing_block_is_refused_in_words(field):
    from ddassess.errors import InvalidInputError
    from ddassess.pdf.signing import sign_pdf

    ca = certs.new_team_ca("Fictional Joint Team")
    pdf = prepare_for_signing(render_care_plan(sample_plan()))
    pdf = sign_pdf(pdf, certs.issue_certificate(ca, "Casey Coordinator"), field_name="care_coordinator")
    with pytest.raises(InvalidInputError) as info:
        sign_pdf(pdf, certs.issue_certificate(ca, "Lee Lead"), field_name=field)
    assert ("already signed" if field == "care_coordinator" else "has no signature block") in str(info.value)
    assert info.value.exit_code == 2


def test_one_certificate_signs_one_role_only():
    from ddassess.errors import InvalidInputError
    from ddassess.pdf.signing import sign_pdf

    ca = certs.new_team_ca("Fictional Joint Team")
    casey = certs.issue_certificate(ca, "Casey Coordinator")
    pdf = sign_pdf(prepare_for_signing(render_care_plan(sample_plan())), casey, field_name="care_coordinator")
    for role in ("partner", "team_lead"):
        with pytest.raises(InvalidInputError, match="already signed this plan as care coordinator"):
            sign_pdf(pdf, casey, field_name=role)
    # Someone else may sign the next block.
    pdf = sign_pdf(pdf, certs.issue_certificate(ca, "Siân O'Connor"), field_name="partner")
    assert [r.signer for r in verify_pdf(pdf, [ca.certificate])] == ["Casey Coordinator", "Siân O'Connor"]
