"""``ddassess cases open``: a person registered and a case opened headless, with the checks
of the desktop client's "New referral": bad details refused with nothing added, a person
already in the store named and not added twice."""

from __future__ import annotations

import re

import pytest
from store_helpers import PASSPHRASE

from ddassess.cli import main
from ddassess.services import case_changes
from ddassess.store import Credentials, open_store

REF = re.compile(r"^(DD-[0-9A-Z]{5}-[0-9A-Z]{5})  opened for Fictiona Listington$")


@pytest.fixture
def folder(store, store_folder):
    store.close()
    return store_folder


def _people_and_cases(folder):
    with open_store(folder, Credentials(passphrase=PASSPHRASE)) as store:
        people = case_changes.search_people(store, "Listington")
        with store.read() as s:
            cases = s.connection().exec_driver_sql("SELECT count(*) FROM cases").scalar()
    return people, cases


def test_opens_a_case_for_a_new_person_with_their_details(folder, capsys):
    assert main(["cases", "open", "--given-name", "Fictiona", "--family-name", "Listington",
                 "--date-of-birth", "03/02/1990", "--nhs-number", "999 100 0011", "--phone", "07700 900123"]) == 0
    ref = REF.match(capsys.readouterr().out.strip())
    assert ref
    [person], cases = _people_and_cases(folder)
    assert cases == 1
    assert (str(person.date_of_birth), person.nhs_number) == ("1990-02-03", "9991000011")
    assert main(["cases", "person", ref[1]]) == 0
    assert "phone                     07700 900123" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "words"), [
    (["--date-of-birth", "31/02/1990"], "is not a date: write it as 1985-06-03"),
    (["--date-of-birth", "2999-01-01"], "The date of birth is in the future"),
    (["--nhs-number", "1234567890"], "not a valid NHS number"),
    (["--email", "not an email"], "email"),
    (["--given-name", "  "], "Enter both the given name and the family name."),
])
def test_bad_details_are_refused_and_nothing_is_added(folder, capsys, args, words):
    argv = ["cases", "open", "--given-name", "Fictiona", "--family-name", "Listington", *args]
    assert main(argv) == 2
    assert words in capsys.readouterr().err
    assert _people_and_cases(folder) == ([], 0)


def test_a_person_already_in_the_store_is_named_not_added_twice(folder, capsys):
    first = ["cases", "open", "--given-name", "Fictiona", "--family-name", "Listington",
             "--date-of-birth", "1990-02-03"]
    assert main(first) == 0
    capsys.readouterr()
    # The same name and date of birth: named, nothing added, and the two ways on said.
    assert main(first) == 2
    out = capsys.readouterr().out
    assert "Already in the store: Fictiona Listington (03 Feb 1990, no NHS number) has the same name and date" in out
    assert "--existing" in out and "--different-person" in out
    people, cases = _people_and_cases(folder)
    assert (len(people), cases) == (1, 1)
    # A new case for the same person, then someone else of the same name and birthday.
    assert main([*first, "--existing"]) == 0
    assert main([*first, "--different-person"]) == 0
    people, cases = _people_and_cases(folder)
    assert (len(people), cases) == (2, 3)


def test_the_same_nhs_number_is_the_same_person(folder, capsys):
    base = ["cases", "open", "--family-name", "Listington", "--nhs-number", "9991000011"]
    assert main([*base, "--given-name", "Fictiona"]) == 0
    capsys.readouterr()
    assert main([*base, "--given-name", "Other", "--different-person"]) == 2
    out = capsys.readouterr().out
    assert "has this NHS number" in out and "--different-person" not in out
    assert _people_and_cases(folder)[1] == 1
