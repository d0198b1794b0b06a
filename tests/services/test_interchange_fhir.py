"""FHIR R4 export and import of a case (docs/interchange.md).

Exports are validated against the FHIR structure definitions with fhir.resources (its R4B
models, which match R4 4.0.1 for every resource exported here). Instruments are scored as
published: PHQ-9 (Kroenke, Spitzer and Williams 2001), GAD-7 (Spitzer et al. 2006), AUDIT
(Babor et al., WHO 2001) and AUDIT-C (Bush et al. 1998); their LOINC codes are LOINC's.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError
from sqlalchemy import func, select
from store_helpers import FAST_KDF, PASSPHRASE, PRACTITIONER

from ddassess.domain.models import PersonDetails
from ddassess.errors import InvalidInputError, NoCarePlanError
from ddassess.formengine import load_catalogue
from ddassess.interchange.fhir_read import MAX_FHIR_BYTES, FhirAnswersError, FhirFileError, FhirFormError
from ddassess.services import case_changes, demo, flag_acknowledgements, signing
from ddassess.services.careplan_files import export_care_plan
from ddassess.services.fhir_import import FhirTargetError, import_case_bundle, import_responses
from ddassess.services.interchange import case_fhir, export_fhir, fhir_json
from ddassess.store import create_store
from ddassess.store.check import check_store
from ddassess.store.records import (
    AuditEventRecord,
    CarePlanRecord,
    CaseRecord,
    FlagAcknowledgementRecord,
    ResponseRecord,
)

FORMS = Path(__file__).resolve().parents[2] / "forms"
CATALOGUE = load_catalogue(FORMS)

PHQ9 = {f"q{i}": 2 for i in range(1, 10)} | {"difficulty": "very"}  # 18: moderately severe
GAD7 = {f"q{i}": 1 for i in range(1, 8)}  # 7: mild
AUDIT_C = {"q1": 2, "q2": 2, "q3": 2}  # 6: a positive screen
AUDIT = {f"q{i}": 1 for i in range(1, 9)} | {"q9": 2, "q10": 2}  # 12: zone II


def _final(store, case_id, form_id, answers):
    spec = CATALOGUE.get(form_id)
    r = case_changes.start_response(store, case_id, spec.id, spec.version, spec.content_hash, answers)
    return case_changes.finalise_response(store, r.id)


@pytest.fixture
def case(store):
    person = case_changes.register_person(store, PersonDetails(
        "Łukasz", "Żółć", dt.date(1984, 3, 2), "9990000018", preferred_name="Luke", pronouns="he/him",
        address="1 Fictional Road\nNowhere", postcode="ZZ99 3WZ", phone="01632 960000",
        next_of_kin_name="Ada Żółć", next_of_kin_relationship="Sister", ethnicity="A"))
    case_id = case_changes.open_case(store, person.id).id
    for form_id, answers in (("phq9", PHQ9), ("gad7", GAD7), ("audit_c", AUDIT_C), ("audit", AUDIT)):
        _final(store, case_id, form_id, answers)
    return case_id


def _resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_bundle_is_valid_fhir_r4_and_names_the_instruments_in_loinc(store, case):
    bundle = case_fhir(store, CATALOGUE, case)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    patient = _resources(bundle, "Patient")[0]
    assert patient["identifier"] == [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}]
    assert patient["birthDate"] == "1984-03-02" and patient["address"][0]["postalCode"] == "ZZ99 3WZ"
    panels = {q["url"].rpartition("/")[2]: q["code"][0]["code"] for q in _resources(bundle, "Questionnaire")}
    assert panels == {"phq9": "44249-1", "gad7": "69737-5", "audit_c": "72109-2", "audit": "72110-0"}
    totals = {o["code"]["coding"][0]["code"]: (o.get("valueInteger"), o["interpretation"][0]["text"])
              for o in _resources(bundle, "Observation") if o["code"]["coding"][0]["system"] == "http://loinc.org"}
    assert totals == {"44261-6": (18, "Moderately severe"), "70274-6": (7, "Mild"),
                      "75626-2": (6, "Positive screen"), "75624-7": (12, "Increasing risk (zone II)")}
    responses = {r["id"]: r for r in _resources(bundle, "QuestionnaireResponse")}
    for o in _resources(bundle, "Observation"):
        assert o["derivedFrom"][0]["reference"].rpartition("/")[2] in responses
    phq = next(q for q in _resources(bundle, "Questionnaire") if q["url"].endswith("/phq9"))
    q1 = phq["item"][0]["item"][0]
    assert [(o["valueCoding"]["code"], o["extension"][0]["valueDecimal"]) for o in q1["answerOption"]] == \
        [("0", 0), ("1", 1), ("2", 2), ("3", 3)]
    assert q1["answerOption"][0]["extension"][0]["url"] == "http://hl7.org/fhir/StructureDefinition/ordinalValue"


def test_the_validator_is_not_vacuous(store, case):
    bundle = case_fhir(store, CATALOGUE, case)
    """Structure and types are checked, inside every entry (value sets are not: fhir.resources
    does not bind codes, so the tests assert the codes themselves)."""
    for breakage in (lambda b: _resources(b, "Observation")[0].pop("code"),  # required
                     lambda b: _resources(b, "Observation")[0].update(valueInteger="eighteen"),
                     lambda b: _resources(b, "Patient")[0].update(birthDate="02/03/1984")):
        broken = copy.deepcopy(bundle)
        breakage(broken)
        with pytest.raises(ValidationError):
            Bundle.model_validate(broken)
    broken = copy.deepcopy(bundle)
    _resources(broken, "QuestionnaireResponse")[0]["answers"] = []  # no such element
    with pytest.raises(ValidationError):
        Bundle.model_validate(broken)


def test_exporting_twice_gives_the_same_ids_and_bytes(store, case):
    first, second = case_fhir(store, CATALOGUE, case), case_fhir(store, CATALOGUE, case)
    assert fhir_json(first) == fhir_json(second)
    with store.read() as s:
        uuids = {r.uuid for r in s.scalars(select(ResponseRecord))}
    assert {r["id"] for r in _resources(first, "QuestionnaireResponse")} == uuids


def test_the_export_is_written_audited_and_owner_only(store, case, tmp_path):
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "case.json"
    n = export_fhir(store, CATALOGUE, case, out, "Referral to the GP's practice")
    assert n == len(json.loads(out.read_text())["entry"])
    assert out.stat().st_mode & 0o777 == 0o600
    with store.read() as s:
        event = s.scalars(select(AuditEventRecord).order_by(AuditEventRecord.seq.desc())).first()
        case_uuid = s.get(CaseRecord, case).uuid
    assert (event.action, event.entity_type, event.entity_id) == ("export", "case", case_uuid)
    assert event.actor == store.owner_uuid and event.reason == "Referral to the GP's practice"
    assert str(out) in event.changes_json
    assert [p.name for p in out.parent.iterdir()] == ["case.json"]  # no temporary file left


def _counts(store):
    with store.read() as s:
        return (s.scalar(select(func.count()).select_from(ResponseRecord)),
                s.scalar(select(func.count()).select_from(AuditEventRecord)))


@pytest.mark.parametrize("where", ["missing/case.json", "/proc/ddassess-case.json", "folder", "case.txt"])
def test_nothing_is_written_where_the_file_cannot_go(store, case, tmp_path, where):
    tmp_path = tmp_path / "out"
    (tmp_path / "folder").mkdir(parents=True)
    out = tmp_path / where if not where.startswith("/") else Path(where)
    before = _counts(store)
    with pytest.raises(InvalidInputError):
        export_fhir(store, CATALOGUE, case, out, "a reason")
    assert _counts(store) == before  # nothing audited: nothing left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"] and not any((tmp_path / "folder").iterdir())


def test_an_export_without_a_reason_is_refused(store, case, tmp_path):
    with pytest.raises(InvalidInputError, match="Say why"):
        export_fhir(store, CATALOGUE, case, tmp_path / "case.json", "  ")
    assert not (tmp_path / "case.json").exists()


def _second_store(tmp_path, name="b"):
    return create_store(tmp_path / name, PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF).store


def _sign_a_plan(store, case_id):
    """A care plan of the demo story, signed by the store's owner (a frozen version)."""
    signing.create_team_authority(store, "Fictional Joint Team", "authority passphrase 1")
    signing.issue_identity(store, "authority passphrase 1", "my signing passphrase")
    identity = signing.load_identity(store, "my signing passphrase")
    return export_care_plan(store, CATALOGUE, case_id, store.folder.parent / "plan.pdf", identity)


