"""``ddassess-server``: ``init-db`` (migrate the schema) and ``serve`` (uvicorn, N processes).

Both read the configuration file given with ``--config`` (or ``DDASSESS_SERVER_CONFIG``).
"""

from __future__ import annotations

import argparse
import logging
import os
import ssl
import sys
from pathlib import Path

from starlette.applications import Starlette

from ddassess.errors import UserFacingError
from ddassess.server import db
from ddassess.server.app import TeamServer, build_app
from ddassess.server.config import ServerConfig, ServerConfigError, load_config

CONFIG_ENV = "DDASSESS_SERVER_CONFIG"


def _config(path: str | None) -> ServerConfig:
    chosen = path or os.environ.get(CONFIG_ENV)
    if not chosen:
        raise ServerConfigError("No configuration file was given.",
                                hint=f"Give one with --config FILE or the {CONFIG_ENV} variable.")
    return load_config(Path(chosen))


def _logging() -> None:
    """The server's events, one JSON object a line, on stderr (the journal under systemd)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)


def make_app() -> Starlette:
    """The application of one server process (uvicorn's factory; reads ``DDASSESS_SERVER_CONFIG``)."""
    config = _config(None)
    _logging()  # each worker process is started afresh: its events need a handler of their own
    engine = db.make_engine(config.database_url)
    return build_app(TeamServer(engine, config.authority_certificate(), config.limits, proxy=config.proxy))


def serve(config: ServerConfig, config_path: Path) -> None:
    import uvicorn

    config.authority_certificate()  # a clear message now rather than in every worker
    os.environ[CONFIG_ENV] = str(config_path.resolve())
    uvicorn.run("ddassess.server.cli:make_app", factory=True, host=config.host, port=config.port,
                workers=config.workers, ssl_certfile=str(config.tls_certificate), ssl_keyfile=str(config.tls_key),
                ssl_ca_certs=str(config.team_authority), ssl_cert_reqs=ssl.CERT_OPTIONAL,
                http="ddassess.server.tls:PeerCertificateProtocol", access_log=False, log_config=None,
                # A worker answers the supervisor's health check once it has imported and started: on a
                # busy machine that takes longer than uvicorn's 5 s, and the worker would be restarted forever.
                timeout_worker_healthcheck=60,
                # Stopping (systemd, a deploy) waits this long for requests under way, then closes
                # what is left: a waiting pull or a client that never finishes its request cannot
                # hold the stop; every request is atomic and a laptop simply retries.
                timeout_graceful_shutdown=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ddassess-server", description="The ddassess team server.")
    parser.add_argument("--config", help=f"the configuration file (default: ${CONFIG_ENV})")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init-db", help="create or migrate the server's tables in PostgreSQL")
    sub.add_parser("serve", help="serve HTTPS with the configured number of processes")
    sub.add_parser("restored", help="after restoring a backup: laptops pull everything again (nothing twice)")
    args = parser.parse_args(argv)
    _logging()
    try:
        config = _config(args.config)
        if args.command == "init-db":
            revision = db.init_db(db.make_engine(config.database_url, pool_size=1))
            print(f"The server schema is at revision {revision}.")
            return 0
        if args.command == "restored":
            db.new_generation(db.make_engine(config.database_url, pool_size=1))
            print("A new generation: every laptop pulls again from the start on its next sync.")
            return 0
        serve(config, Path(args.config or os.environ[CONFIG_ENV]))
        return 0
    except UserFacingError as e:
        print(f"ddassess-server: {e.message} [{e.code}]", file=sys.stderr)
        if e.hint:
            print(e.hint, file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
