"""Settings are declared once (services.settings.SETTINGS): every read, check and save works
from that table, and a save of several settings is one transaction that a bad value stops."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from store_helpers import setting_as_saved

from ddassess.errors import InvalidInputError
from ddassess.services import settings
from ddassess.services.settings import SETTINGS, Profile, get_setting, save_settings, set_setting
from ddassess.store.records import SESSION_SETTINGS

if TYPE_CHECKING:
    from ddassess.store import Store


def _audit_count(store: Store) -> int:
    conn = store.raw_connection()
    try:
        return int(conn.execute("SELECT count(*) FROM audit_events").fetchone()[0])
    finally:
        conn.close()


def test_the_unaudited_settings_are_the_ones_the_store_check_leaves_out():
    """store/replay.py cannot import the table (it is a layer below): the two lists agree."""
    assert {key for key, s in SETTINGS.items() if not s.audited} == set(SESSION_SETTINGS)


def test_every_default_is_a_value_its_setting_takes():
    for setting in SETTINGS.values():
        assert setting.problem(setting.default) is None, setting.key
        for value, _example in setting.choices:
            assert setting.problem(value) is None, (setting.key, value)


def test_the_early_read_asks_for_each_look_setting():
    assert settings.LOOK == ("date_format", "font_size")
    assert settings.LOOK_SQL.count("?") == len(settings.LOOK)


def test_nothing_is_saved_when_one_value_is_bad(store):
    set_setting(store, "idle_lock_minutes", 10)
    before = {key: setting_as_saved(store, key) for key in SETTINGS}
    role, events = store.owner().role, _audit_count(store)
    with pytest.raises(InvalidInputError, match="Text size must be a whole number from 0 to 24") as caught:
        save_settings(store, {"idle_lock_minutes": 20, "date_format": "%Y-%m-%d", "font_size": 99},
                      Profile(role="Senior practitioner", agency="Fictional SMS"))
    assert "Nothing was saved" in str(caught.value)
    assert {key: setting_as_saved(store, key) for key in SETTINGS} == before
    assert store.owner().role == role and _audit_count(store) == events


@pytest.mark.parametrize("key, value, words", [
    ("idle_lock_minutes", 0, "Lock after must be a whole number from 1 to 60"),
    ("idle_lock_minutes", True, "Lock after must be a whole number"),
    ("idle_lock_minutes", "5", "Lock after must be a whole number"),
    ("date_format", "dd/mm/yyyy", "Dates must be a date format with at least one % code"),
    ("open_draft", {"case_id": "1", "response_id": 2}, "The open form must name a case"),
    ("open_draft", {"case_id": 1, "response_id": 2, "notes": "x"}, "The open form must name a case"),
    ("text_size", 14, "There is no setting called text_size"),
])
def test_a_value_a_setting_does_not_take_is_refused_by_name(store, key, value, words):
    with pytest.raises(InvalidInputError, match=words):
        set_setting(store, key, value)
    assert setting_as_saved(store, key) is None


def test_all_of_a_save_is_one_transaction_with_its_audit_events(store):
    events = _audit_count(store)
    save_settings(store, {"idle_lock_minutes": 20, "date_format": "%Y-%m-%d", "font_size": 14,
                          "open_draft": {"case_id": 1, "response_id": 2, "field": None}},
                  Profile(role="Senior practitioner", agency="Fictional SMS"))
    assert [get_setting(store, k) for k in ("idle_lock_minutes", "date_format", "font_size")] == [20, "%Y-%m-%d", 14]
    assert get_setting(store, "open_draft") == {"case_id": 1, "response_id": 2, "field": None}
    assert store.owner().role == "Senior practitioner"
    assert _audit_count(store) == events + 4  # three settings and the profile; where one is, is not audited


def test_reading_an_undeclared_setting_is_a_mistake_in_the_code(store):
    with pytest.raises(KeyError, match="no setting is declared as 'text_size'"):
        get_setting(store, "text_size")
