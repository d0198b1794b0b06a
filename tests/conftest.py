"""Every test gets its own data folder and an in-memory keyring; Qt runs offscreen."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# Before anything can create a QApplication.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("DDASSESS_PASSPHRASE", None)

SUPPORT = Path(__file__).parent / "support"
sys.path.insert(0, str(SUPPORT))

import keyring  # noqa: E402
import pytest  # noqa: E402
from memory_keyring import InMemoryKeyring, LockedKeyring, RaisingKeyring  # noqa: E402

from ddassess.keys import trust_keyring_backend_for_tests  # noqa: E402

# The product accepts only real OS keyrings; these stand-ins are let through for tests only.
trust_keyring_backend_for_tests(InMemoryKeyring, LockedKeyring, RaisingKeyring)

_BEFORE = pytest.StashKey[set]()

REPO = Path(__file__).resolve().parent.parent

# Hypothesis keeps no example database and its other files (a cache of the constants in
# the code under test) in a temporary folder: by default it writes .hypothesis/ into the
# folder the tests run from, and tests write only under temporary folders.
from hypothesis import settings as hypothesis_settings  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402

_HYPOTHESIS_HOME = tempfile.TemporaryDirectory(prefix="ddassess-hypothesis-")
set_hypothesis_home_dir(_HYPOTHESIS_HOME.name)
hypothesis_settings.register_profile("ddassess", database=None)
hypothesis_settings.load_profile("ddassess")

# What the test run may leave in the source tree: the virtual environment, the editable
# install's metadata, bytecode. Anything else new there at the end fails the run.
_OURS = {".git", ".venv", ".ci-venv", "__pycache__", ".pytest_cache"}


def _tree_files() -> set[str]:
    found = set()
    for folder, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in _OURS and not d.endswith(".egg-info")]
        found.update(os.path.relpath(os.path.join(folder, f), REPO) for f in files if not f.endswith(".pyc"))
    return found


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_BEFORE] = _tree_files()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_BEFORE, None)
    if before is None:
        return
    written = sorted(_tree_files() - before)
    if written:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"ERROR: the tests wrote into the source tree: {', '.join(written[:10])}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "ddassess-home"
    monkeypatch.setenv("DDASSESS_HOME", str(home))
    monkeypatch.delenv("DDASSESS_PASSPHRASE", raising=False)
    monkeypatch.delenv("DDASSESS_NEW_PASSPHRASE", raising=False)
    monkeypatch.delenv("DDASSESS_RECOVERY_KEY", raising=False)
    return home


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> InMemoryKeyring:
    backend = InMemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "memory_keyring.InMemoryKeyring")
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def subprocess_env(data_home: Path) -> dict[str, str]:
    """Environment for running ``python -m ddassess`` in a child process."""
    env = dict(os.environ)
    env["DDASSESS_HOME"] = str(data_home)
    env["PYTHONPATH"] = os.pathsep.join([str(SUPPORT), str(REPO)])
    # A child process has no shared memory with the test: it gets no keyring at all.
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return env


# --- stores: real SQLCipher files in the test's own data folder --------------------


@pytest.fixture
def store_folder(data_home: Path) -> Path:
    return data_home / "store"


@pytest.fixture
def created(store_folder: Path):
    from store_helpers import FAST_KDF, PASSPHRASE, PRACTITIONER

    from ddassess.store import create_store

    c = create_store(store_folder, PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF)
    yield c
    c.store.close()


@pytest.fixture
def store(created):
    return created.store
