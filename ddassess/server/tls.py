"""Mutual TLS for uvicorn: the laptop's certificate in the ASGI scope, as the ASGI TLS
extension describes it (``scope["extensions"]["tls"]["client_cert_chain"]``, PEM).

uvicorn checks the client certificate against the team authority during the handshake
(``ssl_cert_reqs=CERT_REQUIRED``, ``ssl_ca_certs``) but does not hand it to the
application. ``PeerCertificateProtocol`` is uvicorn's h11 protocol that, once a TLS
connection is made, wraps the application so every request on that connection carries
the certificate the handshake verified. The application reads only the standard
extension, so any ASGI server that provides it works too.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


def _with_certificate(app: Any, pem: str | None) -> Any:
    async def call(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            extensions = dict(scope.get("extensions") or {})
            extensions["tls"] = {"client_cert_chain": [pem] if pem else [], "server_cert": None,
                                 "client_cert_name": None, "client_cert_error": None,
                                 "tls_version": None, "cipher_suite": None}
            scope = {**scope, "extensions": extensions}
        await app(scope, receive, send)

    return call


class PeerCertificateProtocol(H11Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        pem: str | None = None
        if isinstance(ssl_object, ssl.SSLObject):
            der = ssl_object.getpeercert(binary_form=True)
            pem = ssl.DER_cert_to_PEM_cert(der) if der else None
        self.app = _with_certificate(self.app, pem)
