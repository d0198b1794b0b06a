"""Schema versions: old stores upgrade (after a backup), the ORM matches the migrations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool
from store_helpers import FIXTURE_PASSPHRASE, PASSPHRASE

from ddassess.domain.models import PersonDetails
from ddassess.errors import StoreVersionError
from ddassess.services import case_changes
from ddassess.store import Credentials, open_store, schema
from ddassess.store.check import check_store
from ddassess.store.records import Base

FIXTURES = Path(__file__).parent / "fixtures"
FUTURE = f"{int(schema.HEAD_REVISION) + 1:04d}"  # the revision after the newest, for a made-up migration
RELEASED = sorted(p.name.removeprefix("schema-") for p in FIXTURES.glob("schema-*"))


def test_head_revision_constant_matches_the_migration_scripts():
    assert schema.known_revisions()[0] == schema.HEAD_REVISION


def test_every_released_schema_but_the_newest_has_a_fixture():
    """Every migration's revision except the head was released, so each needs a fixture store."""
    released = set(schema.known_revisions()) - {schema.HEAD_REVISION}
    missing = sorted(released - set(RELEASED))
    assert not missing, f"no fixture store for schema {missing}: run tests/store/fixtures/make_schema_fixture.py"
    assert {"0001", "0002", "0003"} <= set(RELEASED)


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
        person = case_changes.find_person_by_nhs(store, "9990000042")
        assert person is not None and person.family_name == "Person"
        conn = store.raw_connection()
        assert conn.execute("SELECT count(*) FROM form_responses WHERE answers_json = '{\"q1\": 2}'").fetchone()[0] == 1
        if revision >= "0002":  # rows of the tables later releases added are carried over
            assert conn.execute("SELECT value_json FROM practitioner_settings").fetchall() == [("14",)]
        if revision >= "0003":
            assert conn.execute("SELECT key_pem FROM signing_identities").fetchall() == [("fixture key",)]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "signatures" not in tables and "care_plan_versions" in tables  # 0005 drops the never-written one
        assert "flag_acknowledgements" in tables  # 0008: acknowledged flags, empty after an upgrade
        assert conn.execute("SELECT count(*) FROM flag_acknowledgements").fetchone()[0] == 0
        conn.close()
        # The upgraded store is fully usable, including the new tables and the audit chain.
        case_changes.register_person(store, PersonDetails("After", "Upgrade", nhs_number="9990000050"))
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
    assert case_changes.find_person_by_nhs(old, "9990000042") is not None
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
    assert case_changes.find_person_by_nhs(store, "9990000042") is not None
    store.close()


BATCH_FUTURE = '''
"""A future migration that rebuilds the practitioners table (copy, drop, rename).

Revision ID: FUTURE
Revises: HEAD
"""
import sqlalchemy as sa
from alembic import op

revision = "FUTURE"
down_revision = "HEAD"
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    fk = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    conn.exec_driver_sql(f"CREATE TABLE fk_state_seen (on_ integer)")
    conn.exec_driver_sql(f"INSERT INTO fk_state_seen VALUES ({int(fk)})")
    with op.batch_alter_table("practitioners", recreate="always") as batch:
        batch.add_column(sa.Column("pronouns", sa.String(40), nullable=True))
    EXTRA
'''


def _future_migration(tmp_path, monkeypatch, extra: str = "pass") -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS_DIR, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    # On top of whatever the newest schema is (a future migration revises the head).
    head = schema.HEAD_REVISION
    (migrations / "versions" / f"{FUTURE}_rebuild_practitioners.py").write_text(
        BATCH_FUTURE.replace("EXTRA", extra).replace("FUTURE", FUTURE).replace("HEAD", head))
    monkeypatch.setattr(schema, "MIGRATIONS_DIR", migrations)
    monkeypatch.setattr(schema, "HEAD_REVISION", FUTURE)


def _add_rows_that_refer_to_the_owner(store) -> None:
    from sqlalchemy import text

    from ddassess.services.settings import get_setting, set_setting
    from ddassess.store import audit

    set_setting(store, "font_size", 14)
    assert get_setting(store, "font_size") == 14
    with store.write() as s:  # with its audit event, as the signing service writes one: store check replays it
        s.execute(text("INSERT INTO signing_identities (uuid, practitioner_id, source, certificate_pem, chain_pem, "
                       "key_pem, fingerprint, not_after, created_at) SELECT 'sid-1', id, 'team-ca', 'c', 'ch', 'k', "
                       "'f1', '2030', '2026' FROM practitioners"))
        audit.append_event(s, actor=store.owner_uuid, action="create", entity_type="signing-identity", entity_id="f1",
                           changes={"practitioner": [None, store.owner_uuid], "source": [None, "team-ca"]})


