"""The care team and the rules for sharing a case, on real stores with real final consent forms.

The rules are those of English information-sharing law and guidance: a person's information
goes to another organisation with their consent, recorded and in date, or without it only
on a lawful basis recorded with its reason — a serious risk to the person or others,
safeguarding, or a legal requirement (the Caldicott Principles, National Data Guardian
2020; HM Government, "Information sharing: advice for practitioners providing safeguarding
services", 2018; the ICO's Data sharing code of practice, 2020).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from colleagues import colleague, colleague_from_store, consent_answers, final_consent
from sqlalchemy import func, select
from store_helpers import amend

from ddassess.domain.models import PersonDetails
from ddassess.errors import InvalidInputError, RecordNotFound, SharingRefusedError
from ddassess.formengine import load_catalogue
from ddassess.services import care_team, case_changes
from ddassess.services.case_pathway import set_lead
from ddassess.store.check import check_store
from ddassess.store.records import AuditEventRecord, CareTeamMemberRecord, ResponseRecord

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
AGENCIES = [(c.value, c.label) for c in next(f for f in CATALOGUE.get("consent").fields["sharing"].fields
                                             if f.id == "agency").choices]
MH_ROW = {"agency": "mental_health", "information": ["assessment", "care_plan", "risk"]}
HOUSING_ROW = {"agency": "housing", "information": ["contact"]}


@pytest.fixture
def case(store):
    person = case_changes.register_person(store, PersonDetails("Sharon", "Fictional", nhs_number="9990000077"))
    return case_changes.open_case(store, person.id)


@pytest.fixture
def nurse(store):
    """A mental health nurse: another service than the owner's (Fictional SMS)."""
    return colleague(store, "Pat Partner", "Mental health nurse", "Fictional Mental Health Trust")


def team(store, case_id):
    return [(m.practitioner.name, m.role, m.basis) for m in care_team.care_team(store, case_id)]


def events(store):
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEventRecord))


def last_event(store):
    with store.read() as s:
        return s.scalars(select(AuditEventRecord).order_by(AuditEventRecord.seq.desc())).first()


def refused(store, case, who, match, **kw):
    """Sharing is refused with ``match`` in its words, and nothing is written."""
    before = (team(store, case.id), events(store))
    with pytest.raises(SharingRefusedError, match=match) as info:
        care_team.share_case(store, CATALOGUE, case.id, who, **kw)
    assert (team(store, case.id), events(store)) == before
    assert info.value.exit_code == 19
    return str(info.value)


# --- who is in the team -------------------------------------------------------------------


def test_the_practitioner_who_opens_a_case_is_its_care_coordinator(store, case):
    assert team(store, case.id) == [("Testy McTestface", "care_coordinator", "same_agency")]
    (me,) = care_team.care_team(store, case.id)
    assert me.practitioner.uuid == store.owner_uuid and me.added_by == "Testy McTestface"
    assert me.describe() == ("Testy McTestface — care coordinator, Fictional SMS; why: same service "
                             "(opened the case)")
    assert check_store(store).ok, check_store(store).problems


def test_a_colleague_of_the_same_service_needs_no_consent(store, case):
    same = colleague(store, "Sam Same", "Recovery worker", "fictional sms")  # letter case aside, the same text
    member = care_team.share_case(store, CATALOGUE, case.id, same, "partner_worker")
    assert (member.role, member.basis, member.reason) == ("partner_worker", "same_agency", "")
    assert team(store, case.id)[-1] == ("Sam Same", "partner_worker", "same_agency")
    event = last_event(store)
    assert (event.action, event.entity_type, event.entity_id) == ("create", "care-team-member", member.uuid)
    assert json.loads(event.changes_json)["basis"] == [None, "same_agency"]
    assert check_store(store).ok, check_store(store).problems


def test_the_lead_agencys_service_needs_no_consent(store, case, nurse):
    """The case is led by the mental health service: a mental health nurse may join it."""
    refused(store, case, nurse, "no final consent form")
    set_lead(store, case.id, "Mental health service", None)
    assert care_team.share_case(store, CATALOGUE, case.id, nurse).basis == "same_agency"


# --- another service: consent --------------------------------------------------------------


def test_another_service_without_a_consent_form_is_refused_saying_what_to_do(store, case, nurse):
    words = refused(store, case, nurse, "no final consent form")
    assert "Pat Partner works for Fictional Mental Health Trust, another service than this case's" in words
    assert "Record the person's consent" in words and "lawful basis" in words


def test_a_draft_consent_form_is_not_consent(store, case, nurse):
    final_consent(store, CATALOGUE, case.id, consent_answers([MH_ROW]), final=False)
    refused(store, case, nurse, "no final consent form")


