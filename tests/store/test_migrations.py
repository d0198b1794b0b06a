"""Schema versions: old stores upgrade (after a backup), the ORM matches the migrations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool
from store_helpers import FIXTURE_PASSPHRASE

from ddassess.domain.models import PersonDetails
from ddassess.errors import StoreVersionError
from ddassess.services import cases
from ddassess.store import Credentials, open_store
from ddassess.store import schema
from ddassess.store.check import check_store
from ddassess.store.engine import raw_connect
from ddassess.store.records import Base

FIXTURES = Path(__file__).parent / "fixtures"
RELEASED = sorted(p.name.removeprefix("schema-") for p in FIXTURES.glob("schema-*"))


def test_head_revision_constant_matches_the_migration_scripts():
    assert schema.known_revisions()[0] == schema.HEAD_REVISION


def test_every_released_schema_but_the_newest_has_a_fixture():
    assert "0001" in RELEASED


@pytest.mark.parametrize("revision", RELEASED)
def test_old_store_upgrades_with_a_backup(revision, tmp_path):
    folder = tmp_path / "store"
    shutil.copytree(FIXTURES / f"schema-{revision}", folder)
    original = (folder / "ddassess.db").read_bytes()
    original_key_file = (folder / "ddassess.keys.json").read_bytes()
    store = open_store(folder, Credentials(passphrase=FIXTURE_PASSPHRASE))
    try:
        conn = store.raw_connection()
        assert schema.current_revision(conn) == schema.HEAD_REVISION
        conn.close()
        person = cases.find_person_by_nhs(store, "9990000042")
        assert person is not None and person.family_name == "Person"
        # The upgraded store is fully usable, including the new tables and the audit chain.
        cases.register_person(store, PersonDetails("After", "Upgrade", nhs_number="9990000050"))
        report = check_store(store)
        assert report.ok, report.problems
        backups = list((folder / "backups").iterdir())
        assert len(backups) == 1 and f"before-upgrade-from-{revision}" in backups[0].name
        assert (backups[0] / "ddassess.db").read_bytes() == original  # an exact, still encrypted copy
        assert (backups[0] / "ddassess.keys.json").read_bytes() == original_key_file
    finally:
        store.close()
    # The backup folder on its own is a whole store: it opens with the passphrase, at the old schema.
    restored = tmp_path / "restored"
    shutil.copytree(backups[0], restored)
    with pytest.raises(StoreVersionError):
        open_store(restored, Credentials(passphrase=FIXTURE_PASSPHRASE), upgrade=False)
    old = open_store(restored, Credentials(passphrase=FIXTURE_PASSPHRASE))
    assert cases.find_person_by_nhs(old, "9990000042") is not None
    old.close()


def test_migrations_produce_what_the_orm_expects(store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    conn = store.raw_connection()
    engine = create_engine("sqlite://", creator=lambda: conn, poolclass=StaticPool)
    def mapped(obj, name, type_, reflected, compare_to):  # the FTS5 index and its shadow tables
        return not (type_ == "table" and name.startswith("people_search"))

    with engine.connect() as sa_conn:
        context = MigrationContext.configure(sa_conn, opts={"include_object": mapped})
        diffs = compare_metadata(context, Base.metadata)
    conn.close()
    assert diffs == []


BROKEN_0002 = '''
"""A migration that fails half-way through.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("half_done", sa.Column("x", sa.Integer()))
    op.execute("INSERT INTO half_done VALUES (1)")
    raise RuntimeError("simulated failure in a migration")
'''


def test_failed_upgrade_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    migrations = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS_DIR, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    (migrations / "versions" / "0002_practitioner_settings.py").write_text(BROKEN_0002)
    monkeypatch.setattr(schema, "MIGRATIONS_DIR", migrations)
    folder = tmp_path / "store"
    shutil.copytree(FIXTURES / "schema-0001", folder)
    original = (folder / "ddassess.db").read_bytes()
    with pytest.raises(RuntimeError, match="simulated failure"):
        open_store(folder, Credentials(passphrase=FIXTURE_PASSPHRASE))
    backups = list((folder / "backups").iterdir())
    assert backups and (backups[0] / "ddassess.db").read_bytes() == original
    monkeypatch.undo()
    # Nothing of the failed migration is left: the store is still at 0001 with its data,
    # and this version can then upgrade it properly.
    store = open_store(folder, Credentials(passphrase=FIXTURE_PASSPHRASE))
    conn = store.raw_connection()
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert "half_done" not in tables
    assert cases.find_person_by_nhs(store, "9990000042") is not None
    store.close()
