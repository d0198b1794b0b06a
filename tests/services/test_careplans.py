"""A case's joint care plan from its forms, to a PDF read back, signed, versioned."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from org_p12 import organisation_p12
from pypdf import PdfReader
from sample_plans import squiggle
from sqlalchemy import select

from ddassess.cli import main
from ddassess.domain.models import PersonDetails
from ddassess.errors import InvalidInputError, RecordNotFound
from ddassess.formengine import load_catalogue
from ddassess.pdf.verification import verify_pdf
from ddassess.services import case_changes, signing
from ddassess.services.careplan_files import export_care_plan
from ddassess.services.careplans import build_care_plan
from ddassess.services.case_pathway import case_detail
from ddassess.store.records import AuditEventRecord, CarePlanVersionRecord

FORMS = Path(__file__).resolve().parents[2] / "forms"
CATALOGUE = load_catalogue(FORMS)
PLAN = {
    "lead_agency": "Fictional Mental Health Trust", "care_coordinator": "Casey Coordinator",
    "partner_worker": "Pat Partner", "what_matters": "Keeping my flat and seeing my sister",
    "needs": [
        {"area": "housing", "need": "Rent arrears", "goal": "Stay in my flat", "action": "Referral to debt advice",
         "responsible": "Pat Partner", "agency": "Fictional SMS", "start": "2026-11-24", "target": "2027-01-31",
         "status": "in_progress"},
        {"area": "housing", "need": "Rent arrears", "goal": "Stay in my flat", "action": "Housing benefit claim",
         "responsible": "Casey Coordinator", "status": "not_started"},
    ],
    "risk_management": "Daily contact for two weeks", "crisis_summary": "See crisis plan",
    "information_sharing": "Both services and the GP", "next_review": "2027-01-19", "carer_involved": False,
    "person_signed": {"strokes": [[list(p) for p in s] for s in squiggle()], "signed_at": "2026-11-20T10:15:00+00:00"},
}


def _start(store, form_id, answers, final=False):
    spec = CATALOGUE.get(form_id)
    r = case_changes.start_response(store, CASE["id"], spec.id, spec.version, spec.content_hash, answers)
    if final:
        case_changes.finalise_response(store, r.id)
    return r


CASE: dict = {}


def _make_signer(store):
    """A team authority and a signing certificate for the store's owner."""
    signing.create_team_authority(store, "Fictional Joint Team", "authority passphrase 1")
    signing.issue_identity(store, "authority passphrase 1", "my signing passphrase")


@pytest.fixture
def case(store):
    person = case_changes.register_person(store, PersonDetails("Łukasz", "Żółć", dt.date(1984, 3, 2), "9990000018"))
    CASE["id"] = case_changes.open_case(store, person.id).id
    _start(store, "phq9", {f"q{i}": 2 for i in range(1, 10)} | {"difficulty": "very"}, final=True)
    _start(store, "crisis_plan", {"early_warning_signs": "Stops answering the phone", "triggers": "Debt letters",
                                  "what_helps": "A call from Pat", "naloxone_held": True,
                                  "contacts": [{"name": "Crisis line", "phone": "01632 960999",
                                                "when": "out_of_hours"}]})
    return CASE["id"]


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_no_care_plan_yet(store, case):
    with pytest.raises(RecordNotFound, match="no joint care plan yet"):
        build_care_plan(store, CATALOGUE, case)


def test_a_plan_whose_person_was_deleted_behind_its_back_is_named(store, case):
    """Only a store edited with its foreign keys off lacks the person of a case: the plan
    says so and where to look, instead of failing deep inside the PDF's header."""
    _start(store, "care_plan", {"what_matters": "Keeping the flat"})
    conn = store.raw_connection()
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DELETE FROM people")
    conn.close()
    with pytest.raises(RecordNotFound, match="The person of case DD-.* is missing from the store") as info:
        build_care_plan(store, CATALOGUE, case)
    assert "ddassess store check" in info.value.hint


