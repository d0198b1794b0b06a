"""Special files and read-only stores: a clear message and exit 14, never a hang or exit 1.

Each case is the real command (``python -m ddassess``) in a child process with a timeout:
a named pipe where the database belongs made opening wait for ever, and a folder in place
of a store file, a read-only folder or a read-only file system gave exit 1 ("unexpected").
``store check`` must still work on a read-only copy of a store, and write nothing to it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from store_helpers import PASSPHRASE, file_digests, pristine_store_files

ACCESS = 14


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """One real store, closed; each test works on its own copy."""
    return pristine_store_files(tmp_path_factory.mktemp("pristine") / "store")


def _copy(pristine, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, data in pristine.items():
        (folder / name).write_bytes(data)
    return folder


def run_cli(env, *args, timeout=30, preexec=None, prefix=()):
    env = dict(env, DDASSESS_PASSPHRASE=PASSPHRASE)
    return subprocess.run([*prefix, sys.executable, "-m", "ddassess", *args], env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.mkdir()


SPECIAL = {
    "database is a FIFO": ("ddassess.db", _fifo, "is a named pipe (FIFO), where the store's file ddassess.db belongs"),
    "database is a folder": ("ddassess.db", _folder, "is a folder, where the store's file ddassess.db belongs"),
    "key file is a FIFO": ("ddassess.keys.json", _fifo, "ddassess.keys.json is a named pipe (FIFO)"),
    "key file is a folder": ("ddassess.keys.json", _folder, "ddassess.keys.json is a folder"),
    "lock file is a folder": ("ddassess.lock", _folder, "is a folder, where the store's file ddassess.lock belongs"),
    "lock file is a FIFO": ("ddassess.lock", _fifo, "is a named pipe (FIFO), where the store's file ddassess.lock"),
    "journal is a folder": ("ddassess.db-wal", _folder, "is a folder, where the store's file ddassess.db-wal belongs"),
}


@pytest.mark.parametrize("case", list(SPECIAL))
@pytest.mark.parametrize("command", [["unlock-test"], ["store", "check"]])
def test_special_file_in_place_of_a_store_file(case, command, pristine, store_folder, subprocess_env):
    name, make, message = SPECIAL[case]
    _copy(pristine, store_folder)
    (store_folder / name).unlink(missing_ok=True)
    make(store_folder / name)
    before = file_digests(store_folder)
    out = run_cli(subprocess_env, *command)  # a hang fails here, by the timeout
    assert out.returncode == ACCESS, (out.returncode, out.stderr)
    assert message in out.stderr and str(store_folder) in out.stderr, out.stderr
    assert "Move it aside" in out.stderr
    assert file_digests(store_folder) == before


@pytest.mark.parametrize("name", ["ddassess.keys.json"])
def test_store_info_names_a_special_key_file(name, pristine, store_folder, subprocess_env):
    _copy(pristine, store_folder)
    (store_folder / name).unlink()
    _fifo(store_folder / name)
    out = run_cli(subprocess_env, "store", "info")
    assert out.returncode == ACCESS and "is a named pipe (FIFO), not a file" in out.stderr, out.stderr


# --- read-only stores ----------------------------------------------------------------


def _read_only_checks(out_check, out_unlock, folder_in_message: str):
    assert out_check.returncode == 0, out_check.stderr
    assert "ok: audit trail of" in out_check.stdout
    assert "a read-only store: checked as it is, and nothing was recorded in it" in out_check.stdout
    assert out_unlock.returncode == ACCESS, (out_unlock.returncode, out_unlock.stderr)
    assert f"The store in {folder_in_message} is read-only" in out_unlock.stderr
    assert "`ddassess store check` works on a read-only copy" in out_unlock.stderr


def _can_mount_read_only() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_read_only(), reason="needs root and mount namespaces (unshare -m) on this machine")
def test_store_on_a_read_only_file_system(pristine, tmp_path, subprocess_env):
    """A read-only bind mount of a real store (a private mount namespace, so nothing leaks)."""
    source = _copy(pristine, tmp_path / "source" / "store")
    mount = tmp_path / "ro"
    mount.mkdir()
    before = file_digests(source)
    script = (f"mount --bind {source.parent} {mount} && mount -o remount,bind,ro {mount} && "
              f"touch {mount}/probe 2>/dev/null && exit 99; "
              f"{sys.executable} -m ddassess store check > {tmp_path}/check.out 2> {tmp_path}/check.err; "
              f"echo $? > {tmp_path}/check.rc; "
              f"{sys.executable} -m ddassess unlock-test > {tmp_path}/unlock.out 2> {tmp_path}/unlock.err; "
              f"echo $? > {tmp_path}/unlock.rc")
    env = dict(subprocess_env, DDASSESS_HOME=str(mount), DDASSESS_PASSPHRASE=PASSPHRASE)
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], env=env,
                          timeout=120, capture_output=True, text=True)
    assert done.returncode == 0, f"the mount was not read-only or failed: {done.returncode} {done.stderr}"

    def result(name):
        return subprocess.CompletedProcess([], int((tmp_path / f"{name}.rc").read_text()),
                                           (tmp_path / f"{name}.out").read_text(),
                                           (tmp_path / f"{name}.err").read_text())

    _read_only_checks(result("check"), result("unlock"), f"{mount}/store")
    assert file_digests(source) == before
    assert not (source / "ddassess.lock").exists(), "a lock file was made in a read-only store"


@pytest.fixture
def world_readable_tmp():
    """A temporary folder another user can reach: pytest's own is private to root (0700)."""
    root = Path(tempfile.mkdtemp(prefix="ddassess-ro-test-"))
    os.chmod(root, 0o755)
    yield root
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            os.chmod(path, 0o755)
    shutil.rmtree(root)