def test_a_whole_case_round_trips_through_an_empty_store(store, tmp_path):
    demo.populate(store, CATALOGUE, people=8)
    with store.read() as s:
        cases = {c.stage: c.id for c in s.scalars(select(CaseRecord))}
    plan = _sign_a_plan(store, cases["review"])  # a plan amended at the review, then signed
    other = _second_store(tmp_path)
    try:
        for stage, case_id in cases.items():
            out = tmp_path / f"{stage}.json"
            export_fhir(store, CATALOGUE, case_id, out, "moving the case")
            exported = out.read_text()
            Bundle.model_validate_json(exported)
            ref = import_case_bundle(other, CATALOGUE, out, "moving the case")
            with other.read() as s:
                again = s.scalar(select(CaseRecord.id).where(CaseRecord.ref == ref))
            assert fhir_json(case_fhir(other, CATALOGUE, again)) == exported, stage
        report = check_store(other)
        assert report.ok, report.problems
        review = json.loads((tmp_path / "review.json").read_text())
        assert [d["status"] for d in _resources(review, "DocumentReference")] == ["current"]
        plan_id = _resources(review, "CarePlan")[0]["id"]
        assert _resources(review, "Provenance")[0]["target"][0]["reference"] == f"CarePlan/{plan_id}"
        assert plan.version == 1 and _resources(review, "Goal") and _resources(review, "Consent")
    finally:
        other.close()


