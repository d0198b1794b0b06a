"""A care plan's files: the PDF exported (signed or not) and recorded as a version,
a received PDF countersigned, and the pages rendered for a printer."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ddassess.domain.careplan import CarePlan
from ddassess.errors import InvalidInputError, RecordNotFound
from ddassess.fileio import atomic_write
from ddassess.formengine import Catalogue
from ddassess.services.careplans import (
    _latest,
    _version_meta,
    agreements,
    build_care_plan,
    drawn_signatures,
    signing_problems,
)
from ddassess.store import Store, case_facts
from ddassess.store.audit import append_event
from ddassess.store.records import CarePlanRecord, CarePlanVersionRecord, CaseRecord, utcnow

if TYPE_CHECKING:
    from ddassess.pdf.raster import PageImage


def check_writable(out: Path) -> None:
    """Fail before any work when the PDF could not be written there."""
    folder = out.expanduser().resolve().parent
    if not folder.is_dir():
        raise InvalidInputError(f"The folder {folder} does not exist.", hint="Choose a folder that exists.")
    if not os.access(folder, os.W_OK):
        raise InvalidInputError(f"ddassess cannot write in {folder}.", hint="Choose a folder you can save to.")
    if out.is_dir():
        raise InvalidInputError(f"{out} is a folder: give a file name ending in .pdf.")


def export_care_plan(store: Store, catalogue: Catalogue, case_id: int, out: Path, identity: Any = None,
                     signer_role: str = "care_coordinator") -> CarePlan:
    """Render (and sign, given an identity) the case's plan, write it atomically, record it."""
    from ddassess.pdf.careplan import prepare_for_signing, render_care_plan
    from ddassess.pdf.signing import sign_pdf

    check_writable(out)
    plan = build_care_plan(store, catalogue, case_id)
    if identity is not None:
        missing = signing_problems(catalogue, store, case_id, plan)
        if missing:
            raise InvalidInputError("The plan cannot be signed yet. Missing: " + " ".join(missing),
                                    hint="Complete these in the care plan form, then sign.")
        plan = with_signer(plan, identity, signer_role)
    pdf = prepare_for_signing(render_care_plan(plan))
    if identity is not None:
        pdf = sign_pdf(pdf, identity, field_name=signer_role, reason="Joint care plan agreed")
    atomic_write(out, pdf, mode=0o600)
    _record_version(store, case_id, plan, signed=identity is not None, out=out,
                    meta={"content_hash": plan.content_hash(),
                          "agreements": _agreements_of(store, catalogue, case_id, plan)})
    return plan


def with_signer(plan: CarePlan, identity: Any, role: str) -> CarePlan:
    """The block of ``role`` shows who actually signs: the certificate's holder (not the name typed
    in the form), their role and agency from the certificate (or the block's own, from their
    profile), and today — the day of this signature."""
    from ddassess.pdf.certs import role_and_agency

    job, agency = role_and_agency(identity.certificate)
    return replace(plan, signatures=tuple(
        replace(b, name=identity.common_name, job_title=job or b.job_title, agency=agency or b.agency,
                signed_on=dt.date.today()) if b.role == role else b for b in plan.signatures))


def _agreements_of(store: Store, catalogue: Catalogue, case_id: int, plan: CarePlan) -> dict[str, dict[str, str]]:
    with store.read() as s:
        resp = _latest(s, case_id, "care_plan")
        record = s.scalars(select(CarePlanRecord).where(CarePlanRecord.case_id == case_id)).first()
        versions = [(v.version, v.status, _version_meta(v), (v.frozen_at or v.created_at).date())
                    for v in record.versions] if record else []
        answers = json.loads(resp.answers_json) if resp is not None else {}
        version = resp.form_version if resp is not None else None
    found = agreements(answers, plan.content_hash(), versions, drawn_signatures(catalogue, version))
    return {role: {"key": a["key"], "for": a["for"]} for role, a in found.items()}


def countersign(store: Store, path: Path, identity: Any, role: str, out: Path | None = None) -> Path:
    """Add a signature to a plan PDF already signed by others, incrementally: in place, or to
    ``out`` (the received file is then left as it came). Returns the file written.

    Refuses a copy that ``ddassess pdf verify`` refuses, with the same verdict as the message
    (PlanRefusedError): nobody should put their name to a plan that was changed after the
    others signed it."""
    from ddassess.pdf.signing import sign_pdf
    from ddassess.pdf.verification import check_before_signing
    from ddassess.services.signing import trusted_roots

    target = out or path
    check_writable(target)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"{path} cannot be read ({exc.strerror or exc.__class__.__name__}).") from None
    check_before_signing(data, trusted_roots(store))
    atomic_write(target, sign_pdf(data, identity, field_name=role, reason="Joint care plan agreed"), mode=0o600)
    with store.write() as s:
        append_event(s, actor=store.owner_uuid, action="export", entity_type="care-plan-file",
                     entity_id=target.name, changes={"signed_as": [None, role]}, reason="countersigned")
    return target


def render_for_print(store: Store, catalogue: Catalogue, case_id: int) -> Iterator[PageImage]:
    """The plan's pages as images for a printer, rendered in memory (no file is written)."""
    from ddassess.pdf.careplan import render_care_plan
    from ddassess.pdf.raster import rasterise

    pdf = render_care_plan(build_care_plan(store, catalogue, case_id)).pdf
    with store.write() as s:
        case = s.get(CaseRecord, case_id)
        if case is None:
            raise RecordNotFound("That case is not in this store.")
        append_event(s, actor=store.owner_uuid, action="export", entity_type="case", entity_id=case.uuid,
                     reason="care plan printed")
    return rasterise(pdf)


def _record_version(store: Store, case_id: int, plan: CarePlan, *, signed: bool, out: Path,
                    meta: dict[str, Any]) -> None:
    """Record an export: the draft version changes until it is signed; a signed version is
    frozen, and only different content makes the next version (the same content exported
    again, signed or not, stays the version it is)."""
    content = asdict(plan) | {"_meta": meta}
    with store.write() as s:
        record = s.scalars(select(CarePlanRecord).where(CarePlanRecord.case_id == case_id)).first()
        if record is None:
            record = CarePlanRecord(case_id=case_id)
            s.add(record)
            s.flush()
        previous = record.versions[-1] if record.versions else None
        if previous is not None and previous.status == "signed" and \
                _version_meta(previous).get("content_hash") == meta["content_hash"]:
            version = previous  # unchanged: the frozen version stays as it was signed
        else:
            if previous is not None and previous.status == "draft":
                version = previous  # the draft version changes until it is signed
            else:
                version = CarePlanVersionRecord(care_plan_id=record.id, version=plan.version,
                                                replaces_id=previous.id if previous else None)
                s.add(version)
            version.content_json = json.dumps(content, default=str, sort_keys=True)
            version.status = "signed" if signed else "draft"
            version.frozen_at = utcnow() if signed else None
        s.flush()
        # The newest version's content as a fingerprint: ``store check`` compares it (store/replay.py).
        content_sha256 = hashlib.sha256(version.content_json.encode("utf-8")).hexdigest()
        append_event(s, actor=store.owner_uuid, action="export", entity_type="care-plan", entity_id=record.uuid,
                     changes={"version": [None, plan.version], "signed": [None, signed],
                              "content_sha256": [None, content_sha256]},
                     reason=f"PDF written to {out.name}")
        case_facts.refresh(s, case_id)  # a signed version: the Team view stops counting it unsigned
