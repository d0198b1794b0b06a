"""Free text at the services: too long, broken (a lone surrogate) or with control characters
is refused with InvalidInputError before it reaches the store or a query; nothing saved
before changes. Fictional people only."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select
from store_helpers import amend

from ddassess.domain import limits
from ddassess.domain.models import PersonDetails
from ddassess.errors import InvalidInputError
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes, settings
from ddassess.services.case_list import count_cases, first_page, list_cases
from ddassess.services.case_list_rows import CaseQuery
from ddassess.services.case_pathway import case_id_for_ref
from ddassess.store.records import PersonRecord, ResponseRecord

FORMS = Path(__file__).resolve().parents[2] / "forms"
MEGABYTE = "Testy" * 200_000
LONE_SURROGATE = "Te\ud800sty"


def _people(store) -> int:
    with store.read() as s:
        return int(s.scalar(select(func.count()).select_from(PersonRecord)))


@pytest.mark.parametrize("attr, limit", [
    ("given_name", limits.MAX_NAME), ("family_name", limits.MAX_NAME), ("preferred_name", limits.MAX_NAME),
    ("gender", limits.MAX_DETAIL), ("phone", limits.MAX_DETAIL), ("email", limits.MAX_DETAIL),
    ("address", limits.MAX_ADDRESS)])
def test_each_detail_of_a_person_is_refused_past_its_limit_and_kept_at_it(store, attr, limit):
    base = {"given_name": "Testy", "family_name": "McTestface"}
    with pytest.raises(InvalidInputError, match=f"is {limit + 1:,} characters long; at most {limit:,} fit"):
        case_changes.register_person(store, PersonDetails(**(base | {attr: "x" * (limit + 1)})))
    assert _people(store) == 0
    # At the limit, in the shape the detail must have (a phone number's digits, an email's @).
    longest = {"phone": "0" + " " * (limit - 14) + "7700900123456", "email": "x" * (limit - 12) + "@example.org"}
    value = longest.get(attr, "x" * limit)
    assert len(value) == limit
    case_changes.register_person(store, PersonDetails(**(base | {attr: value})))
    assert _people(store) == 1


def test_a_megabyte_name_is_refused_without_quoting_it(store):
    with pytest.raises(InvalidInputError) as info:
        case_changes.register_person(store, PersonDetails(MEGABYTE, "McTestface"))
    assert "The given name is 1,000,000 characters long; at most 100 fit" in str(info.value)
    assert "Testy" not in str(info.value) and _people(store) == 0


@pytest.mark.parametrize("attr", ["given_name", "family_name", "preferred_name", "address", "email"])
def test_a_lone_surrogate_is_a_clear_message_not_a_unicode_error(store, attr):
    base = {"given_name": "Testy", "family_name": "McTestface"}
    with pytest.raises(InvalidInputError, match="broken character"):
        case_changes.register_person(store, PersonDetails(**(base | {attr: LONE_SURROGATE})))
    assert _people(store) == 0


def test_control_characters_in_a_name_but_line_breaks_in_an_address(store):
    with pytest.raises(InvalidInputError, match="invisible control characters"):
        case_changes.register_person(store, PersonDetails("Testy\n", "McTestface"))
    case_changes.register_person(store, PersonDetails("Testy", "McTestface", address="1 Fictional Road\nNowhere"))


@pytest.mark.parametrize("text, words", [(MEGABYTE, "The search is 1,000,000 characters long; at most 200 fit"),
                                         (LONE_SURROGATE, "broken character")])
def test_a_search_too_long_or_broken_is_refused_before_any_sql(store, caplog, text, words):
    """Before: SQLAlchemy's OperationalError "LIKE or GLOB pattern too complex" (or FTS5's
    equivalent) with the statement and the search in its message; a lone surrogate raised
    UnicodeEncodeError while binding it."""
    case_changes.register_person(store, PersonDetails("Testy", "McTestface"))
    caplog.set_level(logging.DEBUG)
    calls = [lambda: case_changes.search_people(store, text),
             lambda: count_cases(store, CaseQuery(text=text), cap=1000),
             lambda: list_cases(store, CaseQuery(text=text), 0, 50),
             lambda: first_page(store, CaseQuery(text=text), 50, 1000)]
    for call in calls:
        with pytest.raises(InvalidInputError) as info:
            call()
        message = str(info.value)
        assert words in message and "SELECT" not in message and "Testy" not in message
    assert not any("Testy" in r.getMessage() or "SELECT" in r.getMessage() for r in caplog.records)


def test_the_longest_search_still_searches(store):
    case_changes.register_person(store, PersonDetails("Testy", "McTestface"))
    assert case_changes.search_people(store, "t" * limits.MAX_SEARCH) == []
    assert [p.family_name for p in case_changes.search_people(store, "Testy")] == ["McTestface"]


@pytest.mark.parametrize("ref, words", [("DD-" + "9" * 1_000_000, "at most 40 fit"),
                                        ("DD-2026-\ud800", "broken character")])
def test_a_case_reference_too_long_or_broken_is_refused(store, ref, words):
    with pytest.raises(InvalidInputError, match=words):
        case_id_for_ref(store, ref)


@pytest.fixture
def draft(store):
    spec = load_catalogue(FORMS).get("care_plan")
    person = case_changes.register_person(store, PersonDetails("Testy", "McTestface"))
    case = case_changes.open_case(store, person.id, dt.date(2026, 11, 24))
    return case_changes.start_response(store, case.id, spec.id, spec.version, spec.content_hash,
                                       {"what_matters": "A flat"})


def _stored_answers(store, response_id: int) -> str:
    with store.read() as s:
        return s.get(ResponseRecord, response_id).answers_json


@pytest.mark.parametrize("answers, words", [
    ({"what_matters": "x" * (limits.MAX_STORED_ANSWER + 1)}, "a text of 100,001 characters; at most 100,000 can"),
    ({"needs": [{"action": "x" * 1_000_000}]}, "a text of 1,000,000 characters"),
    ({"what_matters": LONE_SURROGATE}, "broken character"),
    ({"needs": [{"copy": ["\udfff"]}]}, "broken character"),
    ({"what_matters": [[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]}, "nested more than 20 deep"),
    ({"needs": [[0] * 1000 for _ in range(201)]}, "more than 200,000 values"),
    ({"k" * 101: 1}, "not a question id"),
    (["what_matters"], "must be a mapping"),
])
def test_answers_no_form_could_hold_are_refused_and_the_draft_is_kept(store, draft, answers, words):
    before = _stored_answers(store, draft.id)
    with pytest.raises(InvalidInputError, match=words):
        case_changes.save_draft(store, draft.id, answers)
    assert _stored_answers(store, draft.id) == before
    with pytest.raises(InvalidInputError, match=words):
        case_changes.start_response(store, draft.case_id, "care_plan", 1, draft.definition_hash, answers)


def test_the_longest_answer_is_saved(store, draft):
    """A draft keeps a paste far past its field's limit (5,000 here): shortened later, never lost."""
    case_changes.save_draft(store, draft.id, {"what_matters": "x" * limits.MAX_STORED_ANSWER,
                                       "needs": [{"action": "y" * 2000}]})
    assert case_changes.get_response(store, draft.id).answers["what_matters"] == "x" * limits.MAX_STORED_ANSWER


