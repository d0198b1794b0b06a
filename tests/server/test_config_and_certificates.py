"""The server's configuration file and the laptop's server certificate: bad input is
refused with a message that says what is wrong and what to do (no PostgreSQL needed)."""

from __future__ import annotations

import json

import pytest
from team_helpers import CA_PASSPHRASE

from ddassess.codes import Code
from ddassess.errors import InvalidInputError
from ddassess.exchange import devicetls, keys
from ddassess.pdf import certs
from ddassess.server.config import ServerConfigError, load_config
from ddassess.sync import identity

GOOD = """database_url = "postgresql+psycopg://ddassess@/ddassess"
tls_certificate = "server.pem"
tls_key = "server.key"
team_authority = "authority.pem"
port = 9443
workers = 3
[limits]
max_items = 10
"""


def test_a_good_configuration_reads_with_paths_beside_it(tmp_path):
    f = tmp_path / "server.toml"
    f.write_text(GOOD)
    cfg = load_config(f)
    assert cfg.tls_key == tmp_path / "server.key" and cfg.workers == 3 and cfg.port == 9443
    assert cfg.limits.max_items == 10 and cfg.limits.page_items == 500
    assert cfg.limits.max_wait == 30 and cfg.proxy.header == "" and not cfg.proxy.trusts("127.0.0.1")
    f.write_text(GOOD + '[proxy]\ntrusted = ["10.0.0.5", "10.0.1.0/24", "fd00::/8"]\n'
                 'client_certificate_header = "X-SSL-Client-Cert"\n')
    proxy = load_config(f).proxy
    assert proxy.header == "x-ssl-client-cert"
    assert proxy.trusts("10.0.0.5") and proxy.trusts("10.0.1.77") and proxy.trusts("fd00::1")
    assert not proxy.trusts("10.0.0.6") and not proxy.trusts("127.0.0.1") and not proxy.trusts("not an address")


@pytest.mark.parametrize(("text", "words"), [
    (None, "cannot be read"),
    ("database_url = ", "not valid TOML"),
    (GOOD.replace('database_url = "postgresql+psycopg://ddassess@/ddassess"\n', ""), "'database_url' is missing"),
    (GOOD.replace("workers = 3", "workers = 0"), "'workers' must be 1 or more"),
    (GOOD.replace("port = 9443", "port = 70000"), "'port' a TCP port"),
    (GOOD.replace("max_items = 10", "max_items = 0"), "every limit must be a positive number"),
    (GOOD.replace("max_items = 10", 'max_items = "ten"'), "'max_items' is missing or not a int"),
    (GOOD.replace("[limits]\nmax_items = 10", "limits = 3"), "[limits] must be a table"),
    (GOOD.replace("max_items = 10", "max_wait = 0"), "every limit must be a positive number"),
    (GOOD + "[proxy]\ntrusted = []\nclient_certificate_header = \"X-SSL-Client-Cert\"\n", "'trusted' must list"),
    (GOOD + "[proxy]\ntrusted = \"10.0.0.5\"\nclient_certificate_header = \"X-SSL-Client-Cert\"\n",
     "'trusted' must list"),
    (GOOD + "[proxy]\ntrusted = [\"10.0.0.500\"]\nclient_certificate_header = \"X-SSL-Client-Cert\"\n",
     "'10.0.0.500' is not an address or a network"),
    (GOOD + "[proxy]\ntrusted = [\"10.0.0.5\"]\n", "'client_certificate_header' must name a request header"),
    (GOOD + "[proxy]\ntrusted = [\"10.0.0.5\"]\nclient_certificate_header = \"X SSL: Cert\"\n",
     "'client_certificate_header' must name a request header"),
    (GOOD.replace("workers = 3", "workers = 3\nproxy = 1"), "[proxy] must be a table"),
])
def test_a_bad_configuration_says_what_is_wrong(tmp_path, text, words):
    f = tmp_path / "server.toml"
    if text is not None:
        f.write_text(text)
    with pytest.raises(ServerConfigError) as e:
        load_config(f)
    assert words in e.value.message and e.value.code == Code.SRV_001 and e.value.hint


def test_a_missing_authority_certificate_is_named(tmp_path):
    f = tmp_path / "server.toml"
    f.write_text(GOOD)
    with pytest.raises(ServerConfigError) as e:
        load_config(f).authority_certificate()
    assert "authority.pem" in e.value.message


def test_the_laptop_certificate_round_trip_and_its_refusals(team):
    alex, bea = team.members["alex"], team.members["bea"]
    request = identity.certificate_request(alex.store)
    pem = identity.issue_certificate(team.lead.store, request, CA_PASSPHRASE)
    cert = certs.load_cert_pem(pem)
    authority = certs.load_cert_pem(team.authority.read_bytes())
    assert devicetls.device_identity(cert, authority) == (alex.me, alex.store.store_id)
    # Not a request, an altered request, a request replayed as someone else's.
    for bad in (b"nonsense", b"{}", request.replace(b'"body": "', b'"body": "AA')):
        with pytest.raises(InvalidInputError):
            identity.issue_certificate(team.lead.store, bad, CA_PASSPHRASE)
    outer = json.loads(request)
    outer["signature"] = json.loads(identity.certificate_request(bea.store))["signature"]
    with pytest.raises(InvalidInputError):
        identity.issue_certificate(team.lead.store, json.dumps(outer).encode(), CA_PASSPHRASE)
    # Bea cannot keep Alex's certificate; Alex cannot keep one the request did not ask for.
    with pytest.raises(InvalidInputError):
        identity.keep_certificate(bea.store, pem)
    with pytest.raises(InvalidInputError):
        identity.keep_certificate(alex.store, b"not a certificate")
    other = devicetls.issue_device_certificate(certs.new_team_ca("Another Fictional Team"),
                                               keys.new_private_key().public_key(), practitioner=alex.me,
                                               device=alex.store.store_id)
    with pytest.raises(InvalidInputError):
        identity.keep_certificate(alex.store, certs.cert_pem(other))
    # Before keeping it: the certificate that came with the membership; after: the new one replaces it.
    assert identity.tls_identity(alex.store).cert_pem != pem
    identity.keep_certificate(alex.store, pem)
    got = identity.tls_identity(alex.store)
    assert got.cert_pem == pem and keys.key_id(got.key.public_key()) == keys.key_id(cert.public_key())


def test_a_signing_certificate_is_not_a_server_certificate(team):
    """Certificates stay single-purpose: the exchange signing certificate is refused as a TLS one."""
    authority = certs.load_cert_pem(team.authority.read_bytes())
    from ddassess.exchange import membership

    with team.members["alex"].store.read() as s:
        _device, roster = membership.need_team(s)
    for member in roster.members.values():
        assert devicetls.device_identity(member.certificate, authority) is None
