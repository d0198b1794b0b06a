"""A real PostgreSQL cluster of the tests' own, in a temporary folder, on a free local port.

Made with the distribution's ``initdb`` and ``pg_ctl`` (found with ``pg_config --bindir``,
then ``/usr/lib/postgresql/*/bin``). PostgreSQL refuses to run as root, so as root every
command runs as the unprivileged ``nobody`` (``runuser``) and the folder is handed to it.
Nothing here is a stand-in: the server's tests talk to this PostgreSQL over TCP.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

RUN_AS = "nobody"


def bindir() -> Path:
    found: list[Path] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out:
            found.append(Path(out))
    found += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for d in found:
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    raise RuntimeError("PostgreSQL's initdb and pg_ctl were not found: install the distribution's postgresql "
                       "package (apt-get install -y postgresql); .ci/run does this.")


_PORTS_PER_WORKER = 500
_next_port: list[int] = []


def free_port() -> int:
    """A local port free now, from a block of this test process's own: under pytest-xdist two
    workers asking at once never get the same port (the kernel's ``bind(0)`` could hand one
    worker the port another has just been given and not yet listened on). The blocks lie
    below the kernel's ephemeral range, so no outgoing connection takes one meanwhile."""
    if not _next_port:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
        _next_port.append(20000 + (int(worker) if worker.isdigit() else 0) % 20 * _PORTS_PER_WORKER)
    start = _next_port[0]
    for port in range(start, start + _PORTS_PER_WORKER - (start % _PORTS_PER_WORKER)):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _next_port[0] = port + 1
        return port
    raise RuntimeError("no free local port left in this test process's block")


class Cluster:
    def __init__(self) -> None:
        self.bin = bindir()
        self.root = Path(tempfile.mkdtemp(prefix="ddassess-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, user=RUN_AS)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync",
                  "--locale=C")
        self.start()
        self.psql("CREATE DATABASE ddassess_test")

    def _command(self, tool: str, *args: str) -> list[str]:
        cmd = [str(self.bin / tool), *args]
        return ["runuser", "-u", RUN_AS, "--", *cmd] if self.as_root else cmd

    def _run(self, tool: str, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(self._command(tool, *args), capture_output=True, text=True, timeout=timeout,
                              cwd=self.root, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done.stdout

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off " \
                  "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w", "-t", "60",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, database: str = "ddassess_test") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                         "-v", "ON_ERROR_STOP=1", "-Atc", sql)

    def dump(self, database: str = "ddassess_test") -> bytes:
        """``pg_dump`` of a database, whole (schema and data)."""
        cmd = self._command("pg_dump", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", database)
        return subprocess.run(cmd, capture_output=True, timeout=300, check=True, cwd=self.root).stdout

    def restore(self, database: str, dump: bytes) -> None:
        """Replace ``database`` with a plain ``pg_dump`` of it (a restore from a backup)."""
        self.psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        self.psql(f"CREATE DATABASE {database}")
        path = self.root / "restore.sql"
        path.write_bytes(dump)
        self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-q",
                  "-v", "ON_ERROR_STOP=1", "-f", str(path))
        path.unlink()

    def fresh_database(self, name: str) -> str:
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def close(self) -> None:
        try:
            self.stop("immediate")
        except RuntimeError:
            pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                shutil.rmtree(self.root)
                return
            except OSError:
                time.sleep(0.2)
