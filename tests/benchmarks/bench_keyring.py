"""A keyring backend for the cold-start benchmark only: it keeps secrets in a JSON file named
by ``DDASSESS_BENCH_KEYRING``, so a child process can unlock the way a trusted laptop does
(the OS keyring hands over the secret; no argon2id). The stores it unlocks hold fictional
benchmark rows and are deleted with the benchmark's temporary folder; never use it elsewhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @property
    def _path(self) -> Path:
        return Path(os.environ["DDASSESS_BENCH_KEYRING"])

    def _load(self) -> dict[str, str]:
        return json.loads(self._path.read_text()) if self._path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\n{username}"] = password
        self._path.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}\n{username}", None)
        self._path.write_text(json.dumps(data))
