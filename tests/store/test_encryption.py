"""Everything on disk is ciphertext: the store, its WAL, and no plaintext temp files."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes

SENTINELS = ["Zebedee", "Quillfeather", "9990000018", "SENTINEL-ANSWER-7731", "heroin-sentinel"]


def _fill(store) -> None:  # type: ignore[no-untyped-def]
    person = case_changes.register_person(store, PersonDetails("Zebedee", "Quillfeather", dt.date(1980, 2, 29),
                                                               "9990000018"))
    case = case_changes.open_case(store, person.id)
    resp = case_changes.start_response(store, case.id, "phq9", 1, "0" * 64)
    for i in range(50):  # enough writes that the WAL holds real pages
        case_changes.save_draft(store, resp.id, {"notes": f"SENTINEL-ANSWER-7731 {i}", "substance": "heroin-sentinel"})


def _assert_no_sentinel(path: Path) -> None:
    data = path.read_bytes()
    for s in SENTINELS:
        for encoded in (s.encode("utf-8"), s.encode("utf-16-le")):
            assert encoded not in data, f"{s!r} found in plaintext in {path.name}"


def test_store_files_hold_no_plaintext_while_open_and_after(store, store_folder, tmp_path, monkeypatch):
    sqlite_tmp = tmp_path / "sqlite-tmp"
    sqlite_tmp.mkdir()
    monkeypatch.setenv("SQLITE_TMPDIR", str(sqlite_tmp))
    monkeypatch.setenv("TMPDIR", str(sqlite_tmp))
    _fill(store)
    wal = store_folder / "ddassess.db-wal"
    assert wal.exists() and wal.stat().st_size > 0, "the test must see a WAL with pages in it"
    with store.read() as s:  # a sort that would spill to a temp file if temp_store were FILE
        s.execute(text("SELECT * FROM audit_events ORDER BY changes_json DESC")).fetchall()
    for path in store_folder.rglob("*"):
        if path.is_file():
            _assert_no_sentinel(path)
    store.close()
    for path in store_folder.rglob("*"):
        if path.is_file():
            _assert_no_sentinel(path)
    assert not any(sqlite_tmp.iterdir()), "SQLite wrote temporary files"


def test_plain_sqlite_cannot_read_the_store(store, store_folder):
    _fill(store)
    store.close()
    db = store_folder / "ddassess.db"
    assert db.read_bytes()[:16] != b"SQLite format 3\x00"
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        conn.execute("SELECT name FROM sqlite_master").fetchall()
    conn.close()


def test_sqlite3_command_cannot_read_the_store(store, store_folder):
    _fill(store)
    store.close()
    assert shutil.which("sqlite3"), "install-deps.sh --test installs the sqlite3 command"
    out = subprocess.run(["sqlite3", str(store_folder / "ddassess.db"), ".tables"], capture_output=True, text=True)
    assert out.returncode != 0
    assert "not a database" in out.stderr


def test_store_files_are_private_to_the_user(store, store_folder):
    _fill(store)
    if os.name != "posix":
        return
    assert (store_folder.stat().st_mode & 0o077) == 0
    for name in ("ddassess.db", "ddassess.keys.json", "ddassess.lock"):
        assert ((store_folder / name).stat().st_mode & 0o077) == 0, name