def test_plan_gathers_the_case(store, case, tmp_path):
    _start(store, "care_plan", PLAN)
    _start(store, "lead_agency", {"mh_severity": "high", "sm_severity": "low"})
    plan = export_care_plan(store, CATALOGUE, case, tmp_path / "plan.pdf")
    assert plan.quadrant == "High mental illness / low substance misuse"
    assert plan.version == 1 and len(plan.needs) == 1 and len(plan.needs[0].actions) == 2
    text = _text((tmp_path / "plan.pdf").read_bytes())
    for expected in ("Łukasz Żółć", "999 000 0018", "Keeping my flat and seeing my sister", "Rent arrears",
                     "Referral to debt advice", "18 / 27", "Moderately severe", "Risk to self",
                     "Stops answering the phone", "Crisis line", "Version 1"):
        assert expected in text, expected
    with store.read() as s:
        versions = s.scalars(select(CarePlanVersionRecord)).all()
        exports = s.scalars(select(AuditEventRecord).where(AuditEventRecord.action == "export")).all()
    assert [(v.version, v.status) for v in versions] == [(1, "draft")] and len(exports) == 1


def test_signing_needs_the_mandatory_sections(store, case, tmp_path):
    _start(store, "care_plan", {k: v for k, v in PLAN.items() if k not in ("what_matters", "next_review")})
    _make_signer(store)
    me = signing.load_identity(store, "my signing passphrase")
    with pytest.raises(InvalidInputError) as info:
        export_care_plan(store, CATALOGUE, case, tmp_path / "plan.pdf", me)
    assert "'What matters to me' is required" in str(info.value) and "'Next review date' is required" in str(info.value)
    assert not (tmp_path / "plan.pdf").exists()


def test_everything_the_form_requires_is_listed_before_signing(store, case, tmp_path):
    """One source of truth: the form's own required answers, in its words, not a shorter list."""
    rows = [dict(PLAN["needs"][0], responsible="")]
    _start(store, "care_plan", {k: v for k, v in PLAN.items()
                                if k not in ("information_sharing", "risk_management", "partner_worker",
                                             "person_signed")} | {"needs": rows})
    _make_signer(store)
    me = signing.load_identity(store, "my signing passphrase")
    with pytest.raises(InvalidInputError) as info:
        export_care_plan(store, CATALOGUE, case, tmp_path / "plan.pdf", me)
    message = str(info.value)
    for expected in ("'Information-sharing agreement' is required", "'Risk management plan' is required",
                     "'Partner-service worker' is required", "Row 1 of 'Needs': 'Who' is required",
                     "'Service user's signature' is required"):
        assert expected in message, expected
    assert not (tmp_path / "plan.pdf").exists()


def test_a_recorded_verbal_agreement_stands_in_for_the_persons_signature(store, case, tmp_path):
    verbal = "Could not hold a pen (hand injury); agreed aloud, witnessed by Pat Partner."
    _start(store, "care_plan", {k: v for k, v in PLAN.items() if k != "person_signed"} | {"verbal_agreement": verbal})
    _make_signer(store)
    me = signing.load_identity(store, "my signing passphrase")
    plan = export_care_plan(store, CATALOGUE, case, tmp_path / "plan.pdf", me)
    assert plan.signatures[0].verbal_agreement == verbal
    assert "Agreed verbally" in _text((tmp_path / "plan.pdf").read_bytes())


def _versions(store):
    with store.read() as s:
        return [(v.version, v.status, v.frozen_at is not None) for v in s.scalars(select(CarePlanVersionRecord))]


