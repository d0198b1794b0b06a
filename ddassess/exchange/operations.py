"""Operations: each change to a shared record, as it travels between laptops.

An operation names what it changes by uuid (integer ids stay local to a store), carries the
new value of each field it sets, and, per field, the ids of the operations whose value its
author saw (``base``): that is what the merge (``apply.py``) uses to tell a later change from
a concurrent one. ``hlc`` (``hlc.py``) orders a history for people; it never decides a merge.

``encode_operations`` writes canonical JSON (sorted keys, no spaces, UTF-8) with a format
version; ``decode_operations`` refuses a newer format or a malformed body with
``ExchangeFormatError``, checking every operation before returning any, so a bad body is
refused whole. A person's routing field ``case_uuid`` is "": their operations travel with
each of their cases (``operations_for_cases``). Routing fields (ids, entity kind, action,
clock, author, device) never hold case data: names, NHS numbers and answers are only in
``fields``, which travel encrypted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ddassess.codes import Code
from ddassess.errors import UserFacingError
from ddassess.exchange.hlc import parse_hlc
from ddassess.store.records import CaseRecord, OperationRecord, PersonRecord

FORMAT = 1  # the format version encode_operations writes and decode_operations reads
ENTITIES = frozenset({"person", "case", "response", "care_plan", "care_plan_version", "flag_acknowledgement",
                      "care_team_member"})
ACTIONS = frozenset({"create", "set", "finalise", "amend", "delete", "resolve"})
MAX_OPERATIONS = 1_000_000
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


class ExchangeFormatError(UserFacingError):
    """Operations that cannot be read: malformed, or written by a newer ddassess."""

    code = Code.OPLOG_001
    exit_code = 2


@dataclass(frozen=True)
class Operation:
    id: str
    case_uuid: str
    entity: str
    entity_uuid: str
    action: str
    fields: Mapping[str, Any]
    base: Mapping[str, Sequence[str]]
    hlc: str
    author: str
    author_cert: str = ""
    device: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)  # e.g. a resolution's reason
    # Read from JSON (``operation_from_body``) with exactly the keys ``body()`` writes: that
    # decoded body (``source``; it is not changed) and, when the operations came in
    # ``encode_operations``' layout, its text as written (``text``): what is kept, not
    # encoded again. Neither is part of the operation.
    source: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    text: str = field(default="", compare=False, repr=False)

    def body(self) -> dict[str, Any]:
        return {"id": self.id, "case_uuid": self.case_uuid, "entity": self.entity, "entity_uuid": self.entity_uuid,
                "action": self.action, "fields": dict(self.fields),
                "base": {k: list(v) for k, v in self.base.items()}, "hlc": self.hlc, "author": self.author,
                "author_cert": self.author_cert, "device": self.device, "meta": dict(self.meta)}


BODY_KEYS = frozenset({"id", "case_uuid", "entity", "entity_uuid", "action", "fields", "base", "hlc", "author",
                       "author_cert", "device", "meta"})  # what ``Operation.body`` writes
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(obj: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as is (one encoder for all: applying a bundle writes
    tens of thousands)."""
    return _CANONICAL.encode(obj)


def encode_operations(ops: Iterable[Operation]) -> bytes:
    return canonical_json({"format": FORMAT, "operations": [op.body() for op in ops]}).encode("utf-8")


def _bad(what: str) -> ExchangeFormatError:
    return ExchangeFormatError(f"The operations received cannot be read: {what}.",
                               hint="Nothing was applied. Ask the sender to send their changes again.")


def _text(body: Mapping[str, Any], key: str, pattern: re.Pattern[str] | None = None, *, empty: bool = False) -> str:
    value = body.get(key)
    if not isinstance(value, str) or (pattern is not None and not (empty and value == "")
                                      and not pattern.fullmatch(value)):
        raise _bad(f"an operation's {key.replace('_', ' ')} is missing or not what it should be")
    return value


