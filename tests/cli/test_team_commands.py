"""``ddassess team ...`` between two laptops (two data folders, two real stores), headless,
and what each command says and returns for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_helpers import FAST_KDF, PASSPHRASE

from ddassess.cli import main
from ddassess.paths import store_dir
from ddassess.store import create_store

CA = "team authority passphrase here"
SIGN = "signing passphrase here"


@pytest.fixture
def homes(tmp_path, monkeypatch):
    """Two laptops: the team lead's (with a team authority) and Sam's; ``use(name)`` switches."""
    def use(name: str) -> Path:
        home = tmp_path / name
        monkeypatch.setenv("DDASSESS_HOME", str(home))
        return home

    monkeypatch.setenv("DDASSESS_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("DDASSESS_CA_PASSPHRASE", CA)
    monkeypatch.setenv("DDASSESS_SIGNING_PASSPHRASE", SIGN)
    for name, who in (("lead", "Lena Lead"), ("sam", "Sam Fictional"), ("kim", "Kim Fictional")):
        use(name)
        create_store(store_dir(), PASSPHRASE, practitioner={"name": who, "role": "Worker", "agency": "Fictional"},
                     kdf=FAST_KDF, use_keyring=False).store.close()
    use("lead")
    assert main(["signing", "create-authority", "--team", "Fictional Joint Team"]) == 0
    return use


def test_request_admit_join_list_revoke_roster(homes, tmp_path, capsys):
    homes("sam")
    capsys.readouterr()
    assert main(["team", "request", "--out", str(tmp_path / "sam.request")]) == 0
    out = capsys.readouterr().out
    code = out.split("Request code: ")[1].split(" ")[0]
    assert len(code) == 19 and "signing certificate too" in out
    homes("lead")
    assert main(["team", "admit", str(tmp_path / "sam.request"), "--out", str(tmp_path / "sam.membership")]) == 0
    out = capsys.readouterr().out
    assert f"Admitted Sam Fictional: request code {code}" in out
    homes("sam")
    assert main(["team", "join", str(tmp_path / "sam.membership")]) == 0
    assert "Joined the team Fictional Joint Team" in capsys.readouterr().out
    assert main(["team", "list"]) == 0
    listing = capsys.readouterr().out
    assert "roster version 1" in listing and "Lena Lead" in listing and "Sam Fictional" in listing
    capsys.readouterr()
    homes("lead")
    assert main(["team", "revoke", "Sam Fictional", "--reason", "laptop lost"]) == 0
    assert "roster version 2" in capsys.readouterr().out
    assert main(["team", "roster", "--out", str(tmp_path / "roster.json")]) == 0
    homes("sam")
    assert main(["team", "roster", "--import", str(tmp_path / "roster.json")]) == 0
    assert main(["team", "list"]) == 0
    assert "Sam Fictional\tWorker\tFictional\trevoked" in capsys.readouterr().out
    assert main(["team", "roster", "--import", str(tmp_path / "roster.json")]) == 20  # not newer: ignored
    assert "not newer" in capsys.readouterr().err
    for home in ("lead", "sam"):
        homes(home)
        assert main(["store", "check"]) == 0


def test_bad_input(homes, tmp_path, capsys, monkeypatch):
    homes("sam")
    assert main(["team", "list"]) == 21
    assert "not a member of a team yet" in capsys.readouterr().err
    assert main(["team", "request", "--out", str(tmp_path / "no-such-folder" / "r")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["team", "request", "--no-signing-certificate", "--out", str(tmp_path / "sam.request")]) == 0
    homes("kim")
    assert main(["team", "request", "--no-signing-certificate", "--out", str(tmp_path / "kim.request")]) == 0
    homes("lead")
    capsys.readouterr()
    assert main(["team", "admit", str(tmp_path / "missing.request"), "--out", str(tmp_path / "m")]) == 2
    assert "There is no file" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("not a request at all")
    assert main(["team", "admit", str(tmp_path / "notes.txt"), "--out", str(tmp_path / "m")]) == 20
    assert "not a ddassess team request file" in capsys.readouterr().err
    assert main(["team", "admit", str(tmp_path), "--out", str(tmp_path / "m")]) == 2
    assert "is a folder, not a request file" in capsys.readouterr().err
    monkeypatch.setenv("DDASSESS_CA_PASSPHRASE", "not the authority passphrase")
    assert main(["team", "admit", str(tmp_path / "sam.request"), "--out", str(tmp_path / "sam.membership")]) == 10
    assert "passphrase for this signing key is wrong" in capsys.readouterr().err
    assert not (tmp_path / "sam.membership").exists()
    monkeypatch.setenv("DDASSESS_CA_PASSPHRASE", CA)
    assert main(["team", "admit", str(tmp_path / "sam.request"), "--out", str(tmp_path / "sam.membership")]) == 0
    assert main(["team", "admit", str(tmp_path / "sam.membership"), "--out", str(tmp_path / "x")]) == 20
    assert "a team membership file, not a request file" in capsys.readouterr().err
    assert main(["team", "revoke", "Nobody Fictional"]) == 16
    assert "There is no member" in capsys.readouterr().err
    homes("kim")  # Sam's membership file on Kim's laptop
    assert main(["team", "join", str(tmp_path / "sam.membership")]) == 20
    assert "made for another laptop" in capsys.readouterr().err
    assert main(["team", "join", str(tmp_path / "kim.request")]) == 20
    assert "a team request file, not a membership file" in capsys.readouterr().err
    assert main(["store", "check"]) == 0
