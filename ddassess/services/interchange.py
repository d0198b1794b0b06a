"""Exporting a case as FHIR R4, a form's responses or the cases as CSV, and importing FHIR.

Every export writes personal data outside the encrypted store: the caller says why, the
destination is checked before any work (nothing is written to a folder that cannot take
it), the file is written through a temporary file beside it (a crash leaves none half
written) and readable by its owner only, and the audit trail records who exported what,
where and why. Every import is checked whole before anything is stored, then stored in
one transaction with its audit events: it all goes in, or nothing does.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select

from ddassess.domain import limits
from ddassess.errors import InvalidInputError, NoCarePlanError, UnknownFormError
from ddassess.fileio import fsync_dir
from ddassess.formengine import Catalogue
from ddassess.formengine.spec import FormSpec
from ddassess.interchange import csv_rows
from ddassess.interchange.fhir_case import case_bundle
from ddassess.interchange.snapshot import (
    AcknowledgementData,
    CaseData,
    CaseSnapshot,
    PersonData,
    PlanVersionData,
    PractitionerData,
    ResponseData,
)
from ddassess.services.careplans import build_care_plan
from ddassess.services.case_pathway import case_and_person
from ddassess.store import Store
from ddassess.store.audit import append_event
from ddassess.store.records import (
    CarePlanRecord,
    CaseRecord,
    FlagAcknowledgementRecord,
    PersonRecord,
    PractitionerRecord,
    ResponseRecord,
)
from ddassess.store.replay import PERSON_FIELDS

PERSONAL_DATA_WARNING = ("The file holds personal data. Written outside ddassess's encrypted store it is not "
                         "encrypted: keep it only where your service allows, and delete it once it is no longer "
                         "needed.")
CLI_REASON = "exported with the ddassess command line"


# --- writing files -----------------------------------------------------------------------


def check_writable(out: Path, suffix: str) -> None:
    """Fail before any work when ``out`` could not be written (a missing or read-only folder, a folder
    given as the file), or does not end in ``suffix``."""
    folder = out.expanduser().resolve().parent
    if out.suffix.lower() != suffix:
        raise InvalidInputError(f"{out.name} does not end in {suffix}.", hint=f"Give a file name ending in {suffix}.")
    if not folder.is_dir():
        raise InvalidInputError(f"The folder {folder} does not exist.", hint="Choose a folder that exists.")
    if out.is_dir():
        raise InvalidInputError(f"{out} is a folder: give a file name ending in {suffix}.")
    # Asking (os.access) is not enough: an administrator is told yes where the file system says no
    # (/proc, a read-only mount). An empty file is made and removed: it holds nothing.
    probe = folder / f".ddassess-probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        raise InvalidInputError(f"ddassess cannot write in {folder} ({exc.strerror or exc.__class__.__name__}).",
                                hint="Choose a folder you can save to.") from None


@contextmanager
def _replacing(path: Path) -> Iterator[IO[str]]:
    """A text file written beside ``path`` and put in its place (owner-only) when the block ends
    without error; removed otherwise, so no half-written copy of personal data is left."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def reason_given(reason: str, what: str = "export") -> str:
    """The reason for an export or import, as the audit trail keeps it; one must be given."""
    limits.check_text(reason, f"The reason for the {what}", limits.MAX_REASON, lines=True)
    if not reason.strip():
        raise InvalidInputError(f"Say why you {what} this data: the reason is kept in the audit trail.")
    return reason.strip()


def _audit_export(store: Store, what: str, entity_type: str, entity_id: str, out: Path, reason: str,
                  count: int) -> None:
    with store.write() as s:
        append_event(s, actor=store.owner_uuid, action="export", entity_type=entity_type, entity_id=entity_id,
                     changes={"format": [None, what], "to": [None, str(out.expanduser().resolve())],
                              "records": [None, count]}, reason=reason)


# --- FHIR export -------------------------------------------------------------------------


def _practitioner(r: PractitionerRecord) -> PractitionerData:
    return PractitionerData(r.uuid, r.name, r.role, r.agency, r.email, r.phone)