def test_a_case_the_store_already_has_is_not_imported_again(store, case, tmp_path):
    out = tmp_path / "case.json"
    export_fhir(store, CATALOGUE, case, out, "copy")
    before = _counts(store)
    with pytest.raises(FhirTargetError, match="already has case"):
        import_case_bundle(store, CATALOGUE, out, "again")
    assert _counts(store) == before


def _qr_file(tmp_path, bundle, name="qr.json", change=None):
    qr = copy.deepcopy(next(r for r in _resources(bundle, "QuestionnaireResponse")
                            if r["questionnaire"].split("|")[0].endswith("/phq9")))
    if change:
        change(qr)
    path = tmp_path / name
    path.write_text(json.dumps(qr))
    return path, qr


def test_answers_come_in_as_a_draft_on_the_chosen_case(store, case, tmp_path):
    bundle = case_fhir(store, CATALOGUE, case)
    path, qr = _qr_file(tmp_path, bundle)
    QuestionnaireResponse.model_validate(qr)
    other = case_changes.open_case(store, case_changes.register_person(
        store, PersonDetails("Bea", "Example", dt.date(1990, 1, 1), None)).id).id
    made = import_responses(store, CATALOGUE, other, path, "answers given on paper at the GP")
    with store.read() as s:
        r = s.scalars(select(ResponseRecord).where(ResponseRecord.uuid == made[0])).one()
        event = s.scalars(select(AuditEventRecord).order_by(AuditEventRecord.seq.desc())).first()
    assert (r.case_id, r.form_id, r.form_version, r.status) == (other, "phq9", CATALOGUE.get("phq9").version, "draft")
    assert json.loads(r.answers_json) == PHQ9
    assert (event.action, event.reason) == ("import", "answers given on paper at the GP")
    assert check_store(store).ok


def test_answers_matched_by_the_loinc_panel_code(store, case, tmp_path):
    def loinc(qr):
        qr["questionnaire"] = "http://loinc.org/q/44249-1"

    path, _ = _qr_file(tmp_path, case_fhir(store, CATALOGUE, case), change=loinc)
    made = import_responses(store, CATALOGUE, case, path, "from the GP system")
    with store.read() as s:
        r = s.scalars(select(ResponseRecord).where(ResponseRecord.uuid == made[0])).one()
    assert r.form_id == "phq9" and json.loads(r.answers_json) == PHQ9


def _option(qr, link, code):
    for section in qr["item"]:
        for it in section.get("item", []):
            if it["linkId"] == link:
                it["answer"] = [{"valueCoding": {"code": code}}]


BAD = [
    ("not json", lambda p, qr: p.write_text("{not json"), FhirFileError, "not valid JSON"),
    ("not a resource", lambda p, qr: p.write_text("[1, 2]"), FhirFileError, "not a FHIR resource"),
    ("a patient", lambda p, qr: p.write_text('{"resourceType": "Patient"}'), FhirFileError, "holds a Patient"),
    ("not text", lambda p, qr: p.write_bytes(b"\xff\xfe\x00"), FhirFileError, "not text"),
    ("oversized", lambda p, qr: p.write_bytes(b" " * (MAX_FHIR_BYTES + 1)), FhirFileError, "larger than"),
    ("wrong version", lambda p, qr: p.write_text(json.dumps(qr | {"questionnaire": qr["questionnaire"].split("|")[0]
                                                                 + "|99"})), FhirFormError, "version 99"),
    ("wrong form", lambda p, qr: p.write_text(json.dumps(qr | {"questionnaire": "http://example.org/q/mood|1"})),
     FhirFormError, "not a ddassess form"),
    ("unknown loinc", lambda p, qr: p.write_text(json.dumps(qr | {"questionnaire": "http://loinc.org/q/1-8"})),
     FhirFormError, "LOINC code 1-8"),
    ("unknown question", lambda p, qr: p.write_text(json.dumps(qr | {"item": [{"linkId": "q99", "answer": [
        {"valueInteger": 1}]}]})), FhirAnswersError, "no question 'q99'"),
]