def _base(base: Any) -> dict[str, tuple[str, ...]] | None:
    """An operation's base as tuples of operation ids per field; None when malformed (plain
    loops: a bundle brings tens of thousands of operations)."""
    if not isinstance(base, dict):
        return None
    out = {}
    for k, v in base.items():
        if type(k) is not str or type(v) is not list:
            return None
        if v:
            for i in v:
                if type(i) is not str or not _UUID.fullmatch(i):
                    return None
            out[k] = tuple(v)
        else:  # the usual case: a field no operation here had set
            out[k] = ()
    return out


# The routing fields of an operation as its author's ddassess writes them, joined by "|" (which
# none of them can hold): id, case (none: a person), record, author, device, clock, certificate.
_ROUTING = re.compile(rf"{_UUID.pattern}\|(?:{_UUID.pattern})?\|{_UUID.pattern}\|{_UUID.pattern}\|{_UUID.pattern}"
                      rf"\|[0-9]{{15}}-[0-9]{{6}}\|(?:{_FINGERPRINT.pattern})?")


def _as_written(body: dict[str, Any], text: str) -> Operation | None:
    """``operation_from_body``'s answer for a body laid out as ``Operation.body`` writes it,
    checked in a few steps (a bundle brings tens of thousands); None for any other body,
    which ``_checked`` then accepts or refuses by name. It accepts no body ``_checked``
    would refuse, and gives the same operation."""
    fields, meta, entity, action = body["fields"], body["meta"], body["entity"], body["action"]
    try:
        routing = "|".join((body["id"], body["case_uuid"], body["entity_uuid"], body["author"], body["device"],
                            body["hlc"], body["author_cert"]))
    except TypeError:  # one of them is not text
        return None
    if not (type(fields) is dict and type(meta) is dict and type(entity) is str and entity in ENTITIES
            and type(action) is str and action in ACTIONS and _ROUTING.fullmatch(routing)
            and all(type(k) is str for k in fields)):
        return None
    base = _base(body["base"])
    if base is None:
        return None
    op = object.__new__(Operation)  # the values are checked: set as the frozen dataclass's __init__ would
    op.__dict__.update(id=body["id"], case_uuid=body["case_uuid"], entity=entity, entity_uuid=body["entity_uuid"],
                       action=action, fields=fields, base=base, hlc=body["hlc"], author=body["author"],
                       author_cert=body["author_cert"], device=body["device"], meta=meta, source=body, text=text)
    return op


def operation_from_body(body: Any, text: str = "") -> Operation:
    """One operation from its decoded JSON (``text``: that JSON as its author wrote it, when
    the caller has it); ExchangeFormatError (naming no value) if malformed."""
    if type(body) is dict and body.keys() == BODY_KEYS and (op := _as_written(body, text)) is not None:
        return op
    return _checked(body, text)


def _checked(body: Any, text: str) -> Operation:
    """``operation_from_body`` one check at a time, each refusal naming what is wrong."""
    if not isinstance(body, dict):
        raise _bad("an operation is not a JSON object")
    fields, meta = body.get("fields"), body.get("meta", {})
    if not isinstance(fields, dict) or not all(isinstance(k, str) for k in fields):
        raise _bad("an operation's fields are not a JSON object")
    base = _base(body.get("base"))
    if base is None:
        raise _bad("an operation's base is not a list of operation ids per field")
    if not isinstance(meta, dict):
        raise _bad("an operation's notes are not a JSON object")
    entity, action = _text(body, "entity"), _text(body, "action")
    if entity not in ENTITIES or action not in ACTIONS:
        raise _bad("an operation is of a kind this version does not know")
    hlc = _text(body, "hlc")
    keep = body.keys() == BODY_KEYS  # a body with other keys is kept as ``body()`` writes it
    try:
        parse_hlc(hlc)
    except ValueError:
        raise _bad("an operation's clock is not a hybrid logical clock") from None
    return Operation(id=_text(body, "id", _UUID), case_uuid=_text(body, "case_uuid", _UUID, empty=True),
                     entity=entity, entity_uuid=_text(body, "entity_uuid", _UUID), action=action, fields=fields,
                     base=base, hlc=hlc, author=_text(body, "author", _UUID),
                     author_cert=_text(body, "author_cert", _FINGERPRINT, empty=True),
                     device=_text(body, "device", _UUID), meta=meta,
                     source=body if keep else None, text=text if keep else "")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")  # NaN and Infinity: json reads them, JSON has none


