"""An organisation's ``.p12`` file, as its own tools would make one, for the tests of
importing it (ddassess reads such files; it never writes them)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ddassess.pdf.certs import Identity


def organisation_p12(identity: Identity, password: str) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        identity.common_name.encode("utf-8"),
        identity.key,
        identity.certificate,
        [c for c in identity.chain if c != identity.certificate] or None,
        serialization.BestAvailableEncryption(password.encode("utf-8")),
    )