def test_signed_version_is_frozen_and_only_a_change_makes_the_next(store, case, tmp_path):
    response = _start(store, "care_plan", PLAN)
    _make_signer(store)
    me = signing.load_identity(store, "my signing passphrase")
    export_care_plan(store, CATALOGUE, case, tmp_path / "v1.pdf", me)
    [report] = verify_pdf((tmp_path / "v1.pdf").read_bytes(), signing.trusted_roots(store))
    assert report.ok and report.signer == "Testy McTestface" and report.field == "care_coordinator"
    text = _text((tmp_path / "v1.pdf").read_bytes())
    assert "Name: Testy McTestface" in text  # who really signed
    # The same content again (printed, or signed again) is still version 1, not a new version.
    again = export_care_plan(store, CATALOGUE, case, tmp_path / "again.pdf")
    assert (again.version, again.replaces_version) == (1, None)
    assert "Version 1" in _text((tmp_path / "again.pdf").read_bytes())
    assert _versions(store) == [(1, "signed", True)]
    # A change makes version 2, which replaces version 1.
    case_changes.save_draft(store, response.id, PLAN | {"what_matters": "Keeping my flat, and my dog"})
    plan = export_care_plan(store, CATALOGUE, case, tmp_path / "v2.pdf")
    assert (plan.version, plan.replaces_version) == (2, 1)
    assert "Version 2 — replaces version 1" in _text((tmp_path / "v2.pdf").read_bytes())
    assert _versions(store) == [(1, "signed", True), (2, "draft", False)]


def test_the_persons_signature_stays_with_the_content_they_signed(store, case, tmp_path):
    response = _start(store, "care_plan", PLAN)
    _make_signer(store)
    me = signing.load_identity(store, "my signing passphrase")
    v1 = export_care_plan(store, CATALOGUE, case, tmp_path / "v1.pdf", me)
    person = v1.signatures[0]
    assert person.strokes and person.signed_on == dt.date(2026, 11, 20)  # from signed_at, not today
    # The plan changes but the answer still holds the old strokes (e.g. an older amendment).
    case_changes.save_draft(store, response.id, PLAN | {"risk_management": "Daily contact for four weeks"})
    v2 = export_care_plan(store, CATALOGUE, case, tmp_path / "v2.pdf")
    person = v2.signatures[0]
    assert v2.version == 2 and not person.is_signed and person.signed_on is None
    lines = _text((tmp_path / "v2.pdf").read_bytes()).splitlines()
    assert "Name: Łukasz Żółć" in lines and "Date: 20 Nov 2026" not in lines
    # Going back to exactly what was signed shows the signature again, with its own date.
    case_changes.save_draft(store, response.id, PLAN)
    back = build_care_plan(store, CATALOGUE, case)
    assert back.signatures[0].strokes and back.signatures[0].signed_on == dt.date(2026, 11, 20)
    # A new signature on the changed plan is that plan's own.
    fresh = PLAN | {"risk_management": "Daily contact for four weeks",
                    "person_signed": {"strokes": [[[0, 0], [5, 9], [9, 2]]], "signed_at": "2026-11-23T09:00:00"}}
    case_changes.save_draft(store, response.id, fresh)
    signed_again = build_care_plan(store, CATALOGUE, case)
    assert signed_again.signatures[0].signed_on == dt.date(2026, 11, 23)


def test_a_signature_without_signed_at_is_dated_when_it_was_saved_not_today(store, case, tmp_path):
    from ddassess.store.records import ResponseRecord

    old = PLAN | {"person_signed": {"strokes": PLAN["person_signed"]["strokes"]}}
    response = _start(store, "care_plan", old)
    with store.write() as s:
        s.get(ResponseRecord, response.id).updated_at = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC)
    plan = build_care_plan(store, CATALOGUE, case)
    assert plan.signatures[0].signed_on == dt.date(2026, 10, 1)