_DECODER = json.JSONDecoder(parse_constant=_no_constant)
_FRAME = re.compile(r'\{"format":(0|[1-9][0-9]{0,8}),"operations":\[')
_NOT_JSON = "they are not JSON text (the file may be damaged or cut short)"


def _framed(text: str) -> tuple[int, list[tuple[Any, str]]] | None:
    """(format, [(body, its text)]) when ``text`` is laid out as ``encode_operations`` writes
    it, reading each operation once and keeping its text; None otherwise (``decode_operations``
    then reads the document whole and finds what is wrong, if anything)."""
    m = _FRAME.match(text)
    if m is None:
        return None
    pos = m.end()
    items: list[tuple[Any, str]] = []
    if text[pos:] == "]}":
        return int(m.group(1)), items
    try:
        while len(items) < MAX_OPERATIONS:
            body, end = _DECODER.raw_decode(text, pos)
            items.append((body, text[pos:end]))
            if text[end:end + 1] == ",":
                pos = end + 1
            elif text[end:] == "]}":
                return int(m.group(1)), items
            else:
                return None
    except (ValueError, RecursionError):
        return None
    return None


def decode_operations(data: bytes) -> list[Operation]:
    """Every operation in ``data``, or ExchangeFormatError and none."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad(_NOT_JSON) from None
    framed = _framed(text)
    if framed is not None:
        version, items = framed
        _check_format(version)
        return [operation_from_body(body, body_text) for body, body_text in items]
    return _whole_document(text)


def _whole_document(text: str) -> list[Operation]:
    """``decode_operations`` of text in any layout: the document read whole, then each body."""
    try:
        doc = _DECODER.decode(text)
    except (ValueError, RecursionError):
        raise _bad(_NOT_JSON) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("format"), int) or isinstance(doc.get("format"), bool):
        raise _bad("they carry no format version")
    _check_format(doc["format"])
    ops = doc.get("operations")
    if not isinstance(ops, list) or len(ops) > MAX_OPERATIONS:
        raise _bad("they hold no list of operations")
    return [operation_from_body(o) for o in ops]


def _check_format(version: int) -> None:
    if version > FORMAT:
        raise ExchangeFormatError(
            f"These changes were written by a newer version of ddassess (operations format {version}; "
            f"this version reads up to {FORMAT}).",
            hint="Install the newer ddassess to receive them. Nothing was applied.")
    if version < 1:
        raise _bad("their format version is not one ddassess ever wrote")


def operation_of(record: OperationRecord) -> Operation:
    return operation_from_body(json.loads(record.body_json))


def operations_for_cases(session: Session, case_uuids: Iterable[str], after_seq: int = 0
                         ) -> list[tuple[int, Operation]]:
    """The operations (local and received, applied or refused) of these cases and of their
    people, in this store's order, after ``after_seq``."""
    wanted = sorted(set(case_uuids))
    if not wanted:
        return []
    people = select(PersonRecord.uuid).join(CaseRecord, CaseRecord.person_id == PersonRecord.id) \
        .where(CaseRecord.uuid.in_(wanted))
    rows = session.execute(
        select(OperationRecord.seq, OperationRecord.body_json)
        .where(OperationRecord.seq > after_seq,
               OperationRecord.case_uuid.in_(wanted)
               | ((OperationRecord.entity == "person") & OperationRecord.entity_uuid.in_(people)))
        .order_by(OperationRecord.seq))
    return [(seq, operation_from_body(json.loads(body))) for seq, body in rows]


def operations_waiting(session: Session, case_uuids: Iterable[str], sent_up_to: int) -> list[tuple[int, Operation]]:
    """What is waiting to be sent for these cases: the operations after the last one sent
    (``sent_up_to``, the seq the sender recorded; the transport keeps it)."""
    return operations_for_cases(session, case_uuids, after_seq=sent_up_to)


def last_seq(session: Session) -> int:
    from sqlalchemy import func

    return int(session.scalar(select(func.max(OperationRecord.seq))) or 0)
