"""Keyring backends for tests: the only part of the user's machine the tests replace.

``InMemoryKeyring`` stands in for a real OS keyring (Secret Service, macOS Keychain,
Windows Credential Locker). The others reproduce the ways real keyrings fail users:
locked, raising on every call.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, KeyringLocked


class InMemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


class LockedKeyring(InMemoryKeyring):
    """A keyring whose collection stays locked (the user dismissed the unlock prompt)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("collection is locked")


class RaisingKeyring(InMemoryKeyring):
    """A keyring whose D-Bus service fails on every call."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("org.freedesktop.DBus.Error.ServiceUnknown")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("org.freedesktop.DBus.Error.ServiceUnknown")