@pytest.mark.parametrize("name,write,error,words", BAD, ids=[b[0] for b in BAD])
def test_bad_files_say_what_is_wrong_and_change_nothing(store, case, tmp_path, name, write, error, words):
    _, qr = _qr_file(tmp_path, case_fhir(store, CATALOGUE, case))
    path = tmp_path / "bad.json"
    write(path, qr)
    before = _counts(store)
    with pytest.raises(error, match=words):
        import_responses(store, CATALOGUE, case, path, "import")
    assert _counts(store) == before


def test_answers_that_do_not_fit_are_all_listed_and_none_imported(store, case, tmp_path):
    bundle = case_fhir(store, CATALOGUE, case)
    good = next(r for r in _resources(bundle, "QuestionnaireResponse") if "/gad7|" in r["questionnaire"])
    _, bad = _qr_file(tmp_path, bundle, change=lambda qr: (_option(qr, "q3", "7"), _option(qr, "q5", "often")))
    both = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": good}, {"resource": bad}]}
    path = tmp_path / "two.json"
    path.write_text(json.dumps(both))
    before = _counts(store)
    with pytest.raises(FhirAnswersError) as caught:
        import_responses(store, CATALOGUE, case, path, "import")
    assert len(caught.value.problems) == 2
    assert "'7' is not one of the options" in str(caught.value) and "'often'" in str(caught.value)
    assert _counts(store) == before  # the good GAD-7 did not come in alone


def test_a_value_of_the_wrong_type_is_refused(store, case, tmp_path):
    """Words where one of a scored question's options is asked."""
    bundle = case_fhir(store, CATALOGUE, case)

    def words(qr):
        qr["item"][0]["item"][0]["answer"] = [{"valueString": "nearly every day"}]

    path, _ = _qr_file(tmp_path, bundle, change=words)
    before = _counts(store)
    with pytest.raises(FhirAnswersError, match="answered with one of its options"):
        import_responses(store, CATALOGUE, case, path, "import")
    assert _counts(store) == before


# --- the whole case: amendments, acknowledged flags, a draft plan version -----------------------


def _amend(store, response_id, form_id, change, reason):
    spec = CATALOGUE.get(form_id)
    signed = case_changes.get_response(store, response_id).answers  # the signatures given again
    draft = case_changes.start_amendment(store, response_id, {f.id: f.type for f in spec.fields.values()})
    case_changes.save_draft(store, draft.id, signed | dict(draft.answers) | change)
    return case_changes.finalise_amendment(store, draft.id, reason)


def _rich_case(store):
    """The demo's review case (its care plan amended at the review), its plan signed, a PHQ-9
    raising the item 9 flag (Kroenke, Spitzer and Williams 2001) acknowledged and then amended,
    and the plan changed again and printed unsigned: a draft version after the signed one."""
    demo.populate(store, CATALOGUE, people=8)
    with store.read() as s:
        case_id = s.scalar(select(CaseRecord.id).where(CaseRecord.stage == "review"))
    _sign_a_plan(store, case_id)
    phq = _final(store, case_id, "phq9", PHQ9)
    flag_acknowledgements.acknowledge_flag(store, CATALOGUE, case_id, phq.uuid, "risk_to_self",
                                           "Safety plan reviewed with the person the same day")
    _amend(store, phq.id, "phq9", {"q1": 3}, "Item 1 read back to the person and corrected")
    with store.read() as s:
        plan_response = s.scalar(select(ResponseRecord.id).where(ResponseRecord.case_id == case_id,
                                                                 ResponseRecord.form_id == "care_plan",
                                                                 ResponseRecord.status == "final"))
    _amend(store, plan_response, "care_plan", {"what_matters": "Getting back to the allotment"},
           "What matters to the person, in their words")
    export_care_plan(store, CATALOGUE, case_id, store.folder.parent / "draft.pdf")
    return case_id


