"""`key rotate` interrupted at any step: the keyring, the passphrase and a recovery key the
user has all still unlock.

A crash is simulated by making one step of the rotation raise ``SystemExit`` (as a power
cut would stop it there); the store object is then abandoned, as a dead process's is.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from store_helpers import FAST_KDF, PASSPHRASE, PRACTITIONER

from ddassess.domain.models import PersonDetails
from ddassess.errors import WrongKeyError
from ddassess.keys import KEYRING_SERVICE
from ddassess.services import case_changes
from ddassess.store import Credentials, create_store, open_store, rekey
from ddassess.store.check import check_store

SUPPORT = Path(__file__).resolve().parent.parent / "support"

# (step that does not happen, whether the store file has been replaced when it stops)
CRASH_POINTS = {
    "after the pending wraps are saved": ("_export", False),
    "after the new file is written": ("_swap_in", False),
    "after the new file replaced the store": ("_forget_keyring_entries", True),
    "after the old keyring entry is deleted": ("_promote", True),
}


def _crash_before(monkeypatch, step: str) -> None:
    def power_cut(*_args, **_kwargs):
        raise SystemExit(f"simulated power cut before {step}")

    monkeypatch.setattr(rekey, step, power_cut)


def _store_entries(memory_keyring, store_id):
    return {account for (service, account) in memory_keyring.secrets
            if service == KEYRING_SERVICE and store_id in account}


@pytest.mark.parametrize("unlock", ["keyring", "passphrase"])
@pytest.mark.parametrize("point", list(CRASH_POINTS))
def test_interrupted_rotation_still_unlocks(store, store_folder, memory_keyring, monkeypatch, point, unlock):
    assert store.key_file.has_keyring
    case_changes.register_person(store, PersonDetails("Rota", "Fictional", nhs_number="9990000034"))
    old_salt = (store_folder / "ddassess.db").read_bytes()[:16]  # SQLCipher's per-file salt
    step, replaced = CRASH_POINTS[point]
    _crash_before(monkeypatch, step)
    with pytest.raises(SystemExit, match="simulated power cut"):
        store.rotate_key(PASSPHRASE, kdf=FAST_KDF)
    monkeypatch.undo()
    store.close()  # the process is gone: its lock with it
    assert ((store_folder / "ddassess.db").read_bytes()[:16] == old_salt) is not replaced
    assert "pending" in json.loads((store_folder / "ddassess.keys.json").read_text())

    creds = Credentials() if unlock == "keyring" else Credentials(passphrase=PASSPHRASE)
    s = open_store(store_folder, creds)
    try:
        assert s.unlocked_by == unlock
        assert case_changes.find_person_by_nhs(s, "9990000034").family_name == "Fictional"
        report = check_store(s)
        assert report.ok, report.problems
    finally:
        s.close()
    data = json.loads((store_folder / "ddassess.keys.json").read_text())
    assert "pending" not in data
    assert not (store_folder / ".ddassess.db.rekey").exists()
    # Exactly one keyring entry, the one the key file names, and it unlocks.
    assert _store_entries(memory_keyring, store.store_id) == {data["wraps"]["keyring"]["account"]}
    for creds in (Credentials(), Credentials(passphrase=PASSPHRASE)):
        s = open_store(store_folder, creds)
        assert s.unlocked_by in ("keyring", "passphrase")
        s.close()


def test_completed_rotation_leaves_one_keyring_entry_that_unlocks(store, store_folder, memory_keyring):
    first = _store_entries(memory_keyring, store.store_id)
    store.rotate_key(PASSPHRASE, kdf=FAST_KDF)
    store.rotate_key(PASSPHRASE, kdf=FAST_KDF)
    store.close()
    entries = _store_entries(memory_keyring, store.store_id)
    assert len(entries) == 1 and entries != first
    s = open_store(store_folder, Credentials())
    assert s.unlocked_by == "keyring"
    s.close()


# --- a real process, really killed ------------------------------------------------------

_RECOVERY_LINE = re.compile(r"^\s+([A-Z2-7]{4}(?:-[A-Z2-7]{4}){6})$", re.M)


def _rotate_and_kill(home: Path, env: dict[str, str], stop_at: int) -> tuple[str, str, bool]:
    """`ddassess key rotate` in a child, SIGKILLed just before checkpoint ``stop_at``
    (see tests/support/rotate_child.py). Returns (stdout, stderr, killed)."""
    child = subprocess.Popen([sys.executable, "-u", str(SUPPORT / "rotate_child.py"), str(stop_at)],
                             env={**env, "DDASSESS_HOME": str(home), "DDASSESS_PASSPHRASE": PASSPHRASE},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err_lines = []
    for line in child.stderr:
        err_lines.append(line)
        if line.startswith(f"checkpoint {stop_at} "):
            child.send_signal(signal.SIGKILL)
            break
    out, rest = child.communicate(timeout=120)
    return out, "".join(err_lines) + rest, child.returncode == -signal.SIGKILL


def _opens(folder: Path, **creds: str) -> bool:
    try:
        open_store(folder, Credentials(use_keyring=False, **creds)).close()
    except WrongKeyError:
        return False
    return True


@pytest.fixture
def template(tmp_path):
    """A store with one fictional person, no keyring (the child has none), and its recovery key."""
    home = tmp_path / "template"
    made = create_store(home / "store", PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF, use_keyring=False)
    case_changes.register_person(made.store, PersonDetails("Rota", "Fictional", nhs_number="9990000034"))
    made.store.close()
    return home, made.recovery_key


def test_a_rotation_killed_at_any_point_leaves_the_passphrase_and_a_recovery_key_the_user_has(
        template, tmp_path, subprocess_env):
    """After a SIGKILL at every checkpoint of a real `ddassess key rotate`: the passphrase
    opens the store, and so does the recovery key the user was last told about — the old
    one until the new one was printed, the new one from then on."""
    template_home, old_recovery = template
    count_home = tmp_path / "count"
    shutil.copytree(template_home, count_home)
    out, err, killed = _rotate_and_kill(count_home, subprocess_env, 0)
    assert not killed and "checkpoints" in err, err
    total = int(re.search(r"checkpoints (\d+)", err).group(1))
    assert total >= 15, err  # the rotation's steps are all there to be killed at
    for stop_at in range(1, total + 1):
        home = tmp_path / f"kill-{stop_at}"
        shutil.copytree(template_home, home)
        folder = home / "store"
        out, err, killed = _rotate_and_kill(home, subprocess_env, stop_at)
        assert killed, (stop_at, err)
        told = _RECOVERY_LINE.search(out)
        where = f"killed at checkpoint {stop_at} of {total} ({err.splitlines()[-1]})"
        # The user has the new recovery key once it was printed, and only the old one before.
        assert _opens(folder, recovery_key=told.group(1) if told else old_recovery), where
        with open_store(folder, Credentials(passphrase=PASSPHRASE, use_keyring=False)) as s:
            assert case_changes.find_person_by_nhs(s, "9990000034").family_name == "Fictional", where
            assert check_store(s).ok, where
        assert not [p.name for p in folder.glob(".ddassess.*")], where  # no leftover after opening
