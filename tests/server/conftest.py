"""A real PostgreSQL for the whole session, a real team of laptops, real TLS certificates
and a real ``ddassess-server`` process (uvicorn over TLS) per test that needs one. The fixtures
only: the helpers they use (``Team``, ``make_team``, ``ServerProcess``, ...) are in
tests/support/server_helpers.py, where tests import them from."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pg_cluster import Cluster
from server_helpers import ServerProcess, Team, make_team

from ddassess.server import db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    cluster = Cluster()
    yield cluster
    cluster.close()


@pytest.fixture
def database(postgres: Cluster) -> str:
    """A new, migrated database of this test's own."""
    url = postgres.fresh_database("t_" + uuid.uuid4().hex[:12])
    engine = db.make_engine(url, pool_size=1)
    db.init_db(engine)
    engine.dispose()
    return url


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    t = make_team(tmp_path / "team")
    yield t
    for lap in [t.lead, *t.members.values()]:
        lap.store.close()


@pytest.fixture
def serve(tmp_path: Path, database: str, team: Team) -> Iterator[object]:
    """``serve(**options)``: a running server on this test's database (stopped after it)."""
    running: list[ServerProcess] = []

    def start(**options: Any) -> ServerProcess:
        p = ServerProcess(tmp_path, database, team, **options)
        running.append(p)
        return p

    yield start
    for p in running:
        p.stop()


@pytest.fixture(scope="session")
def catalogue():
    from ddassess.formengine import load_catalogue

    return load_catalogue(ROOT / "forms")