def _records(store, case_uuid):
    """What a whole-case import must give back, by the records' ids."""
    with store.read() as s:
        case_id = s.scalar(select(CaseRecord.id).where(CaseRecord.uuid == case_uuid))
        ids = {r.id: r.uuid for r in s.scalars(select(ResponseRecord).where(ResponseRecord.case_id == case_id))}
        responses = sorted((r.uuid, r.status, ids.get(r.amends_id), r.amendment_reason, r.finalised_at,
                            json.loads(r.answers_json))
                           for r in s.scalars(select(ResponseRecord).where(ResponseRecord.case_id == case_id)))
        acks = sorted((a.uuid, a.response_uuid, a.flag_id, a.acknowledged_by, a.acknowledged_at, a.reason)
                      for a in s.scalars(select(FlagAcknowledgementRecord)
                                         .where(FlagAcknowledgementRecord.case_id == case_id)))
        plan = s.scalars(select(CarePlanRecord).where(CarePlanRecord.case_id == case_id)).one()
        versions = [(v.uuid, v.version, v.status, v.frozen_at, v.created_at, v.content_json) for v in plan.versions]
    return responses, acks, (plan.uuid, versions)


@pytest.mark.parametrize("document", [False, True], ids=["collection", "document"])
def test_amendments_acknowledged_flags_and_a_draft_plan_come_back_the_same(store, tmp_path, document):
    case_id = _rich_case(store)
    out = tmp_path / "case.json"
    export_fhir(store, CATALOGUE, case_id, out, "moving the case", document=document)
    exported = out.read_text()
    bundle = json.loads(exported)
    Bundle.model_validate(bundle)
    statuses = [r["status"] for r in _resources(bundle, "QuestionnaireResponse")]
    assert statuses.count("amended") == 3  # the plan amended at the review and again, and the PHQ-9
    amended = [r for r in _resources(bundle, "QuestionnaireResponse") if r["status"] == "amended"]
    assert all(any(e["url"].endswith("/superseded-by") for e in r["extension"]) for r in amended)
    versions = _resources(bundle, "DocumentReference")
    assert [(d["docStatus"], d["status"]) for d in versions] == [("final", "current"), ("preliminary", "current")]
    with store.read() as s:
        case_uuid = s.get(CaseRecord, case_id).uuid
    before = _records(store, case_uuid)
    assert len(before[1]) == 1 and [v[2] for v in before[2][1]] == ["signed", "draft"]
    other = _second_store(tmp_path)
    try:
        ref = import_case_bundle(other, CATALOGUE, out, "moving the case")
        with other.read() as s:
            again = s.scalar(select(CaseRecord.id).where(CaseRecord.ref == ref))
        assert fhir_json(case_fhir(other, CATALOGUE, again, document=document)) == exported
        assert _records(other, case_uuid) == before
        report = check_store(other)
        assert report.ok, report.problems
    finally:
        other.close()


def test_the_care_plan_as_a_fhir_document(store, tmp_path):
    case_id = _rich_case(store)
    bundle = case_fhir(store, CATALOGUE, case_id, document=True)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "document" and bundle["timestamp"]
    assert bundle["identifier"]["system"] == "urn:ietf:rfc:3986"
    assert bundle["identifier"]["value"].startswith("urn:uuid:")
    first = bundle["entry"][0]["resource"]
    assert first["resourceType"] == "Composition" and len(_resources(bundle, "Composition")) == 1
    assert first["type"]["coding"][0] == {"system": "http://loinc.org", "code": "18776-5",
                                          "display": "Plan of care note"}
    assert first["status"] == "final" and first["date"] == bundle["timestamp"]
    assert first["subject"]["reference"] == f"Patient/{_resources(bundle, 'Patient')[0]['id']}"
    practitioners = {p["id"] for p in _resources(bundle, "Practitioner")}
    authors = [a["reference"].rpartition("/")[2] for a in first["author"]]
    assert authors and set(authors) <= practitioners  # who signed, as the bundle's practitioners
    assert {a["mode"] for a in first["attester"]} >= {"professional"}
    in_bundle = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    sections = {s["title"]: s for s in first["section"]}
    assert list(sections) == ["Goals", "Activities", "Risks and flags", "Crisis plan"]
    for s in sections.values():
        assert all(e["reference"] in in_bundle for e in s.get("entry", []))
    assert {e["reference"].partition("/")[0] for e in sections["Goals"]["entry"]} == {"Goal"}
    assert sections["Activities"]["entry"] == [{"reference": f"CarePlan/{_resources(bundle, 'CarePlan')[0]['id']}"}]
    assert all(e["reference"].startswith("Flag/") for e in sections["Risks and flags"].get("entry", []))
    assert "<p>" in sections["Crisis plan"]["text"]["div"]
    assert fhir_json(case_fhir(store, CATALOGUE, case_id, document=True)) == fhir_json(bundle)  # stable
    collection = case_fhir(store, CATALOGUE, case_id)
    assert bundle["entry"][1:] == collection["entry"]  # the same resources, led by the Composition


