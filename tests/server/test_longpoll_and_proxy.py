"""Long-polling (``GET /v1/envelopes?...&wait=S``) and the server behind a TLS-terminating
load balancer (the verified client certificate in a header, from trusted addresses only).
A real ``ddassess-server`` process over TLS, a real PostgreSQL, real laptops; the requests
a load balancer would make are made from this machine's address, with the header nginx's
``$ssl_client_escaped_cert`` fills (URL-encoded PEM)."""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
from typing import Any
from urllib.parse import quote

import pytest
from exchange_helpers import new_case, start
from server_helpers import sync_client
from sqlalchemy import create_engine, text

from ddassess.codes import Code
from ddassess.exchange import devicetls, keys
from ddassess.pdf import certs
from ddassess.services import care_team
from ddassess.sync import engine, identity
from ddassess.sync.client import ServerUnavailable

pytestmark = pytest.mark.postgres

HEADER = "X-SSL-Client-Cert"


def _share(team, catalogue, n: int = 0) -> None:
    alex, bea = team.members["alex"], team.members["bea"]
    cid, _cuuid = new_case(alex.store, nhs=f"99900000{42 + n}", given=f"Fictional{n}", family="Poller")
    start(alex.store, catalogue, cid, "risk", {"self_present": True, "self_history": "Fictional history"})
    care_team.share_case(alex.store, catalogue, cid, bea.me, basis="safeguarding",
                         reason="Fictional safeguarding concern, authorised by a fictional lead")