def case_snapshot(store: Store, catalogue: Catalogue, case_id: int) -> CaseSnapshot:
    """The case as plain values: what a FHIR export holds."""
    with store.read() as s:
        c, p = case_and_person(s, case_id)
        people = {r.id: r for r in s.scalars(select(PractitionerRecord))}
        rows = s.scalars(select(ResponseRecord).where(ResponseRecord.case_id == case_id)
                         .order_by(ResponseRecord.id)).all()
        acks: dict[str, list[AcknowledgementData]] = {}
        ack_by: set[int | None] = set()
        for a in s.scalars(select(FlagAcknowledgementRecord).where(FlagAcknowledgementRecord.case_id == case_id)
                           .order_by(FlagAcknowledgementRecord.uuid)):
            by = people.get(a.acknowledged_by_id or 0)
            ack_by.add(a.acknowledged_by_id)
            acks.setdefault(a.response_uuid, []).append(AcknowledgementData(
                a.uuid, a.flag_id, a.acknowledged_by, a.acknowledged_at, a.reason, by.uuid if by else None))
        plan = s.scalars(select(CarePlanRecord).where(CarePlanRecord.case_id == case_id)).first()
        versions = [PlanVersionData(v.version, v.frozen_at or v.created_at, v.content_json, v.status, v.uuid,
                                    v.created_at) for v in (plan.versions if plan else [])]
        signed = tuple(v for v, r in zip(versions, plan.versions if plan else [], strict=True)
                       if v.status in ("signed", "superseded") and r.frozen_at is not None)
        draft = versions[-1] if versions and versions[-1].status == "draft" else None
        uuid_of = {i: r.uuid for i, r in people.items()}
        response_uuid = {r.id: r.uuid for r in rows}
        case = CaseData(c.uuid, c.ref, c.stage, c.status, c.lead_agency, c.opened_on, c.closed_on, c.next_review_due,
                        uuid_of.get(c.care_coordinator_id or 0), uuid_of.get(c.partner_worker_id or 0), c.risk_level,
                        c.risk_from_flags, c.risk_override, c.risk_override_reason, c.risk_override_by,
                        c.risk_override_at)
        responses = tuple(
            ResponseData(r.uuid, r.form_id, r.form_version, r.definition_hash, r.status, json.loads(r.answers_json),
                         r.finalised_at if r.status in ("final", "superseded") and r.finalised_at else r.updated_at,
                         uuid_of.get(r.finalised_by_id or r.author_id or 0),
                         response_uuid.get(r.amends_id or 0), r.amendment_reason or "", tuple(acks.get(r.uuid, ())))
            for r in rows)
        used = {c.care_coordinator_id, c.partner_worker_id} | {r.finalised_by_id or r.author_id for r in rows} | ack_by
        practitioners = tuple(_practitioner(people[i]) for i in sorted(x for x in used if x in people))
        person = PersonData(p.uuid, {f: getattr(p, f) for f in PERSON_FIELDS})
        plan_uuid = plan.uuid if plan else None
    try:
        care_plan = build_care_plan(store, catalogue, case_id, for_print=False)
    except NoCarePlanError:
        care_plan = None
    return CaseSnapshot(person, case, practitioners, responses, plan_uuid, signed, care_plan, draft)


def case_fhir(store: Store, catalogue: Catalogue, case_id: int, *, document: bool = False) -> dict[str, Any]:
    """The case as a FHIR R4 Bundle (a dict ready for JSON): a ``collection``, or with ``document``
    a ``document`` whose first entry is the care plan's Composition (NoCarePlanError without a plan)."""
    snap = case_snapshot(store, catalogue, case_id)
    if document and snap.care_plan is None:
        raise NoCarePlanError("This case has no joint care plan, so there is no care plan document to export.",
                              hint="Export the case as a collection (without --document), or start the care "
                                   "plan form first.")
    return case_bundle(snap, catalogue, lambda r: catalogue.definition_for(r.form_id, r.form_version,
                                                                          r.definition_hash), document=document)


def fhir_json(bundle: dict[str, Any]) -> str:
    """The bundle as JSON text: one entry a line (compact within it), written by the json
    module's C encoder (an indented dump goes through its Python one, several times slower)."""
    dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
    entries = bundle.get("entry")
    head = dumps({k: v for k, v in bundle.items() if k != "entry"})
    if not entries:
        return dumps(bundle) + "\n"
    return head[:-1] + (',' if len(head) > 2 else '') + '"entry":[\n' + ",\n".join(dumps(e) for e in entries) + "\n]}\n"


def export_fhir(store: Store, catalogue: Catalogue, case_id: int, out: Path, reason: str, *,
                document: bool = False) -> int:
    """Write the case's FHIR bundle to ``out`` (``document``: the care plan document); returns
    the number of resources."""
    reason = reason_given(reason)
    check_writable(out, ".json")
    bundle = case_fhir(store, catalogue, case_id, document=document)
    with _replacing(out) as fh:
        fh.write(fhir_json(bundle))
    episode = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "EpisodeOfCare")
    what = "FHIR R4 document (care plan)" if document else "FHIR R4 bundle"
    _audit_export(store, what, "case", str(episode["id"]), out, reason, len(bundle["entry"]))
    return len(bundle["entry"])


