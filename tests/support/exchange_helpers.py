"""Helpers for tests of shared cases: stores that exchange operations, and what a user sees."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from store_helpers import FAST_KDF, PASSPHRASE

from ddassess.domain.models import PersonDetails
from ddassess.exchange.operations import decode_operations, encode_operations
from ddassess.services import case_changes, conflicts
from ddassess.store import Store, create_store
from ddassess.store.records import (
    CaseRecord,
    ConflictRecord,
    FlagAcknowledgementRecord,
    OperationRecord,
    PersonRecord,
    PractitionerRecord,
    ResponseRecord,
)

AGENCIES = {"Alex Example": "Fictional Substance Misuse Service", "Bea Example": "Fictional Mental Health Trust",
            "Cal Example": "Fictional Substance Misuse Service"}


def make_store(folder: Path, name: str) -> Store:
    return create_store(folder, PASSPHRASE, practitioner={"name": name, "role": "Practitioner",
                                                          "agency": AGENCIES.get(name, "Fictional")},
                        kdf=FAST_KDF, use_keyring=False).store


def all_case_ids(store: Store) -> list[int]:
    with store.read() as s:
        return list(s.scalars(select(CaseRecord.id)))


def send(src: Store, dst: Store, catalogue: Any = None) -> conflicts.apply.ApplyReport:
    """Everything ``src`` holds for its cases, encoded, decoded and received by ``dst``."""
    data = encode_operations(conflicts.case_operations(src, all_case_ids(src)))
    owner = src.owner()
    return conflicts.receive_operations(dst, decode_operations(data), received_from=owner.name if owner else "?",
                                        via="test", catalogue=catalogue)


def new_case(store: Store, nhs: str = "9990000018", given: str = "Test", family: str = "Person") -> tuple[int, str]:
    p = case_changes.register_person(store, PersonDetails(given_name=given, family_name=family,
                                                          date_of_birth=dt.date(1980, 1, 1), nhs_number=nhs))
    c = case_changes.open_case(store, p.id)
    return c.id, c.uuid


def case_id(store: Store, case_uuid: str) -> int:
    with store.read() as s:
        found = s.scalar(select(CaseRecord.id).where(CaseRecord.uuid == case_uuid))
        assert found is not None, "the case has not arrived"
        return int(found)


def response_id(store: Store, response_uuid: str) -> int:
    with store.read() as s:
        found = s.scalar(select(ResponseRecord.id).where(ResponseRecord.uuid == response_uuid))
        assert found is not None, "the response has not arrived"
        return int(found)


PERSON_SEEN = ("given_name", "family_name", "preferred_name", "date_of_birth", "nhs_number", "address", "phone",
               "communication_needs")
CASE_SEEN = ("ref", "stage", "status", "lead_agency", "risk_level", "risk_from_flags", "risk_override",
             "risk_override_reason", "opened_on", "closed_on", "next_review_due")


def visible(store: Store) -> dict[str, Any]:
    """What a user sees of every case, keyed by uuid (local ids differ between stores)."""
    out: dict[str, Any] = {}
    with store.read() as s:
        people = {p.id: p for p in s.scalars(select(PersonRecord))}
        for c in s.scalars(select(CaseRecord)):
            p = people[c.person_id]
            out[c.uuid] = {"person": {k: str(getattr(p, k)) for k in PERSON_SEEN},
                           **{k: str(getattr(c, k)) for k in CASE_SEEN}}
        for r in s.scalars(select(ResponseRecord)):
            case_uuid = s.scalar(select(CaseRecord.uuid).where(CaseRecord.id == r.case_id))
            amends = s.scalar(select(ResponseRecord.uuid).where(ResponseRecord.id == r.amends_id)) \
                if r.amends_id else None
            out[r.uuid] = {"case": case_uuid, "form": r.form_id, "status": r.status,
                           "answers": json.loads(r.answers_json), "amends": amends,
                           "reason": r.amendment_reason}
        for a in s.scalars(select(FlagAcknowledgementRecord)):
            out[a.uuid] = {"flag": a.flag_id, "response": a.response_uuid, "reason": a.reason}
    out["conflicts"] = open_conflicts(store)
    return out


def open_conflicts(store: Store) -> list[tuple[str, str, str, list[str]]]:
    with store.read() as s:
        return sorted((c.uuid, c.field, c.kind, json.loads(c.op_ids_json))
                      for c in s.scalars(select(ConflictRecord).where(ConflictRecord.status == "open")))


def local_operations(store: Store) -> list[dict[str, Any]]:
    with store.read() as s:
        return [json.loads(r.body_json) for r in s.scalars(select(OperationRecord)
                                                           .where(OperationRecord.origin == "local")
                                                           .order_by(OperationRecord.seq))]


def add_colleague(store: Store, other: Store) -> None:
    """The roster's job (crypto): the other practitioner known here by their uuid and name."""
    me = other.owner()
    assert me is not None
    from ddassess.store.audit import append_event

    with store.write() as s:
        s.add(PractitionerRecord(uuid=me.uuid, name=me.name, role=me.role, agency=me.agency))
        append_event(s, actor=store.owner_uuid, action="create", entity_type="practitioner", entity_id=me.uuid,
                     changes={k: [None, getattr(me, k)] for k in ("name", "role", "agency", "email", "phone")})


def copy_store(store: Store, folder: Path) -> Store:
    """A copy of a closed store's files, opened: a laptop in the same state (for trying
    several orders of delivery from one starting point)."""
    import shutil

    from ddassess.store import Credentials, open_store

    folder.mkdir(parents=True)
    for p in store.folder.iterdir():
        if p.is_file() and p.name != "ddassess.lock":
            shutil.copy2(p, folder / p.name)
    return open_store(folder, Credentials(passphrase=PASSPHRASE))


def own_operations(store: Store) -> list[Any]:
    """The operations made on this laptop (what it has to send of its own)."""
    from ddassess.exchange.operations import operation_of

    with store.read() as s:
        return [operation_of(r) for r in s.scalars(select(OperationRecord).where(OperationRecord.origin == "local")
                                                   .order_by(OperationRecord.seq))]


def deliver(dst: Store, batches: list[list[Any]], catalogue: Any) -> None:
    """Each batch as one bundle would bring it: encoded, decoded, received in one transaction."""
    for batch in batches:
        conflicts.receive_operations(dst, decode_operations(encode_operations(batch)), received_from="a colleague",
                                     via="test", catalogue=catalogue)


def start(store: Store, catalogue: Any, cid: int, form_id: str, answers: dict[str, Any]) -> Any:
    """A new draft of the catalogue's current version of ``form_id`` in case ``cid``."""
    spec = catalogue.get(form_id)
    return case_changes.start_response(store, cid, form_id, spec.version, spec.content_hash, answers)