def test_consent_given_for_the_agency_allows_it(store, case, nurse):
    final_consent(store, CATALOGUE, case.id, consent_answers([MH_ROW, HOUSING_ROW]))
    check = care_team.sharing_check(store, CATALOGUE, case.id, nurse)
    assert check.allowed and check.basis == "consent"
    assert check.words.startswith("Consent allows sharing with Mental health service: the consent form of ")
    assert "what may be shared: assessment and screening results, care plan, crisis plan and reviews, risk " \
           "assessment and risk history" in check.words
    member = care_team.share_case(store, CATALOGUE, case.id, nurse, "partner_worker")
    assert (member.basis, member.reason) == ("consent", "")
    assert ("Pat Partner", "partner_worker", "consent") in team(store, case.id)
    assert check_store(store).ok, check_store(store).problems


def test_consent_not_given_is_refused(store, case, nurse):
    final_consent(store, CATALOGUE, case.id, consent_answers(None, given=False))
    words = refused(store, case, nurse, "records that the person does not consent to sharing")
    assert "Ask the person again" in words


def test_consent_past_its_review_date_is_refused(store, case, nurse):
    expired = dt.date.today() - dt.timedelta(days=1)
    final_consent(store, CATALOGUE, case.id, consent_answers([MH_ROW], expires=expired))
    refused(store, case, nurse, f"passed its review date on {expired.day} {expired:%b %Y}")


def test_consent_holds_on_its_review_date_and_not_the_day_after(store, case, nurse):
    review = dt.date.today() + dt.timedelta(days=10)
    final_consent(store, CATALOGUE, case.id, consent_answers([MH_ROW], expires=review))
    refused(store, case, nurse, "passed its review date", today=review + dt.timedelta(days=1))
    assert care_team.share_case(store, CATALOGUE, case.id, nurse, today=review).basis == "consent"


def test_consent_for_another_agency_only_is_refused(store, case):
    housing = colleague(store, "Hana Housing", "Housing officer", "Fictional Housing")
    final_consent(store, CATALOGUE, case.id, consent_answers([MH_ROW]))
    refused(store, case, housing, "allows sharing with Mental health service only, not with Housing")


def test_the_latest_final_consent_form_counts(store, case, nurse):
    """An amendment that takes the mental health service out of the consent takes the permission away."""
    rid = final_consent(store, CATALOGUE, case.id, consent_answers([MH_ROW]))
    assert care_team.sharing_check(store, CATALOGUE, case.id, nurse).allowed
    amend(store, rid, consent_answers([HOUSING_ROW]), "The person withdrew consent for mental health services")
    refused(store, case, nurse, "allows sharing with Housing only, not with Mental health service")


def test_a_service_no_consent_form_can_name_is_refused_in_words(store, case):
    dual = colleague(store, "Dee Dual", "Dual diagnosis lead", "Mental health and substance misuse team")
    final_consent(store, CATALOGUE, case.id, consent_answers([MH_ROW]))
    words = refused(store, case, dual, "names none of the agencies a consent form lists")
    assert "Mental health service, Substance misuse service" in words


# --- another service: a lawful basis without consent ------------------------------------------


def test_a_lawful_basis_with_its_reason_shares_and_keeps_what_consent_lacked(store, case, nurse):
    reason = "Threats to a neighbour at the fictional visit; agreed with the Caldicott Guardian"
    member = care_team.share_case(store, CATALOGUE, case.id, nurse, "partner_worker", basis="risk",
                                  reason=f"  {reason} ")
    assert (member.basis, member.reason) == ("risk", reason)
    assert member.describe().endswith(f"why: without consent: serious risk to the person or others ({reason})")
    event = last_event(store)
    changes = json.loads(event.changes_json)
    assert event.reason == reason and changes["basis"] == [None, "risk"]
    assert "no final consent form" in changes["consent_check"][1]  # the refusal it overrode is audited
    assert check_store(store).ok, check_store(store).problems


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_a_lawful_basis_without_a_reason_is_refused(store, case, nurse, reason):
    before = (team(store, case.id), events(store))
    with pytest.raises(InvalidInputError, match="needs the reason"):
        care_team.share_case(store, CATALOGUE, case.id, nurse, basis="safeguarding", reason=reason)
    assert (team(store, case.id), events(store)) == before


def test_the_consent_forms_own_basis_is_offered_not_assumed(store, case, nurse):
    final_consent(store, CATALOGUE, case.id, consent_answers(
        None, given=False, basis="safeguarding_child", details="Children in the home; agreed with the team manager"))
    check = care_team.sharing_check(store, CATALOGUE, case.id, nurse)
    assert not check.allowed and check.form_basis == "safeguarding"
    assert check.form_reason == "Children in the home; agreed with the team manager"
    assert "The consent form records a basis for sharing without consent (without consent: safeguarding)" \
        in check.words
    refused(store, case, nurse, "does not consent")  # the sharer still chooses it and gives the reason
    member = care_team.share_case(store, CATALOGUE, case.id, nurse, basis="safeguarding", reason=check.form_reason)
    assert member.basis == "safeguarding"


