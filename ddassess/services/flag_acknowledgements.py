"""A practitioner acknowledges a risk flag: who, when and why, audited.

Acknowledging says "I have seen this and acted on it"; it never removes the flag. The flag
stays in its form and in the record, the case view still lists it (marked acknowledged),
and only the one-line risk banner stops counting it. A flag is named by the uuid of the
response that raises it and the flag's id in that form: both travel with a shared case,
and an amendment (a new response) raises its flags afresh.

The same flag acknowledged on two laptops before either heard of the other is one
acknowledged flag with both acknowledgements: the earlier is its record on every laptop
(exchange/apply.py), the other is kept in its operation and listed in ``others``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select

from ddassess.errors import InvalidInputError, RecordNotFound, UnknownFormError
from ddassess.formengine import Catalogue
from ddassess.store import Store
from ddassess.store.audit import append_event
from ddassess.store.records import (
    CaseRecord,
    FlagAcknowledgementRecord,
    OperationRecord,
    PractitionerRecord,
    ResponseRecord,
)

REASON_MAX = 2000


@dataclass(frozen=True)
class Acknowledgement:
    response_uuid: str
    flag_id: str
    by: str
    at: dt.datetime
    reason: str
    others: tuple[Acknowledgement, ...] = ()  # the same flag acknowledged on another laptop meanwhile, by time


def _ack(r: FlagAcknowledgementRecord) -> Acknowledgement:
    return Acknowledgement(r.response_uuid, r.flag_id, r.acknowledged_by, r.acknowledged_at, r.reason)


def acknowledgements(store: Store, case_id: int) -> dict[tuple[str, str], Acknowledgement]:
    """The case's acknowledged flags, by (response uuid, flag id), each with the other
    acknowledgements of the same flag made on other laptops before they heard of it."""
    with store.read() as s:
        rows = list(s.scalars(select(FlagAcknowledgementRecord).where(FlagAcknowledgementRecord.case_id == case_id)))
        out = {(r.response_uuid, r.flag_id): _ack(r) for r in rows}
        case_uuid = s.scalar(select(CaseRecord.uuid).where(CaseRecord.id == case_id))
        if not out or case_uuid is None:
            return out
        held = {r.uuid for r in rows}
        others: dict[tuple[str, str], list[Acknowledgement]] = {}
        for entity_uuid, body in s.execute(select(OperationRecord.entity_uuid, OperationRecord.body_json).where(
                OperationRecord.case_uuid == case_uuid, OperationRecord.entity == "flag_acknowledgement",
                OperationRecord.action == "create", OperationRecord.status == "applied")):
            fields = json.loads(body)["fields"]
            key = (fields.get("response_uuid"), fields.get("flag_id"))
            if entity_uuid in held or key not in out:
                continue
            try:
                at = dt.datetime.fromisoformat(str(fields.get("acknowledged_at")))
            except ValueError:
                continue
            others.setdefault(key, []).append(Acknowledgement(key[0], key[1], str(fields.get("acknowledged_by", "")),
                                                              at, str(fields.get("reason", ""))))
        for key, more in others.items():
            out[key] = dataclasses.replace(out[key], others=tuple(sorted(more, key=lambda a: (a.at, a.by))))
        return out


def acknowledge_flag(store: Store, catalogue: Catalogue, case_id: int, response_uuid: str, flag_id: str,
                     reason: str) -> Acknowledgement:
    """Record that the practitioner using this store has seen the flag, with their reason."""
    reason = str(reason).strip() if reason is not None else ""
    if not reason:
        raise InvalidInputError("Say why the flag is acknowledged (what was done, or why no action is needed): "
                                "the reason is kept with the record.")
    if len(reason) > REASON_MAX:
        raise InvalidInputError(f"The reason is {len(reason)} characters long; keep it to {REASON_MAX}.")
    with store.write() as s:
        case = s.get(CaseRecord, case_id)
        response = s.scalar(select(ResponseRecord).where(ResponseRecord.uuid == response_uuid))
        if case is None or response is None or response.case_id != case_id:
            raise RecordNotFound("That form is not part of this case any more: reopen the case and try again.")
        try:
            spec = catalogue.get(response.form_id, response.form_version)
        except UnknownFormError:
            spec = None
        if spec is not None and flag_id not in {f.id for f in spec.flags}:
            raise InvalidInputError(f"The form '{spec.title}' has no flag '{flag_id}'.")
        old = s.scalar(select(FlagAcknowledgementRecord).where(FlagAcknowledgementRecord.response_uuid == response_uuid,
                                                               FlagAcknowledgementRecord.flag_id == flag_id))
        if old is not None:
            raise InvalidInputError(f"This flag was already acknowledged by {old.acknowledged_by} on "
                                    f"{old.acknowledged_at.astimezone():%d %b %Y %H:%M}.")
        me = s.scalar(select(PractitionerRecord).where(PractitionerRecord.uuid == store.owner_uuid))
        record = FlagAcknowledgementRecord(case_id=case_id, response_uuid=response_uuid, flag_id=flag_id,
                                           acknowledged_by_id=me.id if me is not None else None,
                                           acknowledged_by=me.name if me is not None else "unknown practitioner",
                                           reason=reason)
        s.add(record)
        s.flush()
        append_event(s, actor=store.owner_uuid, action="acknowledge", entity_type="flag-acknowledgement",
                     entity_id=record.uuid, changes={"case": [None, case.uuid], "response": [None, response_uuid],
                                                     "flag": [None, flag_id]}, reason=reason)
        return _ack(record)