# --- CSV export --------------------------------------------------------------------------


def codebook_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}.codebook.csv")


@dataclass(frozen=True)
class CsvExport:
    rows: int
    codebook: Path | None = None


def export_form_csv(store: Store, catalogue: Catalogue, form_id: str, out: Path, reason: str,
                    batch: int = 1000) -> CsvExport:
    """Every current response (final and draft) of a form as one CSV row each, streamed from the
    store; its codebook beside it (``<name>.codebook.csv``)."""
    reason = reason_given(reason)
    if form_id not in catalogue.forms:
        raise UnknownFormError(f"There is no form '{form_id}' in the catalogue.",
                               hint="`ddassess forms list` shows the forms.")
    check_writable(out, ".csv")
    spec = catalogue.get(form_id)
    specs: dict[tuple[int, str], FormSpec] = {}
    rows = csv_rows.Rows(spec, catalogue.tables, dt.date.today())
    count = 0
    with _replacing(codebook_path(out)) as fh:
        csv.writer(fh).writerows(csv_rows.codebook(spec))
    with _replacing(out) as fh, store.read() as s:
        writer = csv.writer(fh)
        writer.writerow(csv_rows.header(spec))
        stmt = (select(CaseRecord.ref, ResponseRecord.uuid, ResponseRecord.form_version,
                       ResponseRecord.definition_hash, ResponseRecord.status, ResponseRecord.answers_json,
                       ResponseRecord.finalised_at, ResponseRecord.updated_at)
                .join(CaseRecord, CaseRecord.id == ResponseRecord.case_id)
                .where(ResponseRecord.form_id == form_id, ResponseRecord.status != "superseded")
                .order_by(CaseRecord.ref, ResponseRecord.id).execution_options(yield_per=batch))
        for part in s.execute(stmt).partitions():
            made = []
            for ref, uuid, version, definition, status, answers_json, finalised, updated in part:
                made_with = specs.get((version, definition))
                if made_with is None:
                    made_with = specs[(version, definition)] = catalogue.definition_for(form_id, version, definition)
                at: dt.datetime = finalised if status == "final" and finalised else updated
                made.append(rows.make(made_with, [ref, uuid, str(version), status, at.isoformat()],
                                      json.loads(answers_json)))
            writer.writerows(made)
            count += len(made)
    _audit_export(store, f"CSV of form {form_id}", "form", form_id, out, reason, count)
    return CsvExport(count, codebook_path(out))


def export_cases_csv(store: Store, out: Path, reason: str) -> CsvExport:
    """One row per case: its reference, stage, dates, risk level and practitioners (no names of people)."""
    reason = reason_given(reason)
    check_writable(out, ".csv")
    count = 0
    with _replacing(out) as fh, store.read() as s:
        writer = csv.writer(fh)
        writer.writerow(csv_rows.CASE_COLUMNS)
        names = {r.id: r.name for r in s.scalars(select(PractitionerRecord))}
        totals = {k: n for k, n in s.execute(select(ResponseRecord.case_id, func.count()).where(
            ResponseRecord.status != "superseded").group_by(ResponseRecord.case_id))}
        finals = {k: n for k, n in s.execute(select(ResponseRecord.case_id, func.count()).where(
            ResponseRecord.status == "final").group_by(ResponseRecord.case_id))}
        stmt = (select(CaseRecord, PersonRecord.uuid).join(PersonRecord, PersonRecord.id == CaseRecord.person_id)
                .order_by(CaseRecord.ref).execution_options(yield_per=1000))
        for c, person_uuid in s.execute(stmt):
            writer.writerow([c.ref, c.uuid, person_uuid, c.status, c.stage, c.lead_agency, _day(c.opened_on),
                             _day(c.closed_on), _day(c.next_review_due), c.risk_level,
                             names.get(c.care_coordinator_id or 0, ""), names.get(c.partner_worker_id or 0, ""),
                             totals.get(c.id, 0), finals.get(c.id, 0)])
            count += 1
    _audit_export(store, "CSV of cases", "store", "cases", out, reason, count)
    return CsvExport(count)


def _day(d: dt.date | None) -> str:
    return d.isoformat() if d else ""
