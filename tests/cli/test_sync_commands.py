"""``ddassess sync ...`` certificate steps between real laptops, headless, and what each
command says and returns for bad input (the sync itself is tested against a real server
in tests/server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_helpers import FAST_KDF, PASSPHRASE

from ddassess.cli import main
from ddassess.paths import store_dir
from ddassess.pdf import certs
from ddassess.store import create_store

CA = "team authority passphrase here"


@pytest.fixture
def homes(tmp_path, monkeypatch):
    def use(name: str) -> Path:
        home = tmp_path / name
        monkeypatch.setenv("DDASSESS_HOME", str(home))
        return home

    monkeypatch.setenv("DDASSESS_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("DDASSESS_CA_PASSPHRASE", CA)
    for name, who in (("lead", "Lena Lead"), ("sam", "Sam Fictional")):
        use(name)
        create_store(store_dir(), PASSPHRASE, practitioner={"name": who, "role": "Worker", "agency": "Fictional"},
                     kdf=FAST_KDF, use_keyring=False).store.close()
    use("lead")
    assert main(["signing", "create-authority", "--team", "Fictional Joint Team"]) == 0
    use("sam")
    assert main(["team", "request", "--out", str(tmp_path / "sam.request"), "--no-signing-certificate"]) == 0
    use("lead")
    assert main(["team", "admit", str(tmp_path / "sam.request"), "--out", str(tmp_path / "sam.membership")]) == 0
    use("sam")
    assert main(["team", "join", str(tmp_path / "sam.membership")]) == 0
    return use


def test_certificate_steps_and_their_bad_input(homes, tmp_path, capsys):
    homes("sam")
    # The membership brought Sam's certificate: sync goes as far as the (absent) server.
    assert main(["sync", "--server", "https://127.0.0.1:1"]) != 0
    assert "cannot be reached" in capsys.readouterr().err
    assert main(["sync", "request", "--out", str(tmp_path / "sam.tls-request")]) == 0
    homes("lead")
    assert main(["sync", "issue", str(tmp_path / "missing"), "--out", str(tmp_path / "x.pem")]) != 0
    assert "There is no file" in capsys.readouterr().err
    (tmp_path / "junk").write_text("not a request")
    assert main(["sync", "issue", str(tmp_path / "junk"), "--out", str(tmp_path / "x.pem")]) != 0
    assert "not a server certificate request" in capsys.readouterr().err
    assert main(["sync", "issue", str(tmp_path / "sam.tls-request"), "--out", str(tmp_path / "sam.pem")]) == 0
    assert main(["sync", "server-cert", "--host", "localhost", "--out-dir", str(tmp_path / "tls")]) == 0
    assert (tmp_path / "tls" / "server.key").stat().st_mode & 0o077 == 0
    assert certs.load_cert_pem((tmp_path / "tls" / "server.pem").read_bytes())
    assert main(["sync", "server-cert", "--host", "localhost", "--out-dir", str(tmp_path / "tls")]) != 0
    assert "already exists" in capsys.readouterr().err
    homes("sam")
    assert main(["sync", "certificate", str(tmp_path / "junk")]) != 0
    assert "not a server certificate file" in capsys.readouterr().err
    assert main(["sync", "certificate", str(tmp_path / "sam.pem")]) == 0
    assert main(["sync"]) != 0
    assert "Name the team server" in capsys.readouterr().err
    assert main(["sync", "--server", "ftp://nowhere"]) != 0
    assert "not the address of a team server" in capsys.readouterr().err
    # Nothing listens there: a clear message, nothing changed.
    assert main(["sync", "--server", "https://127.0.0.1:9"]) != 0
    assert "cannot be reached" in capsys.readouterr().err


def _old_request(folder: Path, new_request: Path) -> bytes:
    """The request file an older ddassess made (no TLS key), signed as it signed it."""
    from sqlalchemy import select

    from ddassess.exchange import keys, membership
    from ddassess.store import Credentials, open_store
    from ddassess.store.records import ExchangeKeyRecord

    doc = membership.read_document(new_request.read_bytes(), membership.REQUEST)
    store = open_store(folder, Credentials(passphrase=PASSPHRASE, use_keyring=False))
    try:
        with store.read() as s:
            rec = s.scalars(select(ExchangeKeyRecord).where(ExchangeKeyRecord.purpose == "signing",
                                                            ExchangeKeyRecord.status == "pending")).one()
            signing_key = keys.load_private(rec.key_pem)
    finally:
        store.close()
    return membership.make_document(membership.REQUEST, {k: v for k, v in doc.body.items() if k != "tls"},
                                    {"signing": signing_key})


def test_admit_and_join_say_whether_the_server_certificate_came_with_the_membership(homes, tmp_path, capsys):
    for name, who in (("kim", "Kim Fictional"), ("ned", "Ned Fictional")):
        homes(name)
        create_store(store_dir(), PASSPHRASE, practitioner={"name": who, "role": "Worker", "agency": "Fictional"},
                     kdf=FAST_KDF, use_keyring=False).store.close()
        assert main(["team", "request", "--out", str(tmp_path / f"{name}.request"), "--no-signing-certificate"]) == 0
    (tmp_path / "ned-old.request").write_bytes(_old_request(homes("ned") / "store", tmp_path / "ned.request"))
    capsys.readouterr()
    homes("lead")
    assert main(["team", "admit", str(tmp_path / "kim.request"), "--out", str(tmp_path / "kim.membership")]) == 0
    out = capsys.readouterr().out
    assert "certificate for the team server too" in out and "older ddassess" not in out
    assert main(["team", "admit", str(tmp_path / "ned-old.request"), "--out", str(tmp_path / "ned.membership")]) == 0
    out = capsys.readouterr().out
    assert "made by an older ddassess" in out and "ddassess sync request --out FILE" in out
    homes("kim")
    assert main(["team", "join", str(tmp_path / "kim.membership")]) == 0
    assert "certificate for the team server is kept" in capsys.readouterr().out
    homes("ned")
    assert main(["team", "join", str(tmp_path / "ned.membership")]) == 0
    assert "team server" not in capsys.readouterr().out
    assert main(["sync", "--server", "https://127.0.0.1:1"]) != 0  # Ned has none yet: the message says how
    err = capsys.readouterr().err
    assert "no certificate for the team server" in err and "sync request" in err
