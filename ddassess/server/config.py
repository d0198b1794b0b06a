"""The team server's configuration file (TOML), read once at start.

::

    database_url = "postgresql+psycopg://ddassess@/ddassess?host=/run/postgresql"
    tls_certificate = "/etc/ddassess-server/server.pem"   # the server's certificate (chain)
    tls_key = "/etc/ddassess-server/server.key"
    team_authority = "/etc/ddassess-server/authority.pem"  # the team authority's certificate
    host = "0.0.0.0"
    port = 8443
    workers = 2

    [limits]
    max_request_bytes = 33554432   # one push, whole
    max_items = 2000               # items in one push
    max_item_bytes = 16777216      # one envelope
    page_items = 500               # the most a pull returns (and its default)
    max_wait = 30                  # seconds a pull may wait for something new (GET ...&wait=S)
    wait_check_ms = 250            # how often a waiting pull looks for something new

    [proxy]                        # only behind a TLS-terminating load balancer (docs/server.md)
    trusted = ["10.0.0.5", "10.0.1.0/24"]      # its addresses: no one else may use the header
    client_certificate_header = "X-SSL-Client-Cert"  # the verified client certificate, URL-encoded PEM

Paths may be relative to the file. A missing or bad setting is named with what to do.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from ddassess.codes import Code
from ddassess.errors import UserFacingError
from ddassess.pdf import certs


class ServerConfigError(UserFacingError):
    code = Code.SRV_001


@dataclass(frozen=True)
class Limits:
    max_request_bytes: int = 32 * 1024 * 1024
    max_items: int = 2000
    max_item_bytes: int = 16 * 1024 * 1024
    page_items: int = 500
    max_wait: int = 30  # seconds: the longest a pull waits for something new
    wait_check_ms: int = 250  # a waiting pull looks again this often (a short read, no connection held)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")


@dataclass(frozen=True)
class Proxy:
    """A TLS-terminating load balancer in front of the server: the addresses it connects
    from, and the request header in which it passes on the client certificate it verified."""

    trusted: tuple[Network, ...] = ()
    header: str = ""  # lower case; "" = no proxy: only the TLS connection's own certificate counts

    def trusts(self, address: str | None) -> bool:
        if not self.header or not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)


@dataclass(frozen=True)
class ServerConfig:
    database_url: str
    tls_certificate: Path
    tls_key: Path
    team_authority: Path
    host: str = "127.0.0.1"
    port: int = 8443
    workers: int = 1
    limits: Limits = Limits()
    proxy: Proxy = field(default_factory=Proxy)

    def authority_certificate(self) -> x509.Certificate:
        try:
            return certs.load_cert_pem(self.team_authority.read_bytes())
        except (OSError, ValueError, certs.CertificateProblem) as e:
            raise ServerConfigError(f"The team authority certificate {self.team_authority} cannot be read "
                                    f"({type(e).__name__}).",
                                    hint="Export it from the team lead's laptop (`ddassess signing export-ca`) "
                                    "and name it in the configuration file.") from None


def _need(body: dict[str, Any], name: str, kind: type, source: Path) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ServerConfigError(f"{source}: '{name}' is missing or not a {kind.__name__}.",
                                hint="See the example configuration in packaging/server/ddassess-server.toml.")
    return value


def load_config(path: Path) -> ServerConfig:
    try:
        body = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ServerConfigError(f"The configuration file {path} cannot be read ({type(e).__name__}).",
                                hint="Give its path with --config.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ServerConfigError(f"The configuration file {path} is not valid TOML: {e}.",
                                hint="Correct it; see packaging/server/ddassess-server.toml.") from None
    base = path.resolve().parent

    def file(name: str) -> Path:
        p = Path(_need(body, name, str, path))
        return p if p.is_absolute() else base / p

    raw_limits = body.get("limits", {})
    if not isinstance(raw_limits, dict):
        raise ServerConfigError(f"{path}: [limits] must be a table.", hint="See the example configuration.")
    limits = Limits(**{k: _need(raw_limits, k, int, path) for k in Limits.__dataclass_fields__ if k in raw_limits})
    if min(limits.max_request_bytes, limits.max_items, limits.max_item_bytes, limits.page_items,
           limits.max_wait, limits.wait_check_ms) < 1:
        raise ServerConfigError(f"{path}: every limit must be a positive number.", hint="Correct [limits].")
    workers = body.get("workers", 1)
    port = body.get("port", 8443)
    if not isinstance(workers, int) or not isinstance(port, int) or workers < 1 or not 0 < port < 65536:
        raise ServerConfigError(f"{path}: 'workers' must be 1 or more and 'port' a TCP port.",
                                hint="Correct the configuration file.")
    return ServerConfig(database_url=_need(body, "database_url", str, path), tls_certificate=file("tls_certificate"),
                        tls_key=file("tls_key"), team_authority=file("team_authority"),
                        host=str(body.get("host", "127.0.0.1")), port=port, workers=workers, limits=limits,
                        proxy=_proxy(body.get("proxy"), path))


def _proxy(raw: Any, path: Path) -> Proxy:
    if raw is None:
        return Proxy()
    if not isinstance(raw, dict):
        raise ServerConfigError(f"{path}: [proxy] must be a table.", hint="See the example configuration.")
    trusted = raw.get("trusted")
    header = raw.get("client_certificate_header")
    if not isinstance(trusted, list) or not trusted or not all(isinstance(t, str) for t in trusted):
        raise ServerConfigError(f"{path}: [proxy] 'trusted' must list the load balancer's addresses.",
                                hint='For example trusted = ["10.0.0.5"]; a network such as "10.0.1.0/24" works too.')
    networks: list[Network] = []
    for entry in trusted:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ServerConfigError(f"{path}: [proxy] '{entry[:64]}' is not an address or a network.",
                                    hint='Give addresses such as "10.0.0.5" or networks such as "10.0.1.0/24".') \
                from None
    if not isinstance(header, str) or not HEADER_NAME.match(header):
        raise ServerConfigError(f"{path}: [proxy] 'client_certificate_header' must name a request header.",
                                hint='For example client_certificate_header = "X-SSL-Client-Cert".')
    return Proxy(tuple(networks), header.lower())
