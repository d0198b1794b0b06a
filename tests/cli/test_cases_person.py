"""``ddassess cases person`` and ``cases edit-person``: the person's details headless, edited
with the same checks and audit as the desktop client's "Edit person…"."""

from __future__ import annotations

import pytest
from store_helpers import PASSPHRASE

from ddassess.cli import main
from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.store import Credentials, open_store


@pytest.fixture
def case_ref(store):
    person = case_changes.register_person(store, PersonDetails("Fictiona", "Listington", nhs_number="9991000011"))
    ref = case_changes.open_case(store, person.id).ref
    store.close()
    return ref


def test_edit_person_changes_only_what_is_given_and_shows_the_result(case_ref, store_folder, capsys):
    assert main(["cases", "edit-person", case_ref, "--phone", "07700 900123", "--gp-practice", "Example Surgery",
                 "--address", "1 Example Street\\nLeeds", "--postcode", "ls1 4ap", "--ethnicity", "Z"]) == 0
    out = capsys.readouterr().out
    assert "gp practice               Example Surgery" in out
    assert "address                   1 Example Street, Leeds" in out and "postcode                  LS1 4AP" in out
    assert "ethnicity                 Z Not stated" in out
    with open_store(store_folder, Credentials(passphrase=PASSPHRASE)) as store:
        [person] = case_changes.search_people(store, "Listington")
        d = case_changes.person_details(store, person.id)
        assert (d.given_name, d.phone, d.nhs_number) == ("Fictiona", "07700 900123", "9991000011")
        assert d.address == "1 Example Street\nLeeds"
    assert main(["cases", "person", case_ref]) == 0
    assert "phone                     07700 900123" in capsys.readouterr().out


def test_bad_details_are_refused_with_exit_2_and_change_nothing(case_ref, store_folder, capsys):
    assert main(["cases", "edit-person", case_ref, "--phone", "07700 900123"]) == 0
    capsys.readouterr()
    assert main(["cases", "edit-person", case_ref, "--phone", "ring 0113", "--email", "nobody"]) == 2
    err = capsys.readouterr().err
    assert "may hold only digits, spaces and a + at the start" in err and "write it like name@example.org" in err
    with open_store(store_folder, Credentials(passphrase=PASSPHRASE)) as store:
        [person] = case_changes.search_people(store, "Listington")
        assert case_changes.person_details(store, person.id).phone == "07700 900123"
    assert main(["cases", "edit-person", case_ref]) == 2
    assert "Nothing to change" in capsys.readouterr().out
