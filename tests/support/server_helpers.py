"""Helpers for the tests that run a real team server (the fixtures that use them are in
tests/server/conftest.py): a team of laptops with TLS certificates from the team authority,
``ddassess-server serve`` in its own process, the real enrolment steps and a laptop's client.

A plain module on ``sys.path`` (tests/conftest.py puts tests/support there), so that the
server tests and tests/benchmarks/bench_server.py import it by its own name: importing these
from ``conftest`` depended on which conftest.py held that name in ``sys.modules``."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pg_cluster import free_port
from team_helpers import CA_PASSPHRASE, Laptop, join, laptop, team_lead

from ddassess.exchange import devicetls, keys
from ddassess.pdf import certs
from ddassess.services import signing


@dataclass
class Credentials:
    cert: Path
    key: Path


@dataclass
class Team:
    folder: Path
    lead: Laptop
    members: dict[str, Laptop]
    authority: Path
    server_cert: Path
    server_key: Path

    def laptop(self, name: str) -> Laptop:
        return self.lead if name == "lead" else self.members[name]

    def credentials(self, name: str) -> Credentials:
        lap = self.laptop(name)
        return device_credentials(self, lap, name)

    def roster(self) -> bytes:
        from ddassess.exchange import membership

        with self.lead.store.read() as s:
            team = membership.need_team(s)[1].team
            found = membership.roster_file(s, team)
        assert found is not None
        return found


def _write_key(path: Path, key: keys.ec.EllipticCurvePrivateKey) -> None:
    path.write_text(keys.private_pem(key), encoding="ascii")
    path.chmod(0o600)


def device_credentials(team: Team, lap: Laptop, name: str) -> Credentials:
    """A TLS key and certificate for a laptop, issued by the team authority (test files)."""
    cert_path = team.folder / f"{name}-tls.pem"
    key_path = team.folder / f"{name}-tls.key"
    if not cert_path.exists():
        ca = signing.team_authority(team.lead.store, CA_PASSPHRASE)
        key = keys.new_private_key()
        cert = devicetls.issue_device_certificate(ca, key.public_key(), practitioner=lap.me,
                                                  device=lap.store.store_id)
        cert_path.write_bytes(certs.cert_pem(cert))
        _write_key(key_path, key)
    return Credentials(cert_path, key_path)


def make_team(root: Path, names: tuple[str, ...] = ("alex", "bea")) -> Team:
    lead = team_lead(root)
    people = {"alex": ("Alex Example", "Fictional Substance Misuse Service"),
              "bea": ("Bea Example", "Fictional Mental Health Trust"),
              "cal": ("Cal Example", "Fictional Substance Misuse Service")}
    members = {}
    for n in names:
        full, agency = people[n]
        members[n] = laptop(root, full, agency=agency)
        join(lead, members[n])
    from ddassess.services import team as team_service

    for lap in list(members.values())[:-1]:  # those who joined first learn of those who joined after
        team_service.import_roster(lap.store, team_service.roster_file(lead.store))
    ca = signing.team_authority(lead.store, CA_PASSPHRASE)
    authority = root / "authority.pem"
    authority.write_bytes(certs.cert_pem(ca.certificate))
    server_key = keys.new_private_key()
    server_cert = devicetls.issue_server_certificate(ca, server_key.public_key(), hosts=["127.0.0.1", "localhost"])
    (root / "server.pem").write_bytes(certs.cert_pem(server_cert))
    _write_key(root / "server.key", server_key)
    return Team(root, lead, members, authority, root / "server.pem", root / "server.key")


class ServerProcess:
    """``ddassess-server serve`` in its own process (killable), on a free port."""

    def __init__(self, folder: Path, database_url: str, team: Team, *, workers: int = 1,
                 limits: dict[str, int] | None = None, extra: str = "") -> None:
        self.port = free_port()
        self.config = folder / f"server-{self.port}.toml"
        lines = [f'database_url = "{database_url}"', f'tls_certificate = "{team.server_cert}"',
                 f'tls_key = "{team.server_key}"', f'team_authority = "{team.authority}"',
                 'host = "127.0.0.1"', f"port = {self.port}", f"workers = {workers}"]
        if limits:
            lines.append("[limits]")
            lines += [f"{k} = {v}" for k, v in limits.items()]
        if extra:
            lines.append(extra)
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.log = folder / f"server-{self.port}.log"
        self.team = team
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "ddassess.server.cli", "--config", str(self.config),
                                          "serve"], stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
        ctx = ssl.create_default_context(cafile=str(self.team.authority))
        deadline = time.monotonic() + 60
        import http.client

        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=5)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("the server did not start: " + self.log.read_text())

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, 9)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(30)

    def events(self) -> list[dict[str, object]]:
        out = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out


def enrol_for_server(team: Team, lap: Laptop) -> None:
    """The real three steps: the laptop's request, the lead's certificate, the laptop keeps it."""
    from ddassess.sync import identity

    request = identity.certificate_request(lap.store)
    pem = identity.issue_certificate(team.lead.store, request, CA_PASSPHRASE)
    identity.keep_certificate(lap.store, pem)


def sync_client(lap: Laptop, server: ServerProcess):
    from ddassess.sync import client, identity

    ident = identity.tls_identity(lap.store)
    return client.ServerClient(server.url, client.tls_context(ident.authority_pem, ident.cert_pem, ident.key))