def _count(store, table: str) -> int:
    conn = store.raw_connection()
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_a_batch_rebuild_of_practitioners_keeps_the_rows_that_refer_to_it(store, store_folder, tmp_path, monkeypatch):
    _add_rows_that_refer_to_the_owner(store)
    store.close()
    _future_migration(tmp_path, monkeypatch)
    s = open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    try:
        conn = s.raw_connection()
        assert conn.execute("SELECT on_ FROM fk_state_seen").fetchone()[0] == 0, \
            "foreign keys were on during the migration"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # and on again afterwards
        assert "pronouns" in {r[1] for r in conn.execute("PRAGMA table_info(practitioners)")}
        conn.close()
        assert _count(s, "practitioner_settings") == 1
        assert _count(s, "signing_identities") == 1
    finally:
        s.close()


def test_an_upgrade_that_breaks_references_is_undone(store, store_folder, tmp_path, monkeypatch):
    from ddassess.errors import UpgradeFailedError

    _add_rows_that_refer_to_the_owner(store)
    store.close()
    _future_migration(tmp_path, monkeypatch, extra='op.execute("UPDATE signing_identities SET practitioner_id = 999")')
    with pytest.raises(UpgradeFailedError, match="referring to records that do not exist"):
        open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    monkeypatch.undo()
    s = open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    try:
        conn = s.raw_connection()
        assert schema.current_revision(conn) == schema.HEAD_REVISION
        assert conn.execute("SELECT count(*) FROM signing_identities WHERE practitioner_id = 999").fetchone()[0] == 0
        conn.close()
        assert check_store(s).ok
    finally:
        s.close()


# --- a schema label that does not match the tables -----------------------------------


def _relabel(folder, revision):
    with open_store(folder, Credentials(passphrase=PASSPHRASE)) as s:
        conn = s.raw_connection()
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        conn.close()


def test_a_label_older_than_the_tables_is_named_and_makes_no_backup(created, store_folder):
    from store_helpers import file_digests

    from ddassess.errors import CorruptStoreError

    created.store.close()
    _relabel(store_folder, "0002")  # the tables are the newest version's
    before = file_digests(store_folder)
    for _attempt in range(3):
        with pytest.raises(CorruptStoreError) as info:
            open_store(store_folder, Credentials(passphrase=PASSPHRASE))
        message = str(info.value)
        assert f"schema label says version 0002, but its tables are those of version {schema.HEAD_REVISION}" in message
        # the first, alphabetically, of the objects 0002 does not have, and of those it has that are gone
        assert "it has care_plan_versions.uuid, cases.risk_from_flags" in message, message
        assert "which version 0002 does not" in message, message
        assert "it lacks signatures" in message, message
        assert "no backup was made" in message
        assert not (store_folder / "backups").exists(), "a backup was made for a store that cannot be upgraded"
        assert file_digests(store_folder) == before


def test_a_label_matching_no_version_says_so(created, store_folder):
    from ddassess.errors import CorruptStoreError

    conn = created.store.raw_connection()
    conn.execute("DROP TABLE practitioner_settings")
    conn.execute("UPDATE alembic_version SET version_num = '0003'")
    conn.close()
    created.store.close()
    with pytest.raises(CorruptStoreError,
                       match="its tables match no version this ddassess knows .*lacks .*practitioner_settings"):
        open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    assert not (store_folder / "backups").exists()


def test_repeated_failed_upgrades_keep_one_backup(store, store_folder, tmp_path, monkeypatch):
    """An upgrade that fails is undone, so the store is as it was: one copy of it is enough."""
    from ddassess.errors import UpgradeFailedError

    _add_rows_that_refer_to_the_owner(store)
    store.close()
    _future_migration(tmp_path, monkeypatch, extra='op.execute("UPDATE signing_identities SET practitioner_id = 999")')
    for _attempt in range(3):
        with pytest.raises(UpgradeFailedError):
            open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    backups = list((store_folder / "backups").iterdir())
    assert len(backups) == 1, [b.name for b in backups]
    assert (backups[0] / "ddassess.db").read_bytes() == (store_folder / "ddassess.db").read_bytes()


def test_the_cli_says_what_is_wrong_with_the_label(created, store_folder, monkeypatch, capsys):
    from ddassess.cli import main

    created.store.close()
    _relabel(store_folder, "0001")
    monkeypatch.setenv("DDASSESS_PASSPHRASE", PASSPHRASE)
    assert main(["unlock-test", "--passphrase"]) == 6
    err = capsys.readouterr().err
    assert f"schema label says version 0001, but its tables are those of version {schema.HEAD_REVISION}" in err
    assert not (store_folder / "backups").exists()


def test_store_check_compares_a_current_label_with_the_tables(store):
    """Opening trusts a current label (one cheap query); ``store check`` looks at the tables too."""
    assert check_store(store).ok
    conn = store.raw_connection()
    conn.execute("DROP INDEX ix_cases_stage")
    conn.close()
    report = check_store(store)
    head = schema.HEAD_REVISION
    assert any(f"schema label says version {head}, but its tables match no version this ddassess knows "
               f"(it lacks ix_cases_stage, which version {head} has)" in p for p in report.problems), report.problems
