"""The OS keyring: which backends are trusted with a store's keyring secret, and get/set/delete.

The keyring holds a secret only when its backend is a real OS keyring (an allowlist of
exact classes, ``SECURE_BACKENDS``); a plaintext backend (keyrings.alt), the null and
fail backends or an unknown one count as no keyring, and the passphrase is asked for.
Nothing is ever stored in plaintext instead. A keyring that fails (locked, D-Bus down, a
dismissed prompt) is logged without its secret and treated as absent.

This is the only module that imports ``keyring``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from ddassess.keys.wrapping import from_b64, to_b64

log = logging.getLogger(__name__)

KEYRING_SERVICE = "ddassess"


def keyring_account(store_id: str) -> str:
    return f"store:{store_id}"


def wrap_account(store_id: str, wrap: dict[str, Any]) -> str:
    account = wrap.get("account")
    # Only this store's own entries: a key file edited to name another store's entry
    # would still fail the wrap's authenticated store id, but is not even looked up.
    if isinstance(account, str) and account.startswith(keyring_account(store_id)):
        return account
    return keyring_account(store_id)


# The keyrings that keep a secret encrypted by the operating system, by the exact class of
# keyring's backend (module, class name). Anything else is refused, however it describes
# itself: keyrings.alt's files, the null and fail backends, and any third-party backend,
# which may keep the secret in clear (a denylist let such a backend through).
SECURE_BACKENDS: dict[tuple[str, str], str] = {
    ("keyring.backends.SecretService", "Keyring"): "Secret Service",
    ("keyring.backends.libsecret", "Keyring"): "Secret Service (libsecret)",
    ("keyring.backends.kwallet", "DBusKeyring"): "KWallet",
    ("keyring.backends.kwallet", "DBusKeyringKWallet4"): "KWallet 4",
    ("keyring.backends.macOS", "Keyring"): "macOS Keychain",
    ("keyring.backends.Windows", "WinVaultKeyring"): "Windows Credential Locker",
}
_TEST_BACKENDS: set[type] = set()


def trust_keyring_backend_for_tests(*classes: type) -> None:
    """Let the test suite's stand-ins for an OS keyring through the allowlist.

    Test-only: ``tests/conftest.py`` calls it for ``tests/support/memory_keyring.py`` (and
    the start-up benchmark for its file keyring). Nothing in ddassess calls it, and no
    setting or environment variable reaches it, so an installed product accepts only the
    ``SECURE_BACKENDS``.
    """
    _TEST_BACKENDS.update(classes)


def _backend_label(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _refusal(backend: Any) -> str | None:
    """Why a single backend (not a chainer) is not used, or None if it is a secure OS keyring."""
    cls = type(backend)
    known = SECURE_BACKENDS.get((cls.__module__, cls.__qualname__))
    # The class itself, not one that copies its name: compare with the imported class.
    real = getattr(sys.modules.get(cls.__module__), cls.__qualname__, None)
    if cls.__module__ == "keyring.backends.fail":
        return "no system keyring is running (the keyring library found none)"
    if cls not in _TEST_BACKENDS and (known is None or real is not cls):
        return (f"the keyring backend {_backend_label(backend)} is not a secure OS keyring ddassess trusts "
                "(only Secret Service, KWallet, macOS Keychain and Windows Credential Locker are)")
    try:
        if float(cls.priority) <= 0:
            return f"the keyring backend {_backend_label(backend)} says it cannot be used here"
    except Exception as exc:  # noqa: BLE001 - a backend says it is not viable by raising here
        return f"the {known or cls.__name__} keyring is not available here ({exc.__class__.__name__})"
    return None


class _SecureChain:
    """keyring's chainer cut down to its secure members, in its own priority order.

    When keyrings.alt is installed beside a real Secret Service (as the test extra does),
    keyring's ``ChainerBackend`` chains both: refusing the whole chainer would lose
    keyring unlock; using it as is could write a secret to the plaintext file. So only
    the secure members are used: read from the first that has the entry, write to the
    first that accepts it.
    """

    def __init__(self, members: list[Any]) -> None:
        self.members = members

    @property
    def name(self) -> str:
        return " + ".join(type(m).__name__ for m in self.members)

    def get_password(self, service: str, username: str) -> str | None:
        for member in self.members:
            value = member.get_password(service, username)
            if value is not None:
                return str(value)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        errors: list[Exception] = []
        for member in self.members:
            try:
                member.set_password(service, username, password)
                return
            except Exception as exc:  # noqa: BLE001 - try the next secure member
                errors.append(exc)
        raise errors[-1]

    def delete_password(self, service: str, username: str) -> None:
        for member in self.members:
            try:
                member.delete_password(service, username)
            except Exception as exc:  # noqa: BLE001 - an entry that is not in this member
                log.debug("keyring entry not in %s: %s", type(member).__name__, exc.__class__.__name__)


def secure_keyring() -> Any | None:
    """The OS keyring if it is a real, secure one; None otherwise (plaintext counts as none).

    A chainer is narrowed to its secure members (``_SecureChain``); never is anything
    handed to a plaintext, null, fail or unknown backend.
    """
    return keyring_status()[0]


def keyring_status() -> tuple[Any | None, str]:
    """(the secure keyring or None, why none is used: '' when one is)."""
    try:
        import keyring

        backend = keyring.get_keyring()
        members = getattr(backend, "backends", None)
    except Exception as exc:  # noqa: BLE001 - a broken keyring install must not stop the app
        log.info("no keyring: %s", exc.__class__.__name__)
        return None, f"the keyring library could not load a backend ({exc.__class__.__name__})"
    if members is None:
        refusal = _refusal(backend)
        if refusal:
            log.info("keyring refused: %s", refusal)
            return None, refusal
        return backend, ""
    verdicts = [(m, _refusal(m)) for m in members if getattr(m, "backends", None) is None]
    secure = [m for m, refusal in verdicts if refusal is None]
    if not secure:
        reasons = "; ".join(r for _m, r in verdicts if r) or "keyring found no backend at all"
        return None, reasons
    return (secure[0] if len(secure) == 1 else _SecureChain(secure)), ""


def keyring_description() -> str:
    """A line for the user: which keyring is used, or why none is."""
    backend, why = keyring_status()
    if backend is None:
        return (
            "No secure system keyring is available, so ddassess will ask for your passphrase "
            f"each time (nothing is stored in plaintext instead): {why}."
        )
    name = backend.name if isinstance(backend, _SecureChain) else type(backend).__name__
    return f"The system keyring ({name}) can unlock this store without the passphrase."


def keyring_get(store_id: str, account: str | None = None) -> bytes | None:
    backend = secure_keyring()
    if backend is None:
        return None
    try:
        value = backend.get_password(KEYRING_SERVICE, account or keyring_account(store_id))
    except Exception as exc:  # noqa: BLE001 - locked, D-Bus down, user dismissed prompt...
        log.warning("the system keyring could not be read (%s); asking for the passphrase", exc.__class__.__name__)
        return None
    if not value:
        return None
    try:
        secret = from_b64(value)
    except ValueError:
        log.warning("the system keyring entry for this store is damaged; asking for the passphrase")
        return None
    return secret if len(secret) == 32 else None


def keyring_set(store_id: str, secret: bytes, account: str | None = None) -> bool:
    backend = secure_keyring()
    if backend is None:
        return False
    try:
        backend.set_password(KEYRING_SERVICE, account or keyring_account(store_id), to_b64(secret))
    except Exception as exc:  # noqa: BLE001 - see keyring_get
        log.warning("the system keyring refused to store the key (%s); the passphrase is needed",
                    exc.__class__.__name__)
        return False
    return True


def keyring_delete(store_id: str, account: str | None = None) -> None:
    backend = secure_keyring()
    if backend is None:
        return
    try:
        backend.delete_password(KEYRING_SERVICE, account or keyring_account(store_id))
    except Exception as exc:  # noqa: BLE001 - an entry that is already gone is fine
        log.info("keyring entry not removed: %s", exc.__class__.__name__)