def test_bad_roles_and_bases_are_refused(store, case, nurse):
    with pytest.raises(InvalidInputError, match="'boss' is not a role in a care team"):
        care_team.share_case(store, CATALOGUE, case.id, nurse, "boss")
    with pytest.raises(InvalidInputError, match="'hunch' is not a basis for sharing"):
        care_team.share_case(store, CATALOGUE, case.id, nurse, basis="hunch", reason="x")
    with pytest.raises(InvalidInputError, match="control characters"):
        care_team.share_case(store, CATALOGUE, case.id, nurse, basis="risk", reason="bad\x00reason")
    with pytest.raises(RecordNotFound, match="not known on this laptop"):
        care_team.share_case(store, CATALOGUE, case.id, "00000000-0000-4000-8000-000000000000")


# --- removing, and adding again --------------------------------------------------------------


def test_removed_and_re_added_follows_the_rules_again(store, case, nurse):
    review = dt.date.today() + dt.timedelta(days=10)
    final_consent(store, CATALOGUE, case.id, consent_answers([MH_ROW], expires=review))
    first = care_team.share_case(store, CATALOGUE, case.id, nurse, "partner_worker")
    with pytest.raises(InvalidInputError, match="already in the care team of .* as partner-service worker"):
        care_team.share_case(store, CATALOGUE, case.id, nurse)
    seen = []

    def hook(session, case_uuid, practitioner_uuid):  # what the exchange's key rotation will be given
        row = session.scalar(select(CareTeamMemberRecord).where(CareTeamMemberRecord.uuid == first.uuid))
        seen.append((case_uuid, practitioner_uuid, row.removed_at is not None))

    care_team.MEMBER_REMOVED_HOOKS.append(hook)
    try:
        care_team.remove_from_case(store, case.id, nurse, "Moved to another team")
    finally:
        care_team.MEMBER_REMOVED_HOOKS.remove(hook)
    assert seen == [(case.uuid, nurse, True)]
    assert [name for name, _r, _b in team(store, case.id)] == ["Testy McTestface"]
    event = last_event(store)
    assert (event.action, event.entity_id, event.reason) == ("remove", first.uuid, "Moved to another team")
    with pytest.raises(InvalidInputError, match="not in the care team"):
        care_team.remove_from_case(store, case.id, nurse)
    # Added again later: the rules apply again (consent has lapsed by then), and a new membership is made.
    refused(store, case, nurse, "passed its review date", today=review + dt.timedelta(days=1))
    again = care_team.share_case(store, CATALOGUE, case.id, nurse, today=review)
    assert again.uuid != first.uuid and again.role == "member"
    with store.read() as s:
        rows = s.scalars(select(CareTeamMemberRecord).order_by(CareTeamMemberRecord.id)).all()
        assert [(r.uuid, r.removed_at is not None) for r in rows][-2:] == [(first.uuid, True), (again.uuid, False)]
    assert check_store(store).ok, check_store(store).problems


def test_a_failing_removal_hook_undoes_the_removal(store, case, nurse):
    care_team.share_case(store, CATALOGUE, case.id, nurse, basis="risk", reason="Fictional risk to others")
    before = (team(store, case.id), events(store))

    def broken(_session, _case_uuid, _practitioner_uuid):
        raise InvalidInputError("The case key could not be rotated.")

    care_team.MEMBER_REMOVED_HOOKS.append(broken)
    try:
        with pytest.raises(InvalidInputError, match="could not be rotated"):
            care_team.remove_from_case(store, case.id, nurse)
    finally:
        care_team.MEMBER_REMOVED_HOOKS.remove(broken)
    assert (team(store, case.id), events(store)) == before


def test_the_last_member_is_not_removed(store, case):
    with pytest.raises(InvalidInputError, match="the only practitioner in the care team"):
        care_team.remove_from_case(store, case.id, store.owner_uuid)
    assert len(team(store, case.id)) == 1


def test_a_colleague_from_another_laptop_joins_by_their_own_uuid(store, case, data_home):
    theirs = colleague_from_store(store, data_home / "their-laptop", {
        "name": "Fran Fictional", "role": "Community psychiatric nurse", "agency": "Mental health service"})
    assert [p.uuid for p in care_team.candidates(store, case.id)] == [theirs]
    member = care_team.share_case(store, CATALOGUE, case.id, theirs, basis="legal", reason="Fictional court order")
    assert member.practitioner.describe() == "Fran Fictional — Community psychiatric nurse, Mental health service"
    assert care_team.candidates(store, case.id) == []


