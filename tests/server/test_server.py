"""The team server against a real PostgreSQL, over real mutual TLS, with real laptops.

A server process (uvicorn, ``ddassess-server serve``) per test; laptops are real SQLCipher
stores that joined one team through request and membership files; envelopes are sealed by
them. Nothing here is a stand-in."""

from __future__ import annotations

import http.client
import json
import ssl

import pytest
from team_helpers import CA_PASSPHRASE, laptop, new_case_uuid, seal

from ddassess.codes import Code
from ddassess.exchange import keys
from ddassess.pdf import certs
from ddassess.server import db
from ddassess.services import team as team_service
from ddassess.sync.client import ServerClient, ServerUnavailable, tls_context

pytestmark = pytest.mark.postgres


@pytest.fixture
def client(serve, team):
    """Makes a client of a test's server: a team member's (by name), or one with the TLS
    ``context`` given. Each is closed before the server stops: an idle TLS connection left
    open made the stopping server wait for it (``timeout_graceful_shutdown``, 5 s)."""
    made: list[ServerClient] = []

    def make(server, name: str = "", context: ssl.SSLContext | None = None) -> ServerClient:
        if context is None:
            cred = team.credentials(name)
            key = keys.load_private(cred.key.read_text())
            context = tls_context(team.authority.read_bytes(), cred.cert.read_bytes(), key)
        made.append(ServerClient(server.url, context))
        return made[-1]

    yield make
    for c in made:
        c.close()


def refusal(call) -> ServerUnavailable:
    with pytest.raises(ServerUnavailable) as e:
        call()
    return e.value


def test_the_harness_is_a_real_postgresql_and_init_db_is_repeatable(postgres, database):
    assert "PostgreSQL" in postgres.psql("SELECT version()")
    engine = db.make_engine(database, pool_size=1)
    assert db.schema_revision(engine) == db.HEAD
    assert db.init_db(engine) == db.HEAD  # again: nothing to do, nothing lost
    engine.dispose()


def test_push_then_pull_reaches_only_the_recipients(serve, team, client):
    server = serve(workers=2)  # two processes over one database, as in production
    lead, alex, bea = (client(server, n) for n in ("lead", "alex", "bea"))
    assert lead.send_roster(team.roster())["kept"] is True
    case = new_case_uuid()
    data = seal(team.members["alex"], case, b"fictional payload", recipients=[team.members["alex"],
                                                                              team.members["bea"]])
    assert alex.push([("envelope", data)]) == {"stored": 1, "duplicates": 0, "last_seq": 1}
    page = bea.pull(0)
    assert [i.data for i in page.items] == [data] and page.next == 1 and page.more is False
    assert lead.pull(0).items == []  # the lead is not in this case's care team
    pulls = [e for e in server.events() if e.get("event") == "pull"]
    assert pulls and all(set(e) == {"event", "device", "since", "items", "more", "wait"} for e in pulls)
    # A retried push keeps nothing twice.
    assert alex.push([("envelope", data)])["duplicates"] == 1
    assert [i.seq for i in bea.pull(0).items] == [1]
    assert bea.pull(1).items == []


def test_unknown_revoked_and_certificateless_laptops_are_refused(serve, team, tmp_path, client):
    server = serve()
    lead = client(server, "lead")
    lead.send_roster(team.roster())
    # A laptop with a certificate of this authority but not in the roster.
    stranger = laptop(tmp_path, "Cal Example")
    team.members["cal"] = stranger
    cal = client(server, "cal")
    assert refusal(lambda: cal.pull(0)).server_code == Code.SRV_003
    # No client certificate at all.
    bare = ssl.create_default_context(cafile=str(team.authority))
    nobody = client(server, context=bare)
    err = refusal(lambda: nobody.pull(0))
    assert (err.status, err.server_code) == (401, Code.SRV_002)
    # A certificate of another authority: the handshake itself fails.
    other = certs.new_team_ca("Another Fictional Team")
    from ddassess.exchange import devicetls

    k = keys.new_private_key()
    cert = devicetls.issue_device_certificate(other, k.public_key(), practitioner=team.members["alex"].me,
                                              device=team.members["alex"].store.store_id)
    forged = client(server, context=tls_context(team.authority.read_bytes(), certs.cert_pem(cert), k))
    assert refusal(lambda: forged.pull(0)).status == 0
    # Revoked: after the newer roster reaches the server, nothing in, nothing out.
    alex = client(server, "alex")
    data = seal(team.members["alex"], new_case_uuid(), b"x", recipients=[team.members["alex"]])
    alex.push([("envelope", data)])
    team_service.revoke(team.lead.store, team.members["alex"].me, CA_PASSPHRASE, "fictional lost laptop")
    assert lead.send_roster(team.roster())["kept"] is True
    err = refusal(lambda: alex.pull(0))
    assert (err.status, err.server_code) == (403, Code.SRV_004)
    assert refusal(lambda: alex.push([("envelope", data)])).server_code == Code.SRV_004
    # An older roster never undoes the revocation.
    assert server.events() and all("payload" not in json.dumps(e) for e in server.events())


def raw(server, team, name, method, path, body=b"", headers=None):
    cred = team.credentials(name)
    ctx = ssl.create_default_context(cafile=str(team.authority))
    ctx.load_cert_chain(str(cred.cert), str(cred.key))
    conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=ctx, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    out = r.status, r.read()
    conn.close()
    return out


def test_oversized_and_malformed_requests_get_clear_4xx_and_the_server_keeps_serving(serve, team, client):
    server = serve(limits={"max_request_bytes": 20000, "max_items": 3, "max_item_bytes": 8000, "page_items": 50})
    lead, alex = client(server, "lead"), client(server, "alex")
    lead.send_roster(team.roster())
    a = team.members["alex"]
    case = new_case_uuid()
    big = seal(a, case, b"z" * 9000, recipients=[a])
    assert refusal(lambda: alex.push([("envelope", big)])).server_code == Code.SRV_005
    many = [("envelope", seal(a, case, b"y", recipients=[a])) for _ in range(4)]
    err = refusal(lambda: alex.push(many))
    assert (err.status, err.server_code) == (413, Code.SRV_005)
    status, body = raw(server, team, "alex", "POST", "/v1/envelopes", b"x" * 30000)
    assert status == 413 and json.loads(body)["error"]["code"] == Code.SRV_005
    for bad in (b"not json", b"[]", b'{"items": [{"kind": "letter", "data": ""}]}',
                b'{"items": [{"kind": "envelope", "data": "***"}]}'):
        status, body = raw(server, team, "alex", "POST", "/v1/envelopes", bad)
        assert status == 400 and json.loads(body)["error"]["code"] == Code.SRV_006, bad
    tampered = bytearray(seal(a, case, b"w", recipients=[a]))
    tampered[-5] ^= 1
    err = refusal(lambda: alex.push([("envelope", bytes(tampered))]))
    assert (err.status, err.server_code) == (422, Code.SRV_007)
    for query in ("since=-1", "since=x", "limit=0", "limit=51"):
        status, body = raw(server, team, "alex", "GET", "/v1/envelopes?" + query)
        assert status == 400 and json.loads(body)["error"]["code"] == Code.SRV_006, query
    # Still serving: a good push after all that.
    good = seal(a, case, b"fine", recipients=[a])
    assert alex.push([("envelope", good)])["stored"] == 1
    assert [i.data for i in alex.pull(0, 50).items] == [good]
