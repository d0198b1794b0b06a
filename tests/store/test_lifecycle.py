"""A closed store is dead, creating never deletes another's store, damage found at unlock is "corrupt"."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest
from sqlalchemy import select, text
from store_helpers import FAST_KDF, PASSPHRASE, PRACTITIONER, damage_table, file_digests

from ddassess import errors
from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.store import Credentials, create_store, open_store
from ddassess.store import store as store_module
from ddassess.store.records import PersonRecord

OPEN_IN_CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from ddassess.errors import StoreLockedError
    from ddassess.store import open_store, Credentials
    try:
        s = open_store(Path(sys.argv[1]), Credentials(passphrase=sys.argv[2]))
    except StoreLockedError:
        print("locked")
    else:
        print("opened", s.owner().name)
        s.close()
""")


def _open_in_child(folder, env) -> str:
    out = subprocess.run([sys.executable, "-c", OPEN_IN_CHILD, str(folder), PASSPHRASE], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_closed_store_reads_and_writes_nothing(store):
    case_changes.register_person(store, PersonDetails("Testy", "McTestface", nhs_number="9990000026"))
    with store.read() as s:
        assert s.scalars(select(PersonRecord.family_name)).all() == ["McTestface"]
    store.close()
    assert store.closed
    with pytest.raises(errors.StoreClosedError, match="locked"):
        with store.read() as s:
            s.scalars(select(PersonRecord.family_name)).all()
    with pytest.raises(errors.StoreClosedError):
        case_changes.register_person(store, PersonDetails("Second", "Fictional", nhs_number="9990000034"))
    with pytest.raises(errors.StoreClosedError):
        store.raw_connection()
    # The engine itself has no key left: a new pool connection is refused, not decrypted.
    with pytest.raises(errors.StoreClosedError):
        with store.engine.connect() as conn:
            conn.execute(text("SELECT family_name FROM people")).all()
    store.close()  # closing twice is harmless


def test_another_process_gets_the_lock_only_after_close(store, store_folder, subprocess_env):
    assert _open_in_child(store_folder, subprocess_env) == "locked"
    store.close()
    assert _open_in_child(store_folder, subprocess_env) == "opened Testy McTestface"
    # ...and the old object cannot read beside the new holder.
    with pytest.raises(errors.StoreClosedError):
        store.meta("store_id")


def test_create_rechecks_under_the_lock_and_never_deletes_another_store(store_folder, monkeypatch):
    """Two set-ups race: the second one's existence check ran before the first one finished."""
    first = create_store(store_folder, PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF)
    first.store.close()
    before = file_digests(store_folder)
    # The second creator passes its first check (the store did not exist yet, as in the race)...
    calls = []
    real = store_module.store_exists

    def exists_only_the_second_time(folder):
        calls.append(folder)
        return real(folder) if len(calls) > 1 else False

    monkeypatch.setattr(store_module, "store_exists", exists_only_the_second_time)
    with pytest.raises(errors.StoreExistsError, match="already a store"):
        create_store(store_folder, PASSPHRASE, practitioner={"name": "Someone Else"}, kdf=FAST_KDF)
    monkeypatch.undo()
    assert len(calls) == 2, "the existence check must run again once the lock is held"
    assert file_digests(store_folder) == before
    s = open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    assert s.owner().name == "Testy McTestface"
    s.close()


def test_concurrent_creates_leave_exactly_one_store(store_folder):
    results: list[object] = []
    barrier = threading.Barrier(2)

    def create(name):
        barrier.wait()
        try:
            results.append(create_store(store_folder, PASSPHRASE, practitioner={"name": name}, kdf=FAST_KDF))
        except (errors.StoreExistsError, errors.StoreLockedError) as exc:
            results.append(exc)

    threads = [threading.Thread(target=create, args=(n,)) for n in ("Testy One", "Testy Two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = [r for r in results if not isinstance(r, Exception)]
    assert len(made) == 1, results
    winner = made[0]
    name = winner.store.owner().name
    winner.store.close()
    s = open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    assert s.owner().name == name
    s.close()


def test_damage_that_the_unlock_event_meets_is_corrupt_not_a_crash(store, store_folder, caplog):
    store.close()
    damage_table(store_folder, "audit_events")
    before = file_digests(store_folder)
    for _ in range(2):  # the second attempt proves the lock was released by the first
        with pytest.raises(errors.CorruptStoreError) as info:
            open_store(store_folder, Credentials(passphrase=PASSPHRASE))
        message = str(info.value)
        assert "damaged" in message and "store check" in message
        for sql_word in ("INSERT", "SELECT", "audit_events", "[parameters"):
            assert sql_word not in message
    assert file_digests(store_folder) == before, "a failed open changed a store file"
    assert "INSERT" not in caplog.text


def test_store_check_reports_damage_that_stops_unlock(store, store_folder, monkeypatch, capsys):
    from ddassess.cli import main

    store.close()
    damage_table(store_folder, "audit_events")
    before = file_digests(store_folder)
    monkeypatch.setenv("DDASSESS_PASSPHRASE", PASSPHRASE)
    assert main(["store", "check"]) == 8
    out = capsys.readouterr()
    assert "PROBLEM:" in out.out and "fail their integrity check" in out.out
    assert "Traceback" not in out.err and "INSERT" not in out.out + out.err
    assert file_digests(store_folder) == before  # a check of a damaged store writes nothing