def test_blocks_show_role_and_agency_and_readable_copies(store, case, tmp_path):
    from ddassess.store.records import PractitionerRecord

    with store.write() as s:
        s.add(PractitionerRecord(name="Pat Partner", role="Dual diagnosis worker", agency="Fictional SMS"))
    _start(store, "care_plan", PLAN | {"copy_given": ["person", "gp", "partner_service"],
                                       "carer_involved": True, "carer_name": "Sam (sister)",
                                       "carer_assessment": "offered",
                                       "partner_signed": {"strokes": [[[0, 0], [4, 8], [8, 0]]],
                                                          "signed_at": "2026-11-21T15:30:00+00:00"}})
    _make_signer(store)
    me = signing.load_identity(store, "my signing passphrase")
    plan = export_care_plan(store, CATALOGUE, case, tmp_path / "plan.pdf", me)
    blocks = {b.role: b for b in plan.signatures}
    assert (blocks["partner"].job_title, blocks["partner"].agency) == ("Dual diagnosis worker", "Fictional SMS")
    # The partner's drawn signature from the meeting is in their block, with its own date.
    assert blocks["partner"].strokes and blocks["partner"].signed_on == dt.date(2026, 11, 21)
    assert not blocks["team_lead"].is_signed  # the team lead countersigns the PDF later
    signer = blocks["care_coordinator"]  # from the signing certificate (issued from the owner's profile)
    assert (signer.name, signer.job_title, signer.agency) == ("Testy McTestface", "Substance misuse social worker",
                                                             "Fictional SMS")
    text = _text((tmp_path / "plan.pdf").read_bytes())
    assert "Role: Substance misuse social worker" in text and "Role: Dual diagnosis worker" in text
    assert "Copies given to: The person, GP, Partner service" in text
    assert "partner_service" not in text
    assert "A carer is involved: Sam (sister). Carer's assessment: Offered." in text


def test_risk_assessment_flags_are_in_the_plans_risk_summary(store, case, tmp_path):
    _start(store, "care_plan", PLAN)
    _start(store, "risk", {"overdose_present": True, "overdose_severity": "high", "overdose_imminence": "days"})
    assert "Overdose" not in " ".join(f.label for f in build_care_plan(store, CATALOGUE, case).risk_flags)
    risk = case_changes.start_response(store, case, "risk", CATALOGUE.get("risk").version,
                                       CATALOGUE.get("risk").content_hash,
                                       {"overdose_present": True, "overdose_severity": "high",
                                        "overdose_imminence": "days"})
    with store.write() as s:
        from ddassess.store.records import ResponseRecord

        record = s.get(ResponseRecord, risk.id)
        record.status, record.finalised_at = "final", dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
    flags = build_care_plan(store, CATALOGUE, case).risk_flags
    overdose = [f for f in flags if f.label.startswith("Overdose")]
    assert {f.severity for f in overdose} == {"high", "urgent"}
    assert all(f.source.startswith(CATALOGUE.get("risk").title) for f in overdose)


def test_unwritable_path_fails_before_any_work(store, case, tmp_path):
    _start(store, "care_plan", PLAN)
    with pytest.raises(InvalidInputError, match="does not exist"):
        export_care_plan(store, CATALOGUE, case, tmp_path / "no-such-folder" / "plan.pdf")
    with pytest.raises(InvalidInputError, match="is a folder"):
        export_care_plan(store, CATALOGUE, case, tmp_path)
    with store.read() as s:
        assert s.scalars(select(CarePlanVersionRecord)).all() == []


def test_careplan_pdf_command(store, case, tmp_path, monkeypatch, capsys):
    _start(store, "care_plan", PLAN)
    _make_signer(store)
    ref = case_detail(store, case).ref
    store.close()
    monkeypatch.setenv("DDASSESS_FORMS", str(FORMS))
    monkeypatch.setenv("DDASSESS_SIGNING_PASSPHRASE", "my signing passphrase")
    out = tmp_path / "plan.pdf"
    assert main(["careplan", "pdf", ref.lower(), "--out", str(out), "--sign"]) == 0
    assert f"signed joint care plan CP-{ref} version 1" in capsys.readouterr().out
    assert main(["pdf", "verify", str(out)]) == 0
    assert main(["careplan", "pdf", "DD-1999-99999", "--out", str(out)]) == 16  # no such case (README exit codes)
    assert "There is no case DD-1999-99999" in capsys.readouterr().err


