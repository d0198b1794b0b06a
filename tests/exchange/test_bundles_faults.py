"""Faults around real bundle files: a ``python -m ddassess exchange import`` killed with
SIGKILL at random moments leaves the store passing ``store check`` with either nothing or
everything of the bundle (never half), and a clean import after gives the full state; and no
name, NHS number, answer or case reference in any byte of a bundle or any file left in the
data and temporary folders."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from exchange_helpers import visible
from store_helpers import FAST_KDF, PASSPHRASE
from team_helpers import CA_PASSPHRASE

from ddassess.domain.models import PersonDetails
from ddassess.formengine import load_catalogue
from ddassess.services import care_team, case_changes, signing, team
from ddassess.services import exchange as ex
from ddassess.store import Credentials, create_store, open_store
from ddassess.store.check import check_store

ROUNDS = 12
SENTINEL_GIVEN, SENTINEL_FAMILY = "Zebedee", "Fictionalperson"
SENTINEL_NHS = "9990001234"
SENTINEL_ANSWER = "Quixotic-sentinel-answer-text"


def _laptops(root: Path, names: tuple[str, ...] = ("sam", "kim")) -> dict[str, object]:
    stores = {}
    for name in ("lead", *names):
        stores[name] = create_store(root / name / "store", PASSPHRASE,
                                    practitioner={"name": f"{name.title()} Fictional", "role": "Worker",
                                                  "agency": "Fictional MH Trust"},
                                    kdf=FAST_KDF, use_keyring=False).store
    signing.create_team_authority(stores["lead"], "Fictional Joint Team", CA_PASSPHRASE)
    for name in names:
        req = team.make_request(stores[name], None)
        team.join(stores[name], team.admit(stores["lead"], req.data, CA_PASSPHRASE).data)
    team.import_roster(stores[names[0]], team.roster_file(stores["lead"]))
    return stores


def _cases(sam, kim, catalogue, n: int, nhs_base: int = 9990000000) -> list[str]:
    refs = []
    spec = catalogue.get("care_plan")
    nhs = str(nhs_base)
    for i in range(n):
        nhs = _nhs(int(nhs) + 1)
        p = case_changes.register_person(sam, PersonDetails(SENTINEL_GIVEN, f"{SENTINEL_FAMILY}{i}", nhs_number=nhs))
        c = case_changes.open_case(sam, p.id)
        case_changes.start_response(sam, c.id, "care_plan", spec.version, spec.content_hash,
                                    {"what_matters": f"{SENTINEL_ANSWER} {i}"})
        care_team.share_case(sam, catalogue, c.id, kim.owner_uuid)
        refs.append(c.ref)
    return refs


def _nhs(start: int) -> str:
    """The next valid (mod 11) fictional 999 NHS number from ``start``."""
    n = start
    while True:
        digits = [int(d) for d in f"{n:010d}"]
        check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10 and check == digits[9]:
            return f"{n:010d}"
        n += 1


def _state(folder: Path):
    s = open_store(folder, Credentials(passphrase=PASSPHRASE, use_keyring=False))
    try:
        report = check_store(s)
        assert report.ok, report.problems
        return visible(s)
    finally:
        s.close()


@pytest.mark.slow
def test_sigkill_during_import_leaves_nothing_half_applied(tmp_path, subprocess_env):
    catalogue = load_catalogue()
    stores = _laptops(tmp_path)
    _cases(stores["sam"], stores["kim"], catalogue, 25)
    bundle_file = tmp_path / "for-kim.ddbundle"
    ex.export_changes(stores["sam"], to=stores["kim"].owner_uuid, out=bundle_file)
    for s in stores.values():
        s.close()
    kim = tmp_path / "kim" / "store"
    before = _state(kim)
    env = {**subprocess_env, "DDASSESS_HOME": str(kim.parent), "DDASSESS_PASSPHRASE": PASSPHRASE}
    command = [sys.executable, "-m", "ddassess", "exchange", "import", str(bundle_file)]
    # How long a whole import takes here, on a copy.
    spare = tmp_path / "spare"
    shutil.copytree(kim.parent, spare)
    started = time.monotonic()
    done = subprocess.run(command, env={**env, "DDASSESS_HOME": str(spare)}, capture_output=True, text=True,
                          timeout=300)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    full = _state(spare / "store")
    assert full != before and len([k for k in full if k not in before]) >= 25
    pristine = tmp_path / "kim-before"
    shutil.copytree(kim.parent, pristine)
    rng = random.Random(20261130)
    outcomes = []
    for _round in range(ROUNDS):
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.1, took * 1.1))
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=60)
        now = _state(kim)  # store check passes after every kill
        assert now in (before, full), "an import killed part-way left part of the bundle applied"
        outcomes.append(now == full)
        if now == full:  # the kill came after the commit: start the next round from before again
            shutil.rmtree(kim.parent)
            shutil.copytree(pristine, kim.parent)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _state(kim) == full
    assert not all(outcomes), "every kill came after the import had finished: nothing was tested"


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_no_case_data_in_any_bundle_or_file_left(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch-tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    catalogue = load_catalogue()
    stores = _laptops(tmp_path, ("sam", "kim", "ned"))
    sam, kim = stores["sam"], stores["kim"]
    refs = _cases(sam, kim, catalogue, 3)
    care_team.share_case(sam, catalogue, 1, stores["lead"].owner_uuid, "team_lead", basis="safeguarding",
                         reason="Fictional concern")
    bundles = tmp_path / "bundles"
    bundles.mkdir()
    ex.export_changes(sam, to=kim.owner_uuid, out=bundles / "a.ddbundle")
    ex.export_changes(sam, to=None, out=bundles / "b.ddbundle")
    ex.import_changes(kim, bundles / "a.ddbundle", catalogue=catalogue)
    ex.export_changes(kim, to=sam.owner_uuid, out=bundles / "c.ddbundle")
    ex.import_changes(stores["lead"], bundles / "b.ddbundle", catalogue=catalogue)
    assert visible(kim)  # the case did arrive
    for s in stores.values():
        s.close()
    sentinels = [SENTINEL_GIVEN, SENTINEL_FAMILY, SENTINEL_NHS, SENTINEL_ANSWER, *refs]
    looked = 0
    for path in _files(tmp_path):
        data = path.read_bytes()
        looked += 1
        for word in sentinels:
            for form in (word.encode("utf-8"), word.encode("utf-16-le"), word.lower().encode("utf-8")):
                assert form not in data, f"{word!r} found in {path.relative_to(tmp_path)}"
    assert looked > 10 and len(list(bundles.iterdir())) == 3
    assert _files(scratch) == [], "a temporary file was left behind"