def test_two_memberships_of_one_practitioner_show_once(store, case, nurse):
    """Two laptops may add the same colleague at once; the team lists them once, and removing
    them ends both."""
    care_team.share_case(store, CATALOGUE, case.id, nurse, basis="risk", reason="Fictional risk")
    with store.write() as s:  # as the other laptop's membership arrives
        first = s.scalars(select(CareTeamMemberRecord).order_by(CareTeamMemberRecord.id.desc())).first()
        s.add(CareTeamMemberRecord(case_id=first.case_id, practitioner_id=first.practitioner_id, role="member",
                                   basis="risk", reason="Theirs", added_by=store.owner_uuid))
    assert [name for name, _r, _b in team(store, case.id)].count("Pat Partner") == 1
    care_team.remove_from_case(store, case.id, nurse)
    assert [name for name, _r, _b in team(store, case.id)] == ["Testy McTestface"]


# --- naming services and practitioners -------------------------------------------------------


@pytest.mark.parametrize(("text", "agency"), [
    ("Mental health service", "mental_health"), ("mental_health", "mental_health"),
    ("Fictional Mental Health Trust", "mental_health"), ("CGL substance-misuse service", "substance_misuse"),
    ("Fictional GP surgery", "primary_care"), ("Probation", "criminal_justice"), ("Other", "other"),
    ("Fictional SMS", None), ("Mental health and substance misuse team", None), ("", None),
    ("Otherwise unnamed team", None),
])
def test_a_service_is_taken_as_an_agency_only_when_it_names_one(text, agency):
    assert care_team.agency_of(text, AGENCIES) == agency


def test_practitioners_are_found_by_uuid_or_full_name(store, nurse):
    assert care_team.find_practitioner(store, nurse).name == "Pat Partner"
    assert care_team.find_practitioner(store, "  pat   PARTNER ").uuid == nurse
    with pytest.raises(RecordNotFound, match="No practitioner Pat is known on this laptop") as info:
        care_team.find_practitioner(store, "Pat")
    assert "Pat Partner" in str(info.value)
    colleague(store, "Pat Partner", "Social worker", "Fictional Housing")
    with pytest.raises(RecordNotFound, match="2 practitioners are called Pat Partner"):
        care_team.find_practitioner(store, "Pat Partner")


def test_a_consent_form_whose_definition_is_gone_is_read_as_stored(store, case, nurse):
    """A final consent form saved under a definition no longer in the catalogue still says what it says."""
    spec = CATALOGUE.get("consent")
    r = case_changes.start_response(store, case.id, "consent", spec.version, "0" * 64,
                                    consent_answers([HOUSING_ROW]))
    case_changes.finalise_response(store, r.id)
    refused(store, case, nurse, "allows sharing with Housing only, not with Mental health service")


# --- consent per agency: the tick for the practitioner's own agency -----------------------------

AGENCY_SERVICES = {"mental_health": "Fictional Mental Health Trust",
                   "substance_misuse": "Fictional Substance Misuse Service",
                   "primary_care": "Fictional GP surgery", "social_care": "Fictional Adult Social Care",
                   "housing": "Fictional Housing", "criminal_justice": "Fictional Probation"}


@pytest.mark.parametrize("agency", sorted(AGENCY_SERVICES))
def test_consent_is_checked_for_each_agency_by_its_own_row(store, case, agency):
    """Each agency of the consent form's list: allowed with a row of its own that ticks what
    may be shared with it; refused, naming it, when only the other agencies are ticked."""
    label = dict(AGENCIES)[agency]
    others = [{"agency": a, "information": ["assessment"]} for a in AGENCY_SERVICES if a != agency]
    who = colleague(store, "Fay Fictional", "Practitioner", AGENCY_SERVICES[agency])
    rid = final_consent(store, CATALOGUE, case.id, consent_answers(others))
    refused(store, case, who, f"not with {label}")
    amend(store, rid, consent_answers([*others, {"agency": agency, "information": ["care_plan"]}]),
          f"The person agreed to share their care plan with {label}")
    check = care_team.sharing_check(store, CATALOGUE, case.id, who)
    assert check.allowed and check.words.startswith(f"Consent allows sharing with {label}:")
    assert "what may be shared: care plan, crisis plan and reviews)" in check.words


def test_an_agency_named_with_nothing_ticked_is_refused_naming_it(store, case, nurse):
    """A row for the agency that ticks nothing (a form received from elsewhere, or of an older
    version, is not checked by this laptop's engine) allows nothing."""
    rid = final_consent(store, CATALOGUE, case.id, consent_answers([MH_ROW]))
    with store.write() as s:  # as a received consent form may hold it
        rec = s.get(ResponseRecord, rid)
        answers = json.loads(rec.answers_json)
        answers["sharing"] = [{**row, "information": []} for row in answers["sharing"]]
        rec.answers_json = json.dumps(answers)
    refused(store, case, nurse, "names Mental health service but ticks nothing that may be shared with it")