def test_store_in_a_folder_without_write_permission(pristine, world_readable_tmp, subprocess_env):
    """Folder 0555 and files 0444, opened as a user who does not own them (root ignores
    permissions, so as root the child runs as nobody through setpriv)."""
    home = world_readable_tmp / "home"
    folder = _copy(pristine, home / "store")
    for path in folder.iterdir():
        os.chmod(path, 0o444)
    os.chmod(folder, 0o555)
    os.chmod(home, 0o555)
    before = file_digests(folder)
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "running as root needs setpriv to test permissions as another user"
        prefix = (setpriv, "--reuid=65534", "--regid=65534", "--clear-groups")
    env = dict(subprocess_env, DDASSESS_HOME=str(home), HOME=str(world_readable_tmp), PYTHONDONTWRITEBYTECODE="1")
    check = run_cli(env, "store", "check", prefix=prefix, timeout=60)
    unlock = run_cli(env, "unlock-test", prefix=prefix, timeout=60)
    _read_only_checks(check, unlock, str(folder))
    assert file_digests(folder) == before
    assert not (folder / "ddassess.lock").exists()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o555


def test_read_only_store_with_unmerged_changes_is_not_checked_without_them(pristine, world_readable_tmp,
                                                                           subprocess_env):
    """Read-only opening ignores a -wal (SQLite's immutable mode): one that holds changes is refused."""
    home = world_readable_tmp / "home"
    folder = _copy(pristine, home / "store")
    (folder / "ddassess.db-wal").write_bytes(b"\x37\x7f\x06\x82" + bytes(60))  # stands in for unmerged changes
    for path in folder.iterdir():
        os.chmod(path, 0o444)
    # The folder stays writable by the user (only the files are read-only), so the refusal
    # cannot come from the folder: it is the journal that is not to be left out.
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        os.chown(folder, 65534, 65534)
        prefix = (shutil.which("setpriv") or "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    env = dict(subprocess_env, DDASSESS_HOME=str(home), HOME=str(world_readable_tmp), PYTHONDONTWRITEBYTECODE="1")
    out = run_cli(env, "store", "check", prefix=prefix, timeout=60)
    assert out.returncode == ACCESS, (out.returncode, out.stderr)
    assert "was not closed cleanly: its last changes are still in ddassess.db-wal" in out.stderr
