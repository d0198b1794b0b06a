"""The team server's HTTP API (Starlette): health, push, pull and the roster.

Every ``/v1`` request is made by a laptop that presented, in the TLS handshake, a client
certificate the team authority issued (``exchange/devicetls.py``); the server finds the
laptop in the newest roster it holds. Unknown laptop: 403 ``SRV_003``; revoked: 403
``SRV_004``. A laptop receives only items one of its own encryption keys is a recipient
of. Errors are JSON ``{"error": {"code", "message", "hint"}}`` with a 4xx status; the
logs are one JSON object a line with the event, the laptop's id, counts and timings,
never a byte of what was pushed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ddassess.codes import Code
from ddassess.errors import UserFacingError
from ddassess.exchange import envelope, membership
from ddassess.exchange.devicetls import device_identity
from ddassess.exchange.refusals import EnvelopeError, TeamFileError
from ddassess.pdf import certs
from ddassess.server import db
from ddassess.server.config import Limits, Proxy

log = logging.getLogger("ddassess.server")


class Refused(Exception):
    def __init__(self, status: int, code: Code, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.hint = status, code, message, hint


def _error(status: int, code: Code, message: str, hint: str = "") -> JSONResponse:
    return JSONResponse({"error": {"code": str(code), "message": message, "hint": hint}}, status_code=status)


def _event(event: str, **fields: Any) -> None:
    log.info(json.dumps({"event": event, **fields}, sort_keys=True))


@dataclass(frozen=True)
class Device:
    practitioner: str
    device: str
    keys: tuple[str, ...]  # the laptop's active encryption key ids
    roster: membership.Roster


class TeamServer:
    """What every request needs: the database, the authority and the roster in force."""

    def __init__(self, engine: Engine, authority: x509.Certificate, limits: Limits, *,
                 proxy: Proxy | None = None) -> None:
        self.engine = engine
        self.authority = authority
        self.team = certs.fingerprint(authority)
        self.limits = limits
        self.proxy = proxy or Proxy()
        self._roster: membership.Roster | None = None
        self._by_device: dict[tuple[str, str], list[membership.Member]] = {}  # of the roster in force

    def roster(self) -> membership.Roster | None:
        # Every request asks which version is in force (a revocation counts at once); the
        # document (hundreds of kB for a large team) is read and verified only when it changed.
        version = db.newest_roster_version(self.engine, self.team)
        if version is None:
            return None
        if self._roster is None or self._roster.version != version:
            found = db.newest_roster(self.engine, self.team)
            assert found is not None  # rosters are only ever added
            doc = membership.read_document(found[1], membership.ROSTER)
            self._roster = membership.verify_roster(doc, self.authority)
            by_device: dict[tuple[str, str], list[membership.Member]] = {}
            for m in self._roster.members.values():
                by_device.setdefault((m.practitioner, m.device), []).append(m)
            self._by_device = by_device
        return self._roster

    def presented(self, request: Request) -> str | None:
        """The client certificate (PEM) of this request: the one a trusted TLS-terminating
        proxy passed on in its header, else the one of this TLS connection. The header from
        any other address is refused: anyone could write it."""
        proxy = self.proxy
        forwarded = request.headers.get(proxy.header) if proxy.header else None
        if forwarded is not None:
            if not proxy.trusts(request.client.host if request.client else None):
                raise Refused(403, Code.SRV_011, "This request carries a client certificate header but does not "
                              "come from a trusted proxy: it was refused.",
                              "Connect to the server directly, or through the load balancer named in its "
                              "configuration.")
            return unquote(forwarded) or None
        tls = (request.scope.get("extensions") or {}).get("tls") or {}
        chain = tls.get("client_cert_chain") or []
        return str(chain[0]) if chain else None

    def certificate(self, request: Request) -> tuple[str, str]:
        pem = self.presented(request)
        who = None
        if pem:
            try:
                who = device_identity(certs.load_cert_pem(pem.encode("utf-8")), self.authority)
            except (ValueError, UnicodeEncodeError, certs.CertificateProblem):
                who = None
        if who is None:
            raise Refused(401, Code.SRV_002, "This laptop presented no TLS certificate of this team's authority.",
                          "Ask the team lead for this laptop's server certificate, then sync again.")
        return who

    def device(self, request: Request) -> Device:
        practitioner, device = self.certificate(request)
        roster = self.roster()
        mine = self._by_device.get((practitioner, device), []) if roster is not None else []
        if roster is None or not mine:
            raise Refused(403, Code.SRV_003, "This laptop is not in the team roster the server holds.",
                          "The team lead sends the newest roster to the server after admitting a laptop.")
        if any(m.status == "revoked" for m in mine):
            raise Refused(403, Code.SRV_004, "This laptop was revoked from the team: the server gives it nothing "
                          "and takes nothing from it.", "Ask the team lead if this is unexpected.")
        return Device(practitioner, device, tuple(sorted(m.key_id for m in mine if m.purpose == "encryption")),
                      roster)


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise Refused(413, Code.SRV_005, f"This request is larger than the server takes ({limit} bytes).",
                      "Send fewer envelopes at a time.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, Code.SRV_005, f"This request is larger than the server takes ({limit} bytes).",
                          "Send fewer envelopes at a time.")
        chunks.append(chunk)
    return b"".join(chunks)


def _malformed(message: str) -> Refused:
    return Refused(400, Code.SRV_006, message, "This is a fault of the sending program: update ddassess.")


def read_items(body: bytes, device: Device, limits: Limits) -> list[db.Item]:
    """The items of a push, each checked: an envelope of this team signed by an active
    member (its signature holds), or a key wrap made by this laptop for a key in the roster."""
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _malformed("This push is not JSON.") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise _malformed("This push has no list of items.")
    if len(raw["items"]) > limits.max_items:
        raise Refused(413, Code.SRV_005, f"This push has {len(raw['items'])} items; the server takes at most "
                      f"{limits.max_items} at a time.", "Send them in smaller batches.")
    out: list[db.Item] = []
    roster = device.roster
    for n, entry in enumerate(raw["items"]):
        if not isinstance(entry, dict) or entry.get("kind") not in ("envelope", "wrap") \
                or not isinstance(entry.get("data"), str):
            raise _malformed(f"Item {n} of this push is not an envelope or a key wrap.")
        try:
            data = base64.b64decode(entry["data"], validate=True)
        except (binascii.Error, ValueError):
            raise _malformed(f"Item {n} of this push is not base64.") from None
        if len(data) > limits.max_item_bytes:
            raise Refused(413, Code.SRV_005, f"Item {n} of this push is larger than the server takes "
                          f"({limits.max_item_bytes} bytes).", "Its case's changes are sent as a bundle instead.")
        if entry["kind"] == "envelope":
            try:
                parsed = envelope.parse(data)
                envelope.check_signer(parsed, roster)
            except EnvelopeError as e:
                raise Refused(422, Code.SRV_007, f"Item {n} of this push was refused: {e.message}",
                              "Nothing of this push was kept.") from None
            h = parsed.header
            out.append(db.Item(h.id, "envelope", h.team, h.routing, h.device, h.recipients, data))
        else:
            out.append(_wrap(n, data, device))
    return out


def _wrap(n: int, data: bytes, device: Device) -> db.Item:
    try:
        body = json.loads(data)
        ctx = body["ctx"]
        fields = {k: str(ctx[k]) for k in ("team", "sender", "device", "recipient", "routing", "key")}
        base64.b64decode(str(body["sealed"]), validate=True)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, binascii.Error):
        raise _malformed(f"Item {n} of this push is not a key wrap.") from None
    recipient = device.roster.members.get(fields["recipient"])
    if fields["team"] != device.roster.team or fields["sender"] != device.practitioner \
            or fields["device"] != device.device or recipient is None or recipient.purpose != "encryption":
        raise Refused(422, Code.SRV_007, f"Item {n} of this push was refused: a key wrap names another team, "
                      "sender or laptop, or a recipient key that is not in the roster.",
                      "Nothing of this push was kept.")
    # One wrap per (sender, recipient key, case key): a wrap made again (HPKE makes new bytes
    # each time) is the same item, so pushing a case's keys again keeps nothing twice.
    item_id = "w:" + hashlib.sha256(json.dumps(fields, sort_keys=True).encode("utf-8")).hexdigest()
    return db.Item(item_id, "wrap", fields["team"], fields["routing"], fields["device"], (fields["recipient"],), data)


def build_app(server: TeamServer) -> Starlette:
    limits = server.limits

    def handler(fn: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            started = time.monotonic()
            try:
                response = await fn(request)
            except Refused as e:
                _event("refused", path=request.url.path, status=e.status, code=str(e.code))
                return _error(e.status, e.code, e.message, e.hint)
            except (TeamFileError, UserFacingError) as e:
                _event("refused", path=request.url.path, status=400, code=str(e.code))
                return _error(400, e.code, e.message, e.hint or "")
            except DBAPIError as e:
                _event("database-unavailable", path=request.url.path, error=type(e.orig).__name__)
                return _error(503, Code.SRV_009, "The team server's database is not available just now.",
                              "Nothing was lost: sync again in a minute.")
            _event("request", path=request.url.path, method=request.method, status=response.status_code,
                   ms=round((time.monotonic() - started) * 1000, 1))
            return response

        return run

    async def health(request: Request) -> Response:
        revision = await run_in_threadpool(db.schema_revision, server.engine)
        if revision != db.HEAD:
            return _error(503, Code.SRV_009, "The team server's database is not initialised.",
                          "Run `ddassess-server init-db`.")
        generation = await run_in_threadpool(db.generation, server.engine)
        return JSONResponse({"status": "ok", "schema": revision, "generation": generation})

    async def push(request: Request) -> Response:
        device = await run_in_threadpool(server.device, request)
        body = await _body(request, limits.max_request_bytes)
        batch = await run_in_threadpool(read_items, body, device, limits)
        result = await run_in_threadpool(db.push, server.engine, batch)
        _event("push", device=device.device, items=len(batch), stored=result.stored, duplicates=result.duplicates)
        return JSONResponse({"stored": result.stored, "duplicates": result.duplicates, "last_seq": result.last_seq})

    async def pull(request: Request) -> Response:
        device = await run_in_threadpool(server.device, request)
        try:
            since = int(request.query_params.get("since", "0"))
            limit = int(request.query_params.get("limit", str(limits.page_items)))
            wait = int(request.query_params.get("wait", "0"))
        except ValueError:
            raise _malformed("'since', 'limit' and 'wait' must be whole numbers.") from None
        if since < 0 or not 0 < limit <= limits.page_items or wait < 0:
            raise _malformed(f"'since' must be 0 or more, 'limit' from 1 to {limits.page_items} and 'wait' "
                             "0 or more seconds.")
        wait = min(wait, limits.max_wait)
        # Long-polling by a short server-side poll: the sequence counter (one row) is read every
        # wait_check_ms, and the device's items only when it moved. No connection is held while
        # waiting, so any number of waiting laptops leave the pool to pushes; see docs/server.md.
        seen = await run_in_threadpool(db.last_seq, server.engine) if wait else 0
        found, more = await run_in_threadpool(db.pull, server.engine, device.keys, since=since, limit=limit)
        deadline = time.monotonic() + wait
        while not found and time.monotonic() < deadline:
            await asyncio.sleep(min(limits.wait_check_ms / 1000, max(deadline - time.monotonic(), 0)))
            if await request.is_disconnected():
                break
            now = await run_in_threadpool(db.last_seq, server.engine)
            if now != seen:
                seen = now
                found, more = await run_in_threadpool(db.pull, server.engine, device.keys, since=since, limit=limit)
        generation = await run_in_threadpool(db.generation, server.engine)
        _event("pull", device=device.device, since=since, items=len(found), more=more, wait=wait)
        return JSONResponse({"items": [{"seq": p.seq, "kind": p.kind, "data": base64.b64encode(p.data).decode()}
                                       for p in found],
                             "next": found[-1].seq if found else since, "more": more, "generation": generation})

    async def put_roster(request: Request) -> Response:
        practitioner, device = await run_in_threadpool(server.certificate, request)
        body = await _body(request, membership.MAX_TEAM_FILE)
        try:
            roster = membership.verify_roster(membership.read_document(body, membership.ROSTER), server.authority)
        except TeamFileError as e:
            raise Refused(422, Code.SRV_008, f"This roster was refused: {e.message}",
                          "Send the roster file the team lead's laptop made.") from None
        kept, version = await run_in_threadpool(db.keep_roster, server.engine, roster.team, roster.version,
                                                body.decode("utf-8"))
        _event("roster", device=device, version=roster.version, kept=kept)
        return JSONResponse({"kept": kept, "version": version})

    async def get_roster(request: Request) -> Response:
        await run_in_threadpool(server.device, request)
        found = await run_in_threadpool(db.newest_roster, server.engine, server.team)
        assert found is not None  # a known device means a roster is held
        return Response(found[1].encode("utf-8"), media_type="application/json")

    return Starlette(routes=[
        Route("/health", handler(health), methods=["GET"]),
        Route("/v1/envelopes", handler(push), methods=["POST"]),
        Route("/v1/envelopes", handler(pull), methods=["GET"]),
        Route("/v1/roster", handler(put_roster), methods=["POST"]),
        Route("/v1/roster", handler(get_roster), methods=["GET"]),
    ])
