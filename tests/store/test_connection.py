"""What every store connection promises: SQLCipher 4, foreign keys enforced, and a
truncated or emptied store file is called corrupt (never 'wrong passphrase') and left alone."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from store_helpers import PASSPHRASE, file_digests

from ddassess import errors
from ddassess.store import Credentials, open_store


def test_store_connections_enforce_foreign_keys(store):
    with store.read() as s:
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
    conn = store.raw_connection()
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    conn.close()
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        with store.write() as s:
            s.execute(text("INSERT INTO signing_identities (uuid, practitioner_id, source, certificate_pem, "
                           "chain_pem, key_pem, fingerprint, not_after, created_at) "
                           "VALUES ('x', 424242, 'team-ca', '', '', '', 'fp', '', '')"))


def test_the_store_is_sqlcipher_4(store):
    with store.read() as s:
        version = s.execute(text("PRAGMA cipher_version")).scalar()
    assert version and version.split(".")[0] == "4", version


@pytest.mark.parametrize("size", ["empty", "a partial first page", "half the file"])
def test_truncated_store_file_is_corrupt_and_left_as_it_is(store, store_folder, size):
    store.close()
    db = store_folder / "ddassess.db"
    data = db.read_bytes()
    keep = {"empty": 0, "a partial first page": 1000, "half the file": len(data) // 2}[size]
    db.write_bytes(data[:keep])
    before = file_digests(store_folder)
    with pytest.raises(errors.CorruptStoreError) as info:
        open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    message = str(info.value)
    assert "backup" in message
    assert ("is empty" in message) if size == "empty" else ("damaged" in message)
    assert "passphrase" not in message.lower()
    assert file_digests(store_folder) == before, "a failed open changed the store file"
