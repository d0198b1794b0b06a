"""A person's details: registered and edited through the services, every edit audited with old
and new values (and replayed by store check), bad input refused in words, the search kept
current. The people are fictional."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from sqlalchemy import select

from ddassess.domain.models import PersonDetails
from ddassess.domain.person import ETHNIC_CATEGORIES, normalise_postcode, unshowable
from ddassess.errors import InvalidInputError
from ddassess.services import case_changes
from ddassess.store.check import check_store
from ddassess.store.records import AuditEventRecord, PersonRecord

FULL = PersonDetails(
    "Examplia", "Demoson", dt.date(1984, 3, 2), "9434765919", preferred_name="Mia", gender="Female",
    address="Flat 2\n1 Example Street\nLeeds", phone="07700 900123", email="mia@example.org", postcode="ls1 4ap",
    gp_practice="Example Street Surgery, Leeds", next_of_kin_name="Pat Demoson", next_of_kin_relationship="Sister",
    next_of_kin_phone="+44 7700 900456", ethnicity="Z", pronouns="she/her",
    communication_needs="Prefers letters in large print.")


def _events(store, entity_type="person"):
    with store.read() as s:
        return [(e.action, json.loads(e.changes_json)) for e in
                s.scalars(select(AuditEventRecord).where(AuditEventRecord.entity_type == entity_type)
                          .order_by(AuditEventRecord.seq))]


def test_every_detail_is_kept_as_registered(store):
    person = case_changes.register_person(store, FULL)
    got = case_changes.person_details(store, person.id)
    assert got == dataclasses.replace(FULL, postcode="LS1 4AP")  # the postcode in its usual layout
    [(action, changes)] = _events(store)
    assert action == "create" and changes["gp_practice"] == [None, "Example Street Surgery, Leeds"]
    assert changes["ethnicity"] == [None, "Z"] and changes["next_of_kin_phone"] == [None, "+44 7700 900456"]


def test_an_edit_is_audited_with_old_and_new_values_and_store_check_replays_it(store):
    person = case_changes.register_person(store, PersonDetails("Testy", "McTestface", nhs_number="9434765919"))
    edited = dataclasses.replace(case_changes.person_details(store, person.id), address="1 Example Street\nLeeds",
                                 postcode="LS1 4AP", phone="07700 900123", gp_practice="Example Surgery")
    case_changes.update_person(store, person.id, edited)
    assert case_changes.person_details(store, person.id) == edited
    action, changes = _events(store)[-1]
    assert action == "update"
    assert changes == {"address": ["", "1 Example Street\nLeeds"], "postcode": ["", "LS1 4AP"],
                       "phone": ["", "07700 900123"], "gp_practice": ["", "Example Surgery"]}
    report = check_store(store)
    assert report.ok, report.problems
    # Changing the row beside the services is found: the replayed events say otherwise.
    conn = store.raw_connection()
    conn.execute("UPDATE people SET gp_practice = 'Elsewhere'")
    conn.close()
    report = check_store(store)
    assert not report.ok and any("gp_practice" in p for p in report.problems), report.problems


def test_an_edit_that_changes_nothing_writes_nothing(store):
    person = case_changes.register_person(store, FULL)
    before = len(_events(store))
    case_changes.update_person(store, person.id, case_changes.person_details(store, person.id))
    assert len(_events(store)) == before


def test_a_renamed_person_is_found_by_the_new_name_only(store):
    person = case_changes.register_person(store, PersonDetails("Testy", "McTestface"))
    case_changes.update_person(store, person.id, PersonDetails("Testy", "Fictionson"))
    assert [p.id for p in case_changes.search_people(store, "Fictionson")] == [person.id]
    assert case_changes.search_people(store, "McTestface") == []
    action, changes = _events(store)[-1]
    assert changes == {"family_name": ["McTestface", "Fictionson"]}  # search_name is not a detail of the person


@pytest.mark.parametrize("change, words", [
    ({"phone": "0770-090-0123"}, "only digits, spaces and a + at the start"),
    ({"phone": "(0113) 496 0000"}, "only digits, spaces and a + at the start"),
    ({"phone": "123"}, "has 3 digits; a phone number has 6 to 15"),
    ({"next_of_kin_phone": "call her sister"}, "The next of kin's phone number may hold only digits"),
    ({"email": "mia.example.org"}, "write it like name@example.org"),
    ({"email": "mia@example"}, "write it like name@example.org"),
    ({"postcode": "LS1 4A"}, "not a UK postcode: write it like LS1 4AP"),
    ({"ethnicity": "White"}, "one of the NHS ethnic categories"),
    ({"pronouns": "x" * 41}, "The pronouns is 41 characters long; at most 40 fit"),
    ({"communication_needs": "x" * 1001}, "at most 1,000 fit"),
    ({"given_name": "Mia \U0001F600"}, "grinning face (U+1F600)"),
    ({"preferred_name": "\u2764\ufe0f Mia"}, "heavy black heart (U+2764), variation selector-16 (U+FE0F)"),
    ({"next_of_kin_name": ""}, None),
])
def test_bad_details_are_refused_in_words_and_nothing_is_changed(store, change, words):
    person = case_changes.register_person(store, FULL)
    before = (case_changes.person_details(store, person.id), len(_events(store)))
    edited = dataclasses.replace(before[0], **change)
    if words is None:  # a detail may be cleared: all but the names are optional
        case_changes.update_person(store, person.id, edited)
        assert case_changes.person_details(store, person.id) == edited
        return
    with pytest.raises(InvalidInputError, match=words.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        case_changes.update_person(store, person.id, edited)
    assert (case_changes.person_details(store, person.id), len(_events(store))) == before
    with pytest.raises(InvalidInputError):  # refused at registration too
        case_changes.register_person(store, dataclasses.replace(FULL, nhs_number=None, **change))


def test_an_emoji_message_says_what_to_do(store):
    with pytest.raises(InvalidInputError) as info:
        case_changes.register_person(store, PersonDetails("Testy \U0001F44D\U0001F3FD", "McTestface"))
    message = str(info.value)
    assert "The given name contains characters that cannot be shown or printed" in message
    assert "thumbs up sign (U+1F44D)" in message and "Delete them" in message
    with store.read() as s:
        assert s.scalar(select(PersonRecord.id)) is None


def test_names_in_every_script_the_fonts_cover_are_accepted(store):
    for given, family in (("Siân", "O'Connor-Łukasz"), ("Zoë", "Żółć"), ("Ngozi", "Ọkọnkwọ"), ("Ελένη", "Παππά"),
                          ("Анна", "Иванова"), ("J.", "Smith-Jones")):
        assert unshowable(given + family) == []
        case_changes.register_person(store, PersonDetails(given, family))


def test_another_person_s_nhs_number_is_refused_on_edit(store):
    case_changes.register_person(store, PersonDetails("Testy", "McTestface", nhs_number="9434765919"))
    other = case_changes.register_person(store, PersonDetails("Sampla", "Fictionson"))
    with pytest.raises(InvalidInputError, match="Another person already has this NHS number"):
        case_changes.update_person(store, other.id, PersonDetails("Sampla", "Fictionson", nhs_number="943 476 5919"))
    assert case_changes.person_details(store, other.id).nhs_number is None


def test_the_ethnic_categories_are_the_nhs_data_dictionary_list():
    """NHS Data Dictionary, ETHNIC CATEGORY: 16 categories A-S (no I, O, Q), Z not stated, 99 not known."""
    codes = [c for c, _w in ETHNIC_CATEGORIES]
    assert codes == [*"ABCDEFGHJKLMNPRS", "Z", "99"]
    assert dict(ETHNIC_CATEGORIES)["R"].endswith("Chinese") and dict(ETHNIC_CATEGORIES)["J"].endswith("Pakistani")


@pytest.mark.parametrize("typed, kept", [("ls14ap", "LS1 4AP"), (" sw1a  1aa ", "SW1A 1AA"), ("M1 1AE", "M1 1AE"),
                                         ("B33 8TH", "B33 8TH"), ("CR2 6XH", "CR2 6XH")])
def test_postcodes_are_kept_in_their_usual_layout(typed, kept):
    assert normalise_postcode(typed) == kept


def test_the_case_list_search_follows_an_edited_name(store):
    """The case list searches the full-text index (migration 0004), kept by triggers: an edit
    of the name moves the person in it; an edit of another detail leaves them found."""
    from ddassess.services.case_list import list_cases
    from ddassess.services.case_list_rows import CaseQuery

    person = case_changes.register_person(store, PersonDetails("Testy", "McTestface"))
    case_changes.open_case(store, person.id)

    def found(text: str) -> list[str]:
        return [r.name for r in list_cases(store, CaseQuery(text=text), 0, 50)]

    assert found("mctest") == ["Testy McTestface"]
    case_changes.update_person(store, person.id, PersonDetails("Testy", "McTestface", gp_practice="Example Surgery"))
    assert found("mctest") == ["Testy McTestface"]
    case_changes.update_person(store, person.id, PersonDetails("Testy", "Fictionson", gp_practice="Example Surgery"))
    assert found("mctest") == [] and found("fiction") == ["Testy Fictionson"]
