"""Where ddassess keeps its files.

``DDASSESS_HOME`` overrides the data folder (tests, portable installs); otherwise the
platform's user data folder from platformdirs. Nothing happens at import time: folders
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
    """Crash reports of the command line (tracebacks only: never messages or values)."""
    return data_dir() / "logs"


def forms_dir() -> Path:
    """The catalogue of forms: ``DDASSESS_FORMS``, else ``forms/`` of this source tree."""
    override = os.environ.get("DDASSESS_FORMS")
    if override:
        return Path(override).expanduser()
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "forms", Path(sys.prefix) / "share" / APP_NAME / "forms"):
        if candidate.is_dir():
            return candidate
    return here.parent / "forms"


def resources_dir() -> Path:
    """Fonts, icons and stylesheets: ``resources/`` of this source tree."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "resources", Path(sys.prefix) / "share" / APP_NAME / "resources"):
        if candidate.is_dir():
            return candidate
    return here.parent / "resources"


def ensure_private_dir(path: Path) -> Path:
    """Make ``path`` (and parents) readable by the owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        os.chmod(path, 0o700)
    return path