def test_an_amendment_reason_too_long_or_broken_is_refused(store, draft):
    final = case_changes.finalise_response(store, draft.id)
    for reason, words in (("r" * (limits.MAX_REASON + 1), "at most 2,000 fit"), ("typo\ud800", "broken character")):
        with pytest.raises(InvalidInputError, match=words):
            amend(store, final.id, {"what_matters": "A house"}, reason)
    assert case_changes.get_response(store, final.id).status == "final"
    amend(store, final.id, {"what_matters": "A house"}, "Line one\nline two: a typo mended")


@pytest.mark.parametrize("key, value, words", [
    ("open_draft", "x" * 1_000_000, "too large to keep"),
    ("date_format", "%d\ud800", "broken character"),
    ("k" * 101, 1, "at most 100 fit"),
    ("idle_lock_minutes", float("nan"), "not plain data"),
])
def test_a_setting_too_large_or_broken_is_refused_and_the_old_value_kept(store, key, value, words):
    settings.set_setting(store, "date_format", "%Y-%m-%d")
    with pytest.raises(InvalidInputError, match=words):
        settings.set_setting(store, key, value)
    assert settings.get_setting(store, "date_format") == "%Y-%m-%d"


@pytest.mark.parametrize("role, words", [("r" * 1_000_000, "Your role is 1,000,000 characters long; at most 200 fit"),
                                         ("Te\ud800m lead", "Your role contains a broken character")])
def test_the_profile_is_checked_by_the_same_rule(store, role, words):
    with pytest.raises(InvalidInputError, match=words):
        settings.update_profile(store, role=role, agency="Fictional Trust")


@pytest.mark.parametrize("practitioner, words", [
    ({"name": "P" * (limits.MAX_PRACTITIONER_NAME + 1)}, "Your name is 65 characters long; at most 64 fit"),
    ({"name": "Pat", "agency": "Fictional\ud800 Trust"}, "Your service contains a broken character"),
])
def test_a_new_store_refuses_a_practitioner_name_past_the_limit_before_making_anything(data_home, practitioner,
                                                                                       words):
    from store_helpers import FAST_KDF, PASSPHRASE

    from ddassess.store import create_store

    folder = data_home / "new-store"
    with pytest.raises(InvalidInputError, match=words):
        create_store(folder, PASSPHRASE, practitioner=practitioner, kdf=FAST_KDF)
    assert not folder.exists()


@pytest.mark.parametrize("team, words", [("T" * (limits.MAX_TEAM_NAME + 1), "at most 40 fit"),
                                         ("Fictional\ud800 Team", "broken character")])
def test_a_team_name_that_no_certificate_could_hold_is_refused(store, team, words):
    """Before: cryptography's ValueError (a common name over 64 characters) or UnicodeEncodeError: exit 1."""
    from ddassess.services import signing

    with pytest.raises(InvalidInputError, match=words):
        signing.create_team_authority(store, team, "authority passphrase 1")
    signing.create_team_authority(store, "T" * limits.MAX_TEAM_NAME, "authority passphrase 1")


def test_a_role_and_service_the_settings_allow_still_get_a_certificate(store):
    """The profile keeps 200 characters; a certificate's attributes hold 64, so they end with '…'."""
    from cryptography.x509.oid import NameOID

    from ddassess.services import signing

    settings.update_profile(store, role="R" * limits.MAX_PROFILE_TEXT, agency="Fictional " * 20)
    signing.create_team_authority(store, "Fictional Joint Team", "authority passphrase 1")
    signing.issue_identity(store, "authority passphrase 1", "my signing passphrase")
    cert = signing.load_identity(store, "my signing passphrase").certificate
    unit = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value
    assert unit == "R" * 63 + "…"
