"""Talking to the team server: HTTPS with the laptop's TLS certificate (mutual TLS).

Only the standard library (``http.client``, ``ssl``): the desktop install gains no
dependency for it. The server is trusted because the team authority (which the laptop
already holds) issued its certificate; the laptop proves itself with its own TLS key.

``ssl.SSLContext.load_cert_chain`` reads the key from a file. The key is written to a
private temporary folder only encrypted (PKCS#8 with a random one-time password kept in
memory), read back by OpenSSL and deleted at once: no plaintext key ever touches a disk.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import socket
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ddassess.codes import Code
from ddassess.errors import UserFacingError

USER_AGENT = "ddassess-sync/1"


class ServerUnavailable(UserFacingError):
    code = Code.SRV_010

    def __init__(self, message: str, *, hint: str | None = None, status: int = 0, server_code: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.server_code = server_code


def tls_context(authority_pem: bytes, cert_pem: bytes, key: ec.EllipticCurvePrivateKey) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cadata=authority_pem.decode("ascii"))
    password = secrets.token_urlsafe(32)
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(password.encode("ascii")))
    with tempfile.TemporaryDirectory(prefix="ddassess-tls-") as folder:
        os.chmod(folder, 0o700)
        cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_file.write_bytes(cert_pem)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(encrypted)
        try:
            ctx.load_cert_chain(str(cert_file), str(key_file), password=password)
        finally:
            key_file.unlink(missing_ok=True)
            cert_file.unlink(missing_ok=True)
    return ctx


@dataclass(frozen=True)
class PulledItem:
    seq: int
    kind: str  # envelope / wrap
    data: bytes


@dataclass(frozen=True)
class Page:
    items: list[PulledItem]
    next: int
    more: bool
    generation: str


class ServerClient:
    """One laptop's connection to the team server (kept alive between requests)."""

    def __init__(self, url: str, context: ssl.SSLContext, *, timeout: float = 30) -> None:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ServerUnavailable(f"'{url}' is not the address of a team server.",
                                    hint="It looks like https://server.example:8443.")
        self.host, self.port = parts.hostname, parts.port or 443
        self.context = context
        self.timeout = timeout
        self._conn: http.client.HTTPSConnection | None = None
        self._aborted = False

    def abort(self) -> None:
        """From any thread: a request under way fails at once and no new one is made (a
        laptop that locks drops its connection; the engine applies nothing half)."""
        self._aborted = True
        conn = self._conn
        sock = conn.sock if conn is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _request(self, method: str, path: str, body: bytes | None = None, *, longer: float = 0) -> bytes:
        """``longer``: seconds the server may hold this request beyond the usual timeout."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):  # a kept-alive connection the server closed: one new one
            if self._aborted:
                self.close()
                raise ServerUnavailable("The sync was stopped.", hint="Nothing was lost: sync again.")
            if self._conn is None:
                self._conn = http.client.HTTPSConnection(self.host, self.port, context=self.context,
                                                         timeout=self.timeout)
            try:
                self._conn.timeout = self.timeout + longer
                if self._conn.sock is not None:
                    self._conn.sock.settimeout(self.timeout + longer)
                self._conn.request(method, path, body=body, headers=headers)
                response = self._conn.getresponse()
                data = response.read()
                status = response.status
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                self.close()
                if attempt == 0:
                    continue
                raise ServerUnavailable(f"The team server closed the connection ({type(e).__name__}).",
                                        hint="Nothing was lost: sync again.") from None
            except (OSError, http.client.HTTPException) as e:
                self.close()
                raise ServerUnavailable(f"The team server cannot be reached ({_why(e)}).",
                                        hint="Check the network; nothing was lost, sync again later.") from None
            if status >= 400:
                self.close()
                raise _refusal(status, data)
            return data
        raise AssertionError("unreachable")

    def health(self) -> dict[str, Any]:
        return dict(json.loads(self._request("GET", "/health")))

    def push(self, items: list[tuple[str, bytes]]) -> dict[str, Any]:
        body = json.dumps({"items": [{"kind": k, "data": base64.b64encode(d).decode("ascii")} for k, d in items]})
        return dict(json.loads(self._request("POST", "/v1/envelopes", body.encode("ascii"))))

    def pull(self, since: int, limit: int = 500, *, wait: int = 0) -> Page:
        """The page after ``since``; ``wait``: when nothing is new, the server holds the request
        up to that many seconds (capped by its configuration) and answers as soon as something
        for this laptop arrives."""
        query = f"/v1/envelopes?since={int(since)}&limit={int(limit)}" + (f"&wait={int(wait)}" if wait > 0 else "")
        raw = json.loads(self._request("GET", query, longer=max(wait, 0)))
        try:
            items = [PulledItem(int(i["seq"]), str(i["kind"]), base64.b64decode(i["data"], validate=True))
                     for i in raw["items"]]
            return Page(items, int(raw["next"]), bool(raw["more"]), str(raw["generation"]))
        except (KeyError, TypeError, ValueError) as e:
            raise ServerUnavailable(f"The team server's answer could not be read ({type(e).__name__}).",
                                    hint="Nothing was changed. Tell whoever runs the server.") from None

    def send_roster(self, document: bytes) -> dict[str, Any]:
        return dict(json.loads(self._request("POST", "/v1/roster", document)))

    def roster(self) -> bytes:
        return self._request("GET", "/v1/roster")


def _why(e: BaseException) -> str:
    if isinstance(e, ssl.SSLCertVerificationError):
        return "its certificate is not from this team's authority"
    if isinstance(e, ssl.SSLError):
        return "the secure connection failed"
    if isinstance(e, socket.timeout | TimeoutError):
        return "it did not answer in time"
    if isinstance(e, ConnectionRefusedError):
        return "nothing answers at that address"
    return type(e).__name__


def _refusal(status: int, data: bytes) -> ServerUnavailable:
    try:
        err = json.loads(data)["error"]
        message, hint, code = str(err["message"]), str(err.get("hint") or ""), str(err["code"])
    except (ValueError, KeyError, TypeError):
        message, hint, code = f"The team server answered with error {status}.", "Sync again later.", ""
    return ServerUnavailable(message, hint=hint or None, status=status, server_code=code)
