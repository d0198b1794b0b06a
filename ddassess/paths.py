"""Where ddassess keeps its files.

``DDASSESS_HOME`` overrides the data folder (tests, portable installs), logs included;
otherwise the platform's user data and log folders from platformdirs. Nothing happens at import time: folders
are made only when something is about to be written there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "ddassess"


def data_dir() -> Path:
    override = os.environ.get("DDASSESS_HOME")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def store_dir(demo: bool = False) -> Path:
    """The folder of the practitioner's store, or of the separate demo store."""
    return data_dir() / ("demo" if demo else "store")


def log_dir() -> Path:
    """The log and crash reports (ddassess.logs: never case data): ``logs`` in the data folder
    when ``DDASSESS_HOME`` is set, else the platform's user log folder from platformdirs."""
    override = os.environ.get("DDASSESS_HOME")
    if override:
        return Path(override).expanduser() / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def _installed_data_dirs() -> list[Path]:
    """Where a wheel's data files went: ``<prefix>/share/ddassess`` of this environment's
    install scheme (a venv or system install), then of the user scheme (``pip --user``)."""
    import sysconfig

    dirs = [Path(sysconfig.get_path("data")), Path(sys.prefix)]
    try:
        dirs.append(Path(sysconfig.get_path("data", sysconfig.get_preferred_scheme("user"))))
    except (KeyError, AttributeError):  # pragma: no cover - no user scheme on this platform
        pass
    return [d / "share" / APP_NAME for d in dict.fromkeys(dirs)]


def _shipped(name: str) -> Path:
    """``name`` (forms or resources) of this source tree, else of the installed data files."""
    source = Path(__file__).resolve().parent.parent / name
    if source.is_dir():
        return source
    for base in _installed_data_dirs():
        if (base / name).is_dir():
            return base / name
    return source


def forms_dir() -> Path:
    """The catalogue of forms: ``DDASSESS_FORMS``, else ``forms/`` shipped with ddassess."""
    override = os.environ.get("DDASSESS_FORMS")
    if override:
        return Path(override).expanduser()
    return _shipped("forms")


def resources_dir() -> Path:
    """Fonts (and later icons, stylesheets) shipped with ddassess."""
    return _shipped("resources")


def ensure_private_dir(path: Path) -> Path:
    """Make ``path`` (and parents) readable by the owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        os.chmod(path, 0o700)
    return path


def writable(path: Path) -> bool:
    """Whether this process may write ``path``: its permissions, and not a read-only file
    system (``os.access`` says no to root too there)."""
    return os.access(path, os.W_OK)
