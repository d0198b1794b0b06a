"""``ddassess pdf verify``: every signature reported, exit 0 only when all are good."""

from __future__ import annotations

import pytest
from sample_plans import sample_plan

from ddassess.cli import main
from ddassess.pdf import certs
from ddassess.pdf.careplan import prepare_for_signing, render_care_plan
from ddassess.pdf.signing import sign_pdf


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("verify")
    ca = certs.new_team_ca("Fictional Joint Team")
    pdf = prepare_for_signing(render_care_plan(sample_plan(signed=True)))
    pdf = sign_pdf(pdf, certs.issue_certificate(ca, "Casey Coordinator"), field_name="care_coordinator")
    pdf = sign_pdf(pdf, certs.issue_certificate(ca, "Lee Lead"), field_name="team_lead")
    (folder / "plan.pdf").write_bytes(pdf)
    (folder / "ca.pem").write_bytes(certs.cert_pem(ca.certificate))
    other = certs.new_team_ca("Another Team")
    (folder / "other.pem").write_bytes(certs.cert_pem(other.certificate))
    return folder


def test_good_plan_exits_zero(signed, capsys):
    assert main(["pdf", "verify", str(signed / "plan.pdf"), "--trust", str(signed / "ca.pem")]) == 0
    out = capsys.readouterr().out
    assert "OK: signature 'care_coordinator' by Casey Coordinator" in out
    assert "OK: signature 'team_lead' by Lee Lead" in out
    assert "All 2 signature(s) are intact, valid and trusted." in out


def test_untrusted_authority_exits_non_zero(signed, capsys):
    assert main(["pdf", "verify", str(signed / "plan.pdf"), "--trust", str(signed / "other.pem")]) == 13
    out = capsys.readouterr()
    assert "certificate trusted by the team's authority: NO" in out.out
    assert "2 of 2 signature(s) failed" in out.err


def test_tampered_copy_exits_non_zero(signed, tmp_path, capsys):
    data = bytearray((signed / "plan.pdf").read_bytes())
    start = data.index(b"stream", 1000) + 20  # a byte inside the first page's content
    data[start] ^= 0x01
    (tmp_path / "tampered.pdf").write_bytes(bytes(data))
    assert main(["pdf", "verify", str(tmp_path / "tampered.pdf"), "--trust", str(signed / "ca.pem")]) == 13
    out = capsys.readouterr().out
    assert out.count("the signed bytes were changed (tampered)") == 2


@pytest.mark.parametrize(
    "make, code, words",
    [
        (lambda d: d / "missing.pdf", 2, "There is no file"),
        (lambda d: d, 2, "is a folder"),
        (lambda d: (d / "notes.txt").write_text("hello") and d / "notes.txt", 11, "not a PDF"),
    ],
)
def test_bad_inputs_get_clear_messages(signed, tmp_path, capsys, make, code, words):
    target = make(tmp_path)
    assert main(["pdf", "verify", str(target), "--trust", str(signed / "ca.pem")]) == code
    assert words in capsys.readouterr().err


def test_unsigned_pdf(signed, tmp_path, capsys):
    (tmp_path / "plain.pdf").write_bytes(render_care_plan(sample_plan()).pdf)
    assert main(["pdf", "verify", str(tmp_path / "plain.pdf"), "--trust", str(signed / "ca.pem")]) == 12
    assert "no digital signatures" in capsys.readouterr().err


def test_without_trust_option_the_store_must_trust_someone(signed, store, capsys):
    store.close()
    assert main(["pdf", "verify", str(signed / "plan.pdf")]) == 2
    assert "trusts no signing authority yet" in capsys.readouterr().err


# --- the verdict comes first, in words -------------------------------------------------


def _first_line(capsys) -> str:
    return capsys.readouterr().out.splitlines()[0]


def test_verdict_intact(signed, capsys):
    assert main(["pdf", "verify", str(signed / "plan.pdf"), "--trust", str(signed / "ca.pem")]) == 0
    assert _first_line(capsys) == ("OK: intact and trusted: signed by Casey Coordinator (care coordinator) and "
                                   "Lee Lead (team lead); person signed by hand on the plan; partner practitioner's "
                                   "block unsigned")


def test_verdict_tampered(signed, tmp_path, capsys):
    data = bytearray((signed / "plan.pdf").read_bytes())
    data[data.index(b"stream", 1000) + 20] ^= 0x01
    (tmp_path / "tampered.pdf").write_bytes(bytes(data))
    assert main(["pdf", "verify", str(tmp_path / "tampered.pdf"), "--trust", str(signed / "ca.pem")]) == 13
    assert _first_line(capsys) == "NOT TRUSTWORTHY: the document was changed after signature 1 (Casey Coordinator)"


def test_verdict_untrusted(signed, capsys):
    assert main(["pdf", "verify", str(signed / "plan.pdf"), "--trust", str(signed / "other.pem")]) == 13
    assert _first_line(capsys) == ("NOT TRUSTWORTHY: signature 1 (Casey Coordinator) is not from an authority "
                                   "you trust")


def test_verdict_not_signed(signed, tmp_path, capsys):
    (tmp_path / "plain.pdf").write_bytes(render_care_plan(sample_plan()).pdf)
    assert main(["pdf", "verify", str(tmp_path / "plain.pdf"), "--trust", str(signed / "ca.pem")]) == 12
    assert _first_line(capsys) == "NOT TRUSTWORTHY: this PDF is not signed, so nothing vouches for its content"


def test_verdict_changed_after_the_first_signature_only(signed, tmp_path, capsys):
    """Bytes appended after the first signature (an incremental update that is not a signature)
    leave signature 1 intact but change the document after it."""
    from ddassess.pdf import certs

    ca = certs.new_team_ca("Fictional Joint Team")
    pdf = prepare_for_signing(render_care_plan(sample_plan(signed=True)))
    pdf = sign_pdf(pdf, certs.issue_certificate(ca, "Casey Coordinator"), field_name="care_coordinator")
    from io import BytesIO

    from pyhanko.pdf_utils.generic import NameObject, TextStringObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(BytesIO(pdf))
    info = w.root.get_object()
    info[NameObject("/Lang")] = TextStringObject("fr")
    w.update_root()
    out = BytesIO()
    w.write(out)
    (tmp_path / "changed.pdf").write_bytes(out.getvalue())
    (tmp_path / "ca.pem").write_bytes(certs.cert_pem(ca.certificate))
    assert main(["pdf", "verify", str(tmp_path / "changed.pdf"), "--trust", str(tmp_path / "ca.pem")]) == 13
    assert _first_line(capsys) == ("NOT TRUSTWORTHY: the document was changed after signature 1 (Casey Coordinator, "
                                   "care coordinator): changed the document catalogue (/Lang)")
