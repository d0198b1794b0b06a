"""The first page of cases at start-up is read with SQLCipher alone, before SQLAlchemy is
loaded: it must be exactly the page the open store gives (same statement, same count,
same rows), and reading it must leave nothing open that should not be."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bulk import populate as bulk_populate
from sqlalchemy.dialects import sqlite
from store_helpers import PASSPHRASE, damage_table

from ddassess.errors import StoreClosedError
from ddassess.formengine import load_catalogue
from ddassess.services import case_list, case_list_rows, demo
from ddassess.store import Credentials, open_store, unlock
from ddassess.store.lock import StoreLock

FORMS = Path(__file__).resolve().parents[2] / "forms"
PAGE, CAP = 200, 1000


def _words(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


@pytest.mark.parametrize(("start_sql", "statement", "params"), [
    (case_list_rows.START_COUNT_SQL, lambda q: case_list.count_statement(q, None, "from-matches", CAP + 1), 0),
    (case_list_rows.START_LIST_SQL, lambda q: case_list.list_statement(q, None, "from-matches", 0, PAGE), 1),
])
def test_the_start_statements_are_what_the_list_compiles(start_sql, statement, params):
    compiled = statement(case_list.CaseQuery()).compile(dialect=sqlite.dialect())
    assert _words(start_sql) == _words(str(compiled))
    bound = tuple(compiled.params[name] for name in compiled.positiontup)
    assert case_list_rows.start_parameters(PAGE, CAP)[params] == bound


def _store_with_every_kind_of_case(folder: Path, store, extra: int = 0) -> int:
    """The demo's fictional cases (every stage, lead agencies, risk, review dates; the
    discharged ones closed), one more closed, and ``extra`` bulk cases. Returns how many
    are open."""
    demo.populate(store, load_catalogue(FORMS), people=24)
    conn = store.raw_connection()
    try:
        conn.execute("UPDATE cases SET status = 'closed' WHERE id = (SELECT min(id) FROM cases)")
        if extra:
            bulk_populate(conn, extra, 0)
        closed, open_ = conn.execute("SELECT sum(status != 'open'), sum(status = 'open') FROM cases").fetchone()
    finally:
        conn.close()
    assert closed >= 2
    return open_


def _page_once_open(folder: Path) -> case_list_rows.FirstPage:
    with open_store(folder, Credentials(passphrase=PASSPHRASE)) as store:
        return case_list.first_page(store, case_list.CaseQuery(), PAGE, CAP)


@pytest.mark.parametrize("extra", [0, 1200])
def test_the_start_page_is_the_page_the_open_store_gives(store, store_folder, extra):
    open_cases = _store_with_every_kind_of_case(store_folder, store, extra)
    store.close()
    expected = _page_once_open(store_folder)
    with unlock(store_folder, Credentials(passphrase=PASSPHRASE)) as unlocked:
        page = case_list_rows.first_page_at_start(unlocked, PAGE, CAP)
    assert page is not None
    assert page == expected
    assert page.total == (None if extra else open_cases)  # past the cap: "more than 1,000"
    assert any(r.next_review_due for r in page.rows) and any(r.next_review_due is None for r in page.rows)
    assert {type(r.date_of_birth).__name__ for r in page.rows} == {"date"}


def test_released_or_taken_keys_read_nothing_and_the_lock_is_freed(store, store_folder):
    store.close()
    unlocked = unlock(store_folder, Credentials(passphrase=PASSPHRASE))
    with pytest.raises(Exception, match="already open"):
        StoreLock(store_folder).acquire()
    unlocked.release()
    with pytest.raises(StoreClosedError):
        unlocked.connect()
    with StoreLock(store_folder):
        pass  # free again
    unlocked.release()  # twice is harmless

    from ddassess.store import finish_open

    taken = unlock(store_folder, Credentials(passphrase=PASSPHRASE))
    opened = finish_open(taken)
    with pytest.raises(StoreClosedError):
        taken.connect()  # the Store owns the key now
    taken.release()  # and giving up the spent Unlocked does not free the Store's lock
    with pytest.raises(Exception, match="already open"):
        StoreLock(store_folder).acquire()
    opened.close()


def test_a_damaged_case_table_gives_no_start_page_rather_than_a_crash(store, store_folder):
    demo.populate(store, load_catalogue(FORMS), people=5)
    store.close()
    damage_table(store_folder, "cases")
    with unlock(store_folder, Credentials(passphrase=PASSPHRASE)) as unlocked:
        assert case_list_rows.first_page_at_start(unlocked, PAGE, CAP) is None


def _look_at_start(folder: Path) -> dict:
    from ddassess.services.settings import look_at_start

    with unlock(folder, Credentials(passphrase=PASSPHRASE)) as unlocked:
        return look_at_start(unlocked)


def test_the_look_at_start_is_the_practitioner_s_own_settings(store, store_folder):
    from ddassess.services.settings import LOOK, SETTINGS, get_setting, look, set_setting
    from ddassess.store.records import PractitionerRecord, SettingRecord, new_uuid

    store.close()
    assert _look_at_start(store_folder) == {key: SETTINGS[key].default for key in LOOK}  # nothing set yet
    with open_store(store_folder, Credentials(passphrase=PASSPHRASE)) as s:
        set_setting(s, "font_size", 15)
        set_setting(s, "date_format", "%d/%m/%Y")
        with s.write() as session:  # another practitioner's text size is not this one's
            other = PractitionerRecord(uuid=new_uuid(), name="Other Fictional Worker")
            session.add(other)
            session.flush()
            session.add(SettingRecord(practitioner_id=other.id, key="font_size", value_json="22"))
        expected = {key: get_setting(s, key) for key in LOOK}
        assert look(s) == expected
    assert _look_at_start(store_folder) == expected == {"date_format": "%d/%m/%Y", "font_size": 15}


def test_unusable_look_settings_fall_back_to_the_defaults(store, store_folder):
    from store_helpers import write_setting_unchecked

    from ddassess.services.settings import LOOK, SETTINGS

    write_setting_unchecked(store, "font_size", "huge")  # hand-edited or damaged values: the window must still draw
    write_setting_unchecked(store, "date_format", 12)
    store.close()
    assert _look_at_start(store_folder) == {key: SETTINGS[key].default for key in LOOK}
    with open_store(store_folder, Credentials(passphrase=PASSPHRASE)) as s:
        write_setting_unchecked(s, "font_size", 500)
        write_setting_unchecked(s, "date_format", "%d.%m.%Y")
    assert _look_at_start(store_folder) == {"font_size": 0, "date_format": "%d.%m.%Y"}