def _waiting_pull(client, wait: int, out: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        began = time.monotonic()
        try:
            out["page"] = client.pull(0, wait=wait)
        except ServerUnavailable as e:  # reported by the assertions of the test
            out["error"] = e
        out["seconds"] = time.monotonic() - began

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_a_waiting_pull_returns_as_soon_as_another_laptop_pushes(serve, team, catalogue):
    server = serve(limits={"max_wait": 60, "wait_check_ms": 100})
    alex, bea = team.members["alex"], team.members["bea"]
    ca, cb = sync_client(alex, server), sync_client(bea, server)
    ca.send_roster(team.roster())
    got: dict[str, Any] = {}
    waiter = _waiting_pull(cb, 60, got)
    time.sleep(2)
    assert waiter.is_alive() and not got  # nothing yet: the server holds the request
    pushed_at = time.monotonic()
    assert engine.sync(alex.store, ca, catalogue=catalogue).pushed == 0  # nothing shared yet: still waiting
    _share(team, catalogue)
    assert engine.sync(alex.store, ca, catalogue=catalogue).pushed > 0
    waiter.join(60)
    assert not waiter.is_alive() and "error" not in got, got
    page = got["page"]
    assert page.items and page.next > 0
    assert float(got["seconds"]) >= 2
    assert time.monotonic() - pushed_at < 30  # answered on the push, long before the 60 s wait ended
    waits = [e for e in server.events() if e.get("event") == "pull" and e.get("wait")]
    assert waits and waits[0]["wait"] == 60 and waits[0]["items"] > 0
    # The engine takes it too (what waits is there already: no waiting).
    applied = engine.sync(bea.store, cb, catalogue=catalogue, wait=60)
    assert applied.applied > 0 and applied.refused == []


def test_a_waiting_pull_answers_empty_after_the_wait_capped_by_the_configuration(serve, team):
    server = serve(limits={"max_wait": 2, "wait_check_ms": 100})
    bea = team.members["bea"]
    cb = sync_client(bea, server)
    sync_client(team.members["alex"], server).send_roster(team.roster())
    began = time.monotonic()
    page = cb.pull(0, wait=600)  # more than the server allows: it waits its own 2 s at most
    took = time.monotonic() - began
    assert page.items == [] and page.next == 0 and page.more is False
    assert 1.9 <= took < 30, took
    [event] = [e for e in server.events() if e.get("event") == "pull"]
    assert event["wait"] == 2
    for bad in ("-1", "soon", "1.5"):
        conn = _raw(server, cert=_cert_and_key(bea))
        conn.request("GET", f"/v1/envelopes?since=0&wait={bad}")
        response = conn.getresponse()
        assert response.status == 400 and json.loads(response.read())["error"]["code"] == str(Code.SRV_006), bad


def test_many_waiting_laptops_leave_the_database_pool_to_pushes(serve, team, catalogue, database):
    server = serve(limits={"max_wait": 60, "wait_check_ms": 200})
    alex, bea = team.members["alex"], team.members["bea"]
    ca = sync_client(alex, server)
    ca.send_roster(team.roster())
    waiters = []
    for _ in range(30):  # three times the server process's pool (5 + 5 overflow)
        got: dict[str, Any] = {}
        waiters.append((_waiting_pull(sync_client(bea, server), 60, got), got))
    time.sleep(3)
    db_engine = create_engine(database, pool_size=1)
    with db_engine.connect() as conn:
        held = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND pid <> pg_backend_pid()")).scalar_one()
    db_engine.dispose()
    assert held <= 10, held  # no connection per waiting laptop
    assert all(t.is_alive() for t, _ in waiters)
    began = time.monotonic()
    _share(team, catalogue)
    sent = engine.sync(alex.store, ca, catalogue=catalogue)  # the push is not starved by the waiters
    assert sent.pushed > 0 and time.monotonic() - began < 30
    for t, got in waiters:
        t.join(60)
        assert not t.is_alive() and "error" not in got, got
        assert got["page"].items


# --- behind a TLS-terminating load balancer -------------------------------------------------


def _cert_and_key(lap):
    ident = identity.tls_identity(lap.store)
    return ident


def _raw(server, *, cert=None) -> http.client.HTTPSConnection:
    """A connection as a load balancer (no client certificate) or as a laptop (``cert``)."""
    ctx = ssl.create_default_context(cafile=str(server.team.authority))
    if cert is not None:
        import os
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            os.chmod(folder, 0o700)
            c, k = f"{folder}/c.pem", f"{folder}/k.pem"
            with open(c, "wb") as f:
                f.write(cert.cert_pem)
            with open(k, "w", encoding="ascii") as f:
                f.write(keys.private_pem(cert.key))
            ctx.load_cert_chain(c, k)
    return http.client.HTTPSConnection("127.0.0.1", server.port, context=ctx, timeout=60)


def _get(server, headers: dict[str, str], *, cert=None) -> tuple[int, dict[str, Any]]:
    conn = _raw(server, cert=cert)
    conn.request("GET", "/v1/envelopes?since=0", headers=headers)
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    return response.status, body


def _proxy(trusted: str) -> str:
    return f'[proxy]\ntrusted = ["{trusted}"]\nclient_certificate_header = "{HEADER}"'


def test_a_trusted_proxy_passes_on_the_laptops_verified_certificate(serve, team):
    server = serve(extra=_proxy("127.0.0.0/8"))
    alex = team.members["alex"]
    sync_client(alex, server).send_roster(team.roster())
    escaped = quote(identity.tls_identity(alex.store).cert_pem.decode("ascii"), safe="")
    status, body = _get(server, {HEADER: escaped})
    assert status == 200 and body["items"] == [], body
    # A laptop connecting directly (its own TLS certificate, no header) still works.
    status, _body = _get(server, {}, cert=_cert_and_key(alex))
    assert status == 200
    # Through the proxy without a certificate: refused as any laptop without one.
    status, body = _get(server, {})
    assert status == 401 and body["error"]["code"] == str(Code.SRV_002)


def test_a_forged_certificate_through_the_trusted_proxy_is_refused(serve, team):
    server = serve(extra=_proxy("127.0.0.1"))
    alex = team.members["alex"]
    sync_client(alex, server).send_roster(team.roster())
    other = certs.new_team_ca("Another Fictional Team")
    forged = devicetls.issue_device_certificate(other, keys.new_private_key().public_key(), practitioner=alex.me,
                                                device=alex.store.store_id)
    for value in (quote(certs.cert_pem(forged).decode("ascii"), safe=""), "not%20a%20certificate", "%FF%FE"):
        status, body = _get(server, {HEADER: value})
        assert status == 401 and body["error"]["code"] == str(Code.SRV_002), value
    assert _get(server, {})[0] == 401  # and the server keeps serving


def test_the_certificate_header_from_an_untrusted_address_is_refused(serve, team):
    server = serve(extra=_proxy("10.9.9.9"))  # the load balancer is elsewhere: this machine is not it
    alex = team.members["alex"]
    sync_client(alex, server).send_roster(team.roster())
    escaped = quote(identity.tls_identity(alex.store).cert_pem.decode("ascii"), safe="")
    status, body = _get(server, {HEADER: escaped})
    assert status == 403 and body["error"]["code"] == str(Code.SRV_011)
    # Even alongside the laptop's own valid TLS certificate: the header is refused, not ignored.
    status, body = _get(server, {HEADER: escaped}, cert=_cert_and_key(alex))
    assert status == 403 and body["error"]["code"] == str(Code.SRV_011)
    assert _get(server, {}, cert=_cert_and_key(alex))[0] == 200  # directly, as before