def _colleague(tmp_path, store, name: str, role: str, agency: str) -> Path:
    """A colleague's own store (their own laptop) holding a certificate from the team authority,
    given to them as a .p12 file, and trusting that authority."""
    from store_helpers import FAST_KDF, PASSPHRASE

    from ddassess.pdf import certs
    from ddassess.store import create_store

    ca = signing.team_authority(store, "authority passphrase 1")
    p12 = organisation_p12(certs.issue_certificate(ca, name, role=role, agency=agency), "p12 password here")
    home = tmp_path / name.split()[0].lower()
    created = create_store(home / "store", PASSPHRASE, kdf=FAST_KDF,
                           practitioner={"name": name, "role": role, "agency": agency})
    signing.import_identity(created.store, p12, "p12 password here", "my signing passphrase")
    signing.trust_authority(created.store, certs.cert_pem(ca.certificate))
    created.store.close()
    return home


def test_two_practitioners_then_team_lead_countersign_by_command(store, case, tmp_path, monkeypatch, capsys):
    from store_helpers import PASSPHRASE

    from ddassess.store import Credentials, open_store

    _start(store, "care_plan", PLAN)
    _make_signer(store)
    partner = _colleague(tmp_path, store, "Pat Partner", "Dual diagnosis worker", "Fictional SMS")
    lead = _colleague(tmp_path, store, "Lee Lead", "Team lead", "Fictional MH Trust")
    ref = case_detail(store, case).ref
    store.close()
    coordinator = Path(str(store.folder)).parent
    monkeypatch.setenv("DDASSESS_FORMS", str(FORMS))
    monkeypatch.setenv("DDASSESS_SIGNING_PASSPHRASE", "my signing passphrase")
    out = tmp_path / "plan.pdf"
    assert main(["careplan", "pdf", ref, "--out", str(out), "--sign"]) == 0
    # The care coordinator cannot also sign as partner or team lead.
    capsys.readouterr()
    before = out.read_bytes()
    assert main(["pdf", "sign", str(out), "--as", "partner"]) == 2
    assert "already signed this plan as care coordinator" in capsys.readouterr().err
    assert out.read_bytes() == before
    monkeypatch.setenv("DDASSESS_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("DDASSESS_HOME", str(partner))
    assert main(["pdf", "sign", str(out), "--as", "partner"]) == 0
    # Signing a block that is already signed, or that does not exist, is refused in words.
    capsys.readouterr()
    signed_once = out.read_bytes()
    monkeypatch.setenv("DDASSESS_HOME", str(lead))
    assert main(["pdf", "sign", str(out), "--as", "partner"]) == 2
    assert "block of this plan is already signed" in capsys.readouterr().err
    assert out.read_bytes() == signed_once
    assert main(["pdf", "sign", str(out), "--as", "team_lead"]) == 0
    monkeypatch.setenv("DDASSESS_HOME", str(coordinator))
    monkeypatch.delenv("DDASSESS_PASSPHRASE")
    s = open_store(store.folder, Credentials())
    reports = verify_pdf(out.read_bytes(), signing.trusted_roots(s))
    s.close()
    assert [(r.field, r.signer) for r in reports] == [("care_coordinator", "Testy McTestface"),
                                                      ("partner", "Pat Partner"), ("team_lead", "Lee Lead")]
    assert all(r.ok for r in reports)
    # A copy changed after signing is refused, and left as it was.
    data = bytearray(out.read_bytes())
    data[data.index(b"stream", 1000) + 20] ^= 0x01
    out.write_bytes(bytes(data))
    capsys.readouterr()
    monkeypatch.setenv("DDASSESS_HOME", str(lead))
    monkeypatch.setenv("DDASSESS_PASSPHRASE", PASSPHRASE)
    assert main(["pdf", "sign", str(out), "--as", "team_lead"]) == 13  # as `pdf verify` exits for this copy
    err = capsys.readouterr().err
    assert "NOT TRUSTWORTHY: the document was changed after signature 1 (Testy McTestface)" in err
    assert "Nothing was signed" in err
    assert out.read_bytes() == bytes(data)


def test_new_plan_is_prefilled_from_the_assessment(store, case):
    from ddassess.services.careplan_prefill import row_suggestions, start_care_plan

    _start(store, "lead_agency", {"mh_severity": "high", "sm_severity": "high", "lead": "mental_health",
                                  "care_coordinator": "Casey Coordinator", "link_worker": "Pat Partner"})
    _start(store, "substance_profile", {"substances": [{"substance": "heroin", "amount": "1 bag",
                                                        "days_last_28": 20, "route": "injected"}]})
    _start(store, "joint_assessment", {"housing": "at_risk", "occupation": "unemployed"})
    _start(store, "risk", {"self_present": True, "self_plan": "Daily calls for two weeks",
                           "overdose_present": True, "others_present": False})
    response_id = start_care_plan(store, CATALOGUE, case)
    a = case_changes.get_response(store, response_id).answers
    assert a["lead_agency"] == "Mental health service"
    assert (a["care_coordinator"], a["partner_worker"]) == ("Casey Coordinator", "Pat Partner")
    assert [m["name"] for m in a["care_team"]] == ["Casey Coordinator", "Pat Partner"]
    assert "needs" not in a  # no row to fill in or delete: the needs are offered, added with the person
    offered = row_suggestions(store, CATALOGUE, case, "care_plan")["needs"]
    needs = [(n["area"], n["need"]) for n in offered]
    assert ("mental_health", "Patient Health Questionnaire (PHQ-9): 18 (Moderately severe)") in needs
    assert ("substance_use", "Use of heroin (20 days in the last 28)") in needs
    assert ("housing", "Housing: at risk") in needs and ("work_education", "Work, education or training") in needs
    assert ("mental_health", "Risk to self (suicide, self-harm)") in needs
    assert ("substance_use", "Overdose (lost tolerance, poly-drug use)") in needs
    assert not any("Risk to others" in n for _a, n in needs)
    assert all("goal" not in n for n in offered)  # goals are written with the person
    assert a["risk_management"] == "Risk to self (suicide, self-harm): Daily calls for two weeks"


def test_plan_for_a_case_with_no_assessment_starts_empty(store, case):
    from ddassess.services.careplan_prefill import assessment_prefill

    prefill = assessment_prefill(store, CATALOGUE, case)
    assert [n["need"] for n in prefill["needs"]] == ["Patient Health Questionnaire (PHQ-9): 18 (Moderately severe)"]


@pytest.mark.parametrize("lead, expected", [("substance_misuse", "Substance misuse service"),
                                            ("mental_health", "Mental health service"), (None, None)])
def test_lead_agency_is_prefilled_from_the_decision_not_the_protocols_typical_lead(lead, expected):
    """The lead agency decision may differ from the protocol's typical lead for the quadrant."""
    from ddassess.formengine import evaluate

    class Decided:
        def lookup(self, form_id: str, name: str):  # type: ignore[no-untyped-def]
            answers = {"lead": lead, "typical_lead": "Mental health service", "care_coordinator": "Casey"}
            return answers.get(name) if form_id == "lead_agency" else None

    prefills = evaluate(CATALOGUE.get("care_plan"), {}, Decided(), tables=CATALOGUE.tables).prefills
    assert prefills.get("lead_agency") == expected


def test_the_pdf_shows_the_forms_labels_never_stored_values(store, case, tmp_path):
    _start(store, "care_plan", PLAN | {"carer_involved": True, "carer_name": "Sam (sister)",
                                      "carer_assessment": "already_done", "copy_given": ["person", "partner_service"]})
    _start(store, "lead_agency", {"mh_severity": "high", "sm_severity": "low"})
    export_care_plan(store, CATALOGUE, case, tmp_path / "plan.pdf")
    text = _text((tmp_path / "plan.pdf").read_bytes())
    flat = " ".join(text.split())
    for label in ("Crisis line 01632 960999 (Out of hours)", "Carer's assessment: Already done",
                  "High mental illness / low substance misuse", "Partner service"):
        assert label in flat, label
    for raw in ("out_of_hours", "already_done", "partner_service", "high_mh", "_sm", "True", "False", "in_progress"):
        assert raw not in text, raw
