"""``ddassess exchange ...`` and ``ddassess conflicts ...`` between three laptops (three data
folders, real stores that joined one team through real request and membership files),
headless: what each command says and returns, and bad bundles refused with nothing changed."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from exchange_helpers import new_case, response_id, visible
from store_helpers import FAST_KDF, PASSPHRASE
from team_helpers import CA_PASSPHRASE

from ddassess.cli import main
from ddassess.formengine import load_catalogue
from ddassess.services import care_team, case_changes, signing, team
from ddassess.store import create_store
from ddassess.store.records import CaseRecord
from ddassess.store.store import open_store
from ddassess.store.unlock import Credentials


@pytest.fixture
def homes(tmp_path, monkeypatch):
    """The team lead's, Sam's and Kim's laptops; ``use(name)`` switches; ``store(name)`` opens one."""
    def use(name: str) -> Path:
        home = tmp_path / name
        monkeypatch.setenv("DDASSESS_HOME", str(home))
        return home

    monkeypatch.setenv("DDASSESS_PASSPHRASE", PASSPHRASE)
    stores = {}
    for name, who in (("lead", "Lena Lead"), ("sam", "Sam Fictional"), ("kim", "Kim Fictional")):
        stores[name] = create_store(tmp_path / name / "store", PASSPHRASE,
                                    practitioner={"name": who, "role": "Worker", "agency": "Fictional MH Trust"},
                                    kdf=FAST_KDF, use_keyring=False).store
    signing.create_team_authority(stores["lead"], "Fictional Joint Team", CA_PASSPHRASE)
    for name in ("sam", "kim"):
        req = team.make_request(stores[name], None)
        team.join(stores[name], team.admit(stores["lead"], req.data, CA_PASSPHRASE).data)
    team.import_roster(stores["sam"], team.roster_file(stores["lead"]))
    catalogue = load_catalogue()
    cid, _ = new_case(stores["sam"], given="Tess", family="Fictional")
    spec = catalogue.get("risk")
    r = case_changes.start_response(stores["sam"], cid, "risk", spec.version, spec.content_hash, {"q1": 1})
    care_team.share_case(stores["sam"], catalogue, cid, stores["kim"].owner_uuid)
    with stores["sam"].read() as s:
        ref = s.get(CaseRecord, cid).ref
    for st in stores.values():
        st.close()
    use.ref = ref  # type: ignore[attr-defined]
    use.response = r.uuid  # type: ignore[attr-defined]
    return use


def _open(home: Path):
    return open_store(home / "store", Credentials(passphrase=PASSPHRASE, use_keyring=False))


