"""Modules to set up before the first unit of work, named by the layers above (no import here).

The services package registers ``ddassess.exchange.capture`` (operations written with each
change); ``Store.write()`` imports each registered module once and calls its ``install()``.
Naming it keeps ``import ddassess.services`` free of SQLAlchemy, so start-up stays fast.
"""

from __future__ import annotations

import importlib

_REGISTERED: list[str] = []
_INSTALLED: set[str] = set()


def register(module: str) -> None:
    if module not in _REGISTERED:
        _REGISTERED.append(module)


def install_all() -> None:
    for name in _REGISTERED:
        if name not in _INSTALLED:
            importlib.import_module(name).install()
            _INSTALLED.add(name)