def test_answers_from_a_document_bundle_come_in_as_drafts(store, case, tmp_path):
    demo.populate(store, CATALOGUE, people=8)
    with store.read() as s:
        review = s.scalar(select(CaseRecord.id).where(CaseRecord.stage == "review"))
    path = tmp_path / "doc.json"
    document = case_fhir(store, CATALOGUE, review, document=True)
    path.write_text(fhir_json(document))
    with store.read() as s:
        before = s.scalar(select(func.count()).select_from(ResponseRecord).where(ResponseRecord.case_id == case))
    made = import_responses(store, CATALOGUE, case, path, "from a care plan document")
    with store.read() as s:
        after = s.scalar(select(func.count()).select_from(ResponseRecord).where(ResponseRecord.case_id == case))
    statuses = [r["status"] for r in _resources(document, "QuestionnaireResponse")]
    assert "amended" in statuses  # the care plan amended at the review: its old version is not imported
    assert len(made) == len(statuses) - statuses.count("amended") and after == before + len(made)


def test_a_document_needs_a_care_plan_and_writes_nothing_without_one(store, case, tmp_path):
    (tmp_path / "out").mkdir()
    before = _counts(store)
    with pytest.raises(NoCarePlanError, match="no joint care plan"):
        export_fhir(store, CATALOGUE, case, tmp_path / "out" / "doc.json", "referral", document=True)
    assert _counts(store) == before and not any((tmp_path / "out").iterdir())


def _document_file(store, tmp_path, change):
    case_id = _rich_case(store)
    bundle = case_fhir(store, CATALOGUE, case_id, document=True)
    change(bundle)
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(bundle))
    return path


def _qr_where(bundle, status):
    return next(r for r in _resources(bundle, "QuestionnaireResponse") if r["status"] == status
                and "/phq9|" in r["questionnaire"])


def _ack_flag(bundle, flag):
    qr = next(r for r in _resources(bundle, "QuestionnaireResponse") if any(
        e["url"].endswith("/flag-acknowledgement") for e in r.get("extension", [])))
    ack = next(e for e in qr["extension"] if e["url"].endswith("/flag-acknowledgement"))
    next(p for p in ack["extension"] if p["url"] == "flag")["valueCode"] = flag


def _amends_missing(bundle):
    qr = next(r for r in _resources(bundle, "QuestionnaireResponse") if any(
        e["url"].endswith("/amends") for e in r.get("extension", [])))
    next(e for e in qr["extension"] if e["url"].endswith("/amends"))["valueReference"]["reference"] = \
        "QuestionnaireResponse/00000000-0000-4000-8000-000000000000"


BAD_DOCUMENTS = [
    ("unknown flag acknowledged", lambda b: _ack_flag(b, "no_such_flag"), FhirAnswersError, "no flag 'no_such_flag'"),
    ("amends a response not in the file", _amends_missing, FhirAnswersError, "not in the file"),
    ("a status ddassess does not export", lambda b: _qr_where(b, "completed").update(status="stopped"),
     FhirFileError, "status 'stopped'"),
    ("a plan version of no known status",
     lambda b: _resources(b, "DocumentReference")[-1]["extension"][1].update(valueCode="lost"),
     FhirFileError, "cannot be 'lost'"),
]


@pytest.mark.parametrize("name,change,error,words", BAD_DOCUMENTS, ids=[b[0] for b in BAD_DOCUMENTS])
def test_a_bad_document_bundle_is_refused_whole(store, tmp_path, name, change, error, words):
    path = _document_file(store, tmp_path, change)
    other = _second_store(tmp_path)
    try:
        before = _counts(other)
        with pytest.raises(error, match=words):
            import_case_bundle(other, CATALOGUE, path, "moving the case")
        assert _counts(other) == before
        with other.read() as s:
            assert s.scalar(select(func.count()).select_from(CaseRecord)) == 0
    finally:
        other.close()
