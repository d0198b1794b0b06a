"""The headless store commands, run in-process as a user or script would run them."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys

import pytest
from store_helpers import PASSPHRASE

from ddassess import __version__
from ddassess.cli import main

RECOVERY = re.compile(r"^\s+([A-Z2-7]{4}(?:-[A-Z2-7]{4}){6})$", re.M)


def _db_digest(home):
    return hashlib.sha256((home / "store" / "ddassess.db").read_bytes()).hexdigest()


@pytest.fixture
def initialised(data_home, monkeypatch, capsys):
    monkeypatch.setenv("DDASSESS_PASSPHRASE", PASSPHRASE)
    assert main(["init", "--name", "Testy McTestface", "--role", "Social worker", "--agency", "Fictional SMS"]) == 0
    out = capsys.readouterr().out
    m = RECOVERY.search(out)
    assert m, out
    return m.group(1)


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"ddassess {__version__}"


def test_python_dash_m_runs_the_same_command(subprocess_env):
    out = subprocess.run([sys.executable, "-m", "ddassess", "--version"], env=subprocess_env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == f"ddassess {__version__}"


def test_init_creates_store_in_ddassess_home(initialised, data_home, capsys):
    assert (data_home / "store" / "ddassess.db").exists()
    assert (data_home / "store" / "ddassess.keys.json").exists()
    assert main(["unlock-test"]) == 0
    assert "Unlocked with the keyring" in capsys.readouterr().out


def test_init_refuses_to_overwrite(initialised, data_home, capsys):
    before = _db_digest(data_home)
    assert main(["init", "--name", "Someone Else"]) == 2  # bad input, as the README's table says
    assert "already a store" in capsys.readouterr().err
    assert _db_digest(data_home) == before


def test_init_refuses_a_weak_passphrase(data_home, monkeypatch, capsys):
    monkeypatch.setenv("DDASSESS_PASSPHRASE", "short")
    assert main(["init", "--name", "Testy McTestface"]) == 2
    assert "too short" in capsys.readouterr().err
    assert not (data_home / "store" / "ddassess.db").exists()


def test_passphrase_is_never_an_argument():
    with pytest.raises(SystemExit) as e:
        main(["unlock-test", "--passphrase", PASSPHRASE])
    assert e.value.code == 2  # argparse: the flag takes no value, so the passphrase is an unknown argument


def test_no_terminal_and_no_variable_is_a_clear_message(initialised, monkeypatch, capsys):
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    monkeypatch.delenv("DDASSESS_PASSPHRASE")
    assert main(["unlock-test"]) == 2
    assert "set DDASSESS_PASSPHRASE" in capsys.readouterr().err


def test_wrong_passphrase_exit_code(initialised, monkeypatch, capsys):
    monkeypatch.setenv("DDASSESS_PASSPHRASE", "this is not it at all")
    assert main(["unlock-test", "--passphrase"]) == 9
    assert "does not unlock" in capsys.readouterr().err


def test_store_check_ok(initialised, capsys):
    assert main(["store", "check"]) == 0
    out = capsys.readouterr().out
    assert "ok: audit trail of" in out and "PROBLEM" not in out


def test_passphrase_change(initialised, data_home, monkeypatch, capsys):
    monkeypatch.setenv("DDASSESS_NEW_PASSPHRASE", "a completely new passphrase")
    assert main(["passphrase", "change"]) == 0
    assert "not re-encrypted" in capsys.readouterr().out
    monkeypatch.setenv("DDASSESS_PASSPHRASE", "a completely new passphrase")
    assert main(["unlock-test", "--passphrase"]) == 0
    monkeypatch.setenv("DDASSESS_PASSPHRASE", PASSPHRASE)
    assert main(["unlock-test", "--passphrase"]) == 9


def test_passphrase_reset_with_recovery_key(initialised, monkeypatch, capsys):
    monkeypatch.delenv("DDASSESS_PASSPHRASE")
    monkeypatch.setenv("DDASSESS_RECOVERY_KEY", initialised)
    monkeypatch.setenv("DDASSESS_NEW_PASSPHRASE", "remembered this time, honestly")
    assert main(["passphrase", "reset"]) == 0
    monkeypatch.setenv("DDASSESS_PASSPHRASE", "remembered this time, honestly")
    assert main(["unlock-test", "--passphrase"]) == 0
    assert main(["unlock-test", "--recovery"]) == 0


def test_key_rotate_reencrypts_and_replaces_the_recovery_key(initialised, data_home, monkeypatch, capsys):
    before = _db_digest(data_home)
    assert main(["key", "rotate"]) == 0
    out = capsys.readouterr().out
    new_recovery = RECOVERY.search(out).group(1)
    assert new_recovery != initialised
    assert _db_digest(data_home) != before
    monkeypatch.setenv("DDASSESS_RECOVERY_KEY", initialised)
    assert main(["unlock-test", "--recovery"]) == 9
    assert "belongs to another store or an earlier key" in capsys.readouterr().err
    monkeypatch.setenv("DDASSESS_RECOVERY_KEY", new_recovery)
    assert main(["unlock-test", "--recovery"]) == 0
    assert main(["unlock-test"]) == 0  # the keyring was re-wrapped too
    assert "keyring" in capsys.readouterr().out
    assert main(["store", "check"]) == 0


def test_demo_flag_uses_a_separate_store(initialised, data_home, monkeypatch, capsys):
    assert main(["--demo", "unlock-test"]) == 3
    assert "no ddassess store" in capsys.readouterr().err


def test_an_unexpected_error_is_reported_by_type_only(initialised, data_home, monkeypatch, capsys):
    """A bug (here a database error carrying SQL and a name) never prints its details."""
    from sqlalchemy.exc import OperationalError

    from ddassess.commands import store as store_cmds

    sql, params = "INSERT INTO people (given_name) VALUES (?)", ("Zebedee Quillfeather",)

    def broken(_args):
        raise OperationalError(sql, params, Exception("disk I/O error"))

    monkeypatch.setattr(store_cmds, "cmd_store_info", broken)
    assert main(["store", "info"]) == 1
    err = capsys.readouterr().err
    assert "unexpected error (OperationalError)" in err
    for leak in ("INSERT", "Zebedee", "disk I/O error", "Traceback"):
        assert leak not in err
    logs = list((data_home / "logs").glob("crash-*"))
    assert len(logs) == 1 and str(logs[0]) in err
    log_text = logs[0].read_text()
    assert "OperationalError" in log_text and "Zebedee" not in log_text and "INSERT INTO" not in log_text
    assert (logs[0].stat().st_mode & 0o077) == 0
    log_text = (data_home / "logs" / "ddassess.log").read_text()  # the rotating log says where the report is
    assert logs[0].name in log_text and "Zebedee" not in log_text and "INSERT INTO" not in log_text


def test_key_rotate_warns_about_old_key_backups(data_home, monkeypatch, capsys):
    import shutil
    from pathlib import Path

    from store_helpers import FIXTURE_PASSPHRASE

    fixture = Path(__file__).resolve().parents[1] / "store" / "fixtures" / "schema-0001"
    shutil.copytree(fixture, data_home / "store")
    monkeypatch.setenv("DDASSESS_PASSPHRASE", FIXTURE_PASSPHRASE)
    assert main(["key", "rotate"]) == 0  # opening upgrades the old schema first, after a backup
    out = capsys.readouterr().out
    assert "still open with the old key and passphrase" in out
    assert len(list((data_home / "store" / "backups").iterdir())) == 1


def test_the_demo_store_renews_its_recovery_key_with_its_published_passphrase(data_home, monkeypatch, capsys):
    """``--demo`` opens the demo store with its published passphrase when none is given;
    a command that needs the passphrase (here a new recovery key) gets that one too,
    rather than none (which crashed as an unexpected error)."""
    from store_helpers import FAST_KDF, PRACTITIONER

    from ddassess.paths import store_dir
    from ddassess.services.demo import DEMO_PASSPHRASE
    from ddassess.store import create_store

    create_store(store_dir(demo=True), DEMO_PASSPHRASE, practitioner=PRACTITIONER, use_keyring=False,
                 kdf=FAST_KDF).store.close()
    assert main(["--demo", "recovery-key", "renew"]) == 0
    out = capsys.readouterr().out
    m = RECOVERY.search(out)
    assert m and "Earlier recovery keys no longer work." in out, out
    monkeypatch.setenv("DDASSESS_RECOVERY_KEY", m.group(1))
    assert main(["--demo", "unlock-test", "--recovery"]) == 0
    assert "Unlocked with the recovery:" in capsys.readouterr().out
