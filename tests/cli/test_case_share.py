"""``ddassess case share / unshare / team``: a case's care team headless, with the same rules
as the desktop client's "Add to care team…" (services.care_team): another service needs the
case's final consent form to name it, in date, or a lawful basis for sharing without consent
with its reason (the Caldicott Principles, National Data Guardian 2020; HM Government,
"Information sharing: advice for practitioners providing safeguarding services", 2018)."""

from __future__ import annotations

from pathlib import Path

import pytest
from colleagues import colleague, consent_answers, final_consent

from ddassess.cli import main
from ddassess.domain.models import PersonDetails
from ddassess.formengine import load_catalogue
from ddassess.services import case_changes

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
ME = "Testy McTestface — care coordinator, Fictional SMS; why: same service (opened the case)"


@pytest.fixture
def case_ref(store):
    """A case with a consent form naming the mental health service; two colleagues known; the store closed."""
    person = case_changes.register_person(store, PersonDetails("Clio", "Fictional", nhs_number="9990000085"))
    case = case_changes.open_case(store, person.id)
    final_consent(store, CATALOGUE, case.id, consent_answers([{"agency": "mental_health",
                                                               "information": ["assessment"]}]))
    colleague(store, "Pat Partner", "Mental health nurse", "Fictional Mental Health Trust")
    colleague(store, "Hana Housing", "Housing officer", "Fictional Housing")
    store.close()
    return case.ref


def team(capsys, ref):
    capsys.readouterr()
    assert main(["case", "team", ref]) == 0
    return capsys.readouterr().out.splitlines()


def test_share_on_consent_then_unshare(case_ref, capsys):
    assert main(["case", "share", case_ref.lower(), "--with", "pat partner", "--role", "partner_worker"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Shared {case_ref} with Pat Partner — partner-service worker, Fictional Mental Health "
                          "Trust; why: consent")
    assert team(capsys, case_ref) == [ME, "Pat Partner — partner-service worker, Fictional Mental Health Trust; "
                                          "why: consent"]
    assert main(["case", "unshare", case_ref, "--with", "Pat Partner", "--reason", "Discharged from the CMHT"]) == 0
    assert "Pat Partner is no longer in the care team" in capsys.readouterr().out
    assert team(capsys, case_ref) == [ME]


def test_another_service_without_consent_is_refused_with_exit_19_and_what_to_do(case_ref, capsys):
    assert main(["case", "share", case_ref, "--with", "Hana Housing"]) == 19
    err = capsys.readouterr().err
    assert "Not shared: Hana Housing works for Fictional Housing, another service than this case's" in err
    assert "allows sharing with Mental health service only, not with Housing" in err
    assert "--basis risk|safeguarding|legal --reason" in err and "unexpected" not in err
    assert team(capsys, case_ref) == [ME]


def test_a_lawful_basis_with_its_reason_shares(case_ref, capsys):
    assert main(["case", "share", case_ref, "--with", "Hana Housing", "--basis", "safeguarding", "--reason",
                 "Fictional eviction puts a child at risk; agreed with the team manager"]) == 0
    assert team(capsys, case_ref)[-1] == ("Hana Housing — member of the care team, Fictional Housing; why: without "
                                          "consent: safeguarding (Fictional eviction puts a child at risk; agreed "
                                          "with the team manager)")


@pytest.mark.parametrize("args, code, words", [
    (["DD-2026-99999", "--with", "Pat Partner"], 16, "There is no case DD-2026-99999"),
    (["{ref}", "--with", "Nobody Known"], 16, "No practitioner Nobody Known is known on this laptop"),
    (["{ref}", "--with", "Hana Housing", "--basis", "risk"], 2, "needs the reason"),
    (["{ref}", "--with", "Hana Housing", "--basis", "risk", "--reason", "   "], 2, "needs the reason"),
    (["{ref}", "--with", "Hana Housing", "--reason", "Because"], 2, "--reason goes with a basis"),
    (["{ref}", "--with", "Testy McTestface"], 2, "already in the care team"),
    (["{ref}", "--with", "  "], 2, "Name the practitioner"),
])
def test_bad_input_says_what_is_wrong_and_changes_nothing(case_ref, capsys, args, code, words):
    assert main(["case", "share", *[a.format(ref=case_ref) for a in args]]) == code
    err = capsys.readouterr().err
    assert words in err and "unexpected" not in err
    assert team(capsys, case_ref) == [ME]


def test_bad_choices_are_refused_by_the_parser(case_ref, capsys):
    for extra in (["--role", "boss"], ["--basis", "hunch", "--reason", "x"]):
        with pytest.raises(SystemExit) as info:
            main(["case", "share", case_ref, "--with", "Pat Partner", *extra])
        assert info.value.code == 2
        assert "invalid choice" in capsys.readouterr().err
    assert team(capsys, case_ref) == [ME]


def test_unshare_bad_input(case_ref, capsys):
    assert main(["case", "unshare", case_ref, "--with", "Pat Partner"]) == 2
    assert "Pat Partner is not in the care team" in capsys.readouterr().err
    assert main(["case", "unshare", case_ref, "--with", "Testy McTestface"]) == 2
    assert "the only practitioner in the care team" in capsys.readouterr().err
    assert main(["case", "team", "DD-2026-99999"]) == 16
    assert team(capsys, case_ref) == [ME]