def test_export_import_status_conflicts_resolve(homes, tmp_path, capsys):
    sam_home = homes("sam")
    assert main(["exchange", "status"]) == 0
    assert "Kim Fictional\t1 case(s)" in capsys.readouterr().out
    out = tmp_path / "for-kim.ddbundle"
    assert main(["exchange", "export", "--to", "Kim Fictional", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "for Kim Fictional: 1 envelope(s) of 1 case(s)" in said
    assert main(["exchange", "status"]) == 0
    assert "Nothing is waiting to be sent." in capsys.readouterr().out
    kim_home = homes("kim")
    assert main(["exchange", "import", str(out)]) == 0
    said = capsys.readouterr().out
    assert "Bundle from Sam Fictional" in said and homes.ref in said and "Changes by: Sam Fictional" in said
    assert main(["exchange", "import", str(out)]) == 0
    assert "Nothing new: everything in it was received before." in capsys.readouterr().out
    # Both change the same answer offline: a conflict on both laptops, listed and resolved by a person.
    for home, value in ((sam_home, 3), (kim_home, 0)):
        st = _open(home)
        try:
            case_changes.save_draft(st, response_id(st, homes.response), {"q1": value})
        finally:
            st.close()
    homes("kim")
    assert main(["exchange", "export", "--to", "Sam Fictional", "--out", str(tmp_path / "for-sam.ddbundle")]) == 0
    homes("sam")
    assert main(["exchange", "export", "--team", "--out", str(tmp_path / "for-team.ddbundle")]) == 0
    assert main(["exchange", "import", str(tmp_path / "for-sam.ddbundle")]) == 0
    assert "1 new conflict(s)" in capsys.readouterr().out
    homes("kim")
    assert main(["exchange", "import", str(tmp_path / "for-team.ddbundle")]) == 0
    capsys.readouterr()
    assert main(["conflicts", "list", "--case", homes.ref]) == 0
    listing = capsys.readouterr().out
    conflict_id = listing.split()[0]
    assert homes.ref in listing and "1. " in listing and "2. " in listing
    assert "Sam Fictional" in listing and "Kim Fictional" in listing
    assert main(["conflicts", "resolve", conflict_id[:8], "--choose", "3", "--reason", "x"]) != 0
    assert "between 1 and 2" in capsys.readouterr().err
    assert main(["conflicts", "resolve", conflict_id[:8], "--choose", "1", "--reason", "Agreed at the review"]) == 0
    assert main(["conflicts", "list"]) == 0
    assert "No open conflicts." in capsys.readouterr().out
    # The choice travels: Sam's conflict is settled by Kim's bundle.
    assert main(["exchange", "export", "--to", "Sam Fictional", "--out", str(tmp_path / "choice.ddbundle")]) == 0
    homes("sam")
    assert main(["exchange", "import", str(tmp_path / "choice.ddbundle")]) == 0
    capsys.readouterr()
    assert main(["conflicts", "list"]) == 0
    assert "No open conflicts." in capsys.readouterr().out
    views = []
    for home in (sam_home, kim_home):
        st = _open(home)
        try:
            views.append(visible(st))
        finally:
            st.close()
    assert views[0] == views[1]


def _state(home: Path):
    st = _open(home)
    try:
        from ddassess.store import audit

        with st.read() as s:
            return visible(st), audit.head(s)
    finally:
        st.close()


def test_bad_bundles_refused_with_nothing_changed(homes, tmp_path, capsys):
    homes("sam")
    good = tmp_path / "good.ddbundle"
    assert main(["exchange", "export", "--to", "Kim Fictional", "--out", str(good)]) == 0
    data = good.read_bytes()
    homes("lead")  # a bundle for Kim, taken by the team lead
    lead_before = _state(tmp_path / "lead")
    assert main(["exchange", "import", str(good)]) == 22
    assert "not for you" in capsys.readouterr().err
    assert _state(tmp_path / "lead")[0] == lead_before[0]
    kim_home = homes("kim")
    before = _state(kim_home)
    newer = data[:4] + struct.pack(">H", 9) + data[6:]
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    cases = {"cut.ddbundle": (data[: len(data) - 7], "cut short"), "tampered.ddbundle": (bytes(flipped), "altered"),
             "newer.ddbundle": (newer, "newer version"),
             "foreign.ddbundle": (b"%PDF-1.7 not a bundle", "not a ddassess"),
             "empty.ddbundle": (b"", "not a ddassess")}
    for name, (content, words) in cases.items():
        (tmp_path / name).write_bytes(content)
        capsys.readouterr()
        assert main(["exchange", "import", str(tmp_path / name)]) == 22, name
        assert words in capsys.readouterr().err, name
        assert _state(kim_home)[0] == before[0], name
    assert main(["exchange", "import", str(tmp_path / "missing.ddbundle")]) != 0
    assert "There is no file" in capsys.readouterr().err
    assert main(["exchange", "import", str(tmp_path)]) != 0
    capsys.readouterr()
    # Bad exports: no such colleague, a bad destination, both --to and --team, neither.
    assert main(["exchange", "export", "--to", "Nobody Fictional", "--out", str(tmp_path / "x.ddbundle")]) != 0
    assert main(["exchange", "export", "--to", "Sam Fictional", "--out", str(tmp_path / "no" / "x.ddbundle")]) != 0
    assert "does not exist" in capsys.readouterr().err
    assert main(["exchange", "export", "--to", "Sam Fictional", "--out", str(tmp_path / "x.txt")]) != 0
    assert "does not end in .ddbundle" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["exchange", "export", "--to", "Sam Fictional", "--team", "--out", str(tmp_path / "x.ddbundle")])
    # The good one still goes in after all that; a repeat (a replay) changes nothing.
    assert main(["exchange", "import", str(good)]) == 0
    after = _state(kim_home)
    assert after[0] != before[0]
    assert main(["exchange", "import", str(good)]) == 0
    assert _state(kim_home)[0] == after[0]
