"""A team lead sets up signing; a practitioner gets a certificate; a plan is verified
against the store's trust — all headless."""

from __future__ import annotations

from sample_plans import sample_plan

from ddassess.cli import main
from ddassess.pdf.careplan import prepare_for_signing, render_care_plan
from ddassess.pdf.signing import sign_pdf
from ddassess.services import signing
from ddassess.store import Credentials, open_store


def test_authority_issue_sign_and_verify(store, store_folder, tmp_path, monkeypatch, capsys):
    store.close()
    monkeypatch.setenv("DDASSESS_CA_PASSPHRASE", "authority passphrase here")
    monkeypatch.setenv("DDASSESS_SIGNING_PASSPHRASE", "signing passphrase here")
    assert main(["signing", "create-authority", "--team", "Fictional Joint Team"]) == 0
    assert main(["signing", "issue"]) == 0
    s = open_store(store_folder, Credentials())
    me = signing.load_identity(s, "signing passphrase here")
    s.close()
    plan = tmp_path / "plan.pdf"
    plan.write_bytes(sign_pdf(prepare_for_signing(render_care_plan(sample_plan())), me, field_name="care_coordinator"))
    capsys.readouterr()
    assert main(["pdf", "verify", str(plan)]) == 0
    assert "OK: signature 'care_coordinator' by Testy McTestface" in capsys.readouterr().out
    assert main(["signing", "export-trust", "--out", str(tmp_path / "trust.pem")]) == 0
    assert (tmp_path / "trust.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert main(["pdf", "verify", str(plan), "--trust", str(tmp_path / "trust.pem")]) == 0


def test_import_of_a_file_that_is_not_pkcs12(store, tmp_path, monkeypatch, capsys):
    store.close()
    (tmp_path / "me.p12").write_text("this is not a certificate")
    monkeypatch.setenv("DDASSESS_P12_PASSWORD", "whatever")
    monkeypatch.setenv("DDASSESS_SIGNING_PASSPHRASE", "signing passphrase here")
    assert main(["signing", "import", str(tmp_path / "me.p12")]) == 10
    assert "not a PKCS#12" in capsys.readouterr().err
    assert main(["signing", "import", str(tmp_path / "nope.p12")]) == 2
    assert "There is no file" in capsys.readouterr().err
