"""Who last changed each answer of a form, and each form of a case, and when: from the
audit trail (``audit_reading``), so it is true on one laptop today and names the author
of a change received from a colleague ("received from ...") once cases travel.

One read of the trail per form opened (and one per case page), never one per field.

For an answer, the last change is the newest event that set it in the form or in the
final versions it amends (an amendment starts from their answers: copying them is not a
change, and a cancelled amendment changed nothing). A form's last change is the newest
event about it (finalising included).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from ddassess.errors import RecordNotFound
from ddassess.services.answer_changes import answer_key
from ddassess.services.audit_reading import Event, events_of, name_of, pair, practitioner_names, received_from
from ddassess.store import Store
from ddassess.store.records import ResponseRecord

_FORM_KEYS = frozenset({"form", "status", "amends", "answers"})


@dataclass(frozen=True)
class LastChange:
    who: str
    at: dt.datetime
    received_from: str = ""  # the colleague whose laptop the change came from ("" when made here)

    def when(self, date_format: str) -> str:
        local = self.at.astimezone()
        return f"{local.strftime(date_format)} {local:%H:%M}"

    def words(self, date_format: str) -> str:
        """'Last changed by Sam Testworker, 03 Nov 2026 14:05' (and who it was received from)."""
        tail = f", received from {self.received_from}" if self.received_from else ""
        return f"Last changed by {self.who}, {self.when(date_format)}{tail}"


def _change(e: Event, names: dict[str, str]) -> LastChange:
    return LastChange(name_of(names, e.actor), e.at, received_from(e.reason))


def answer_changes(store: Store, response_id: int) -> dict[str, LastChange]:
    """For each answer of the response (by field id), who last changed it and when."""
    with store.read() as s:
        r = s.get(ResponseRecord, response_id)
        if r is None:
            raise RecordNotFound("That form is no longer in the store.")
        chain, seen = [r.uuid], {r.id}
        amends = r.amends_id
        while amends is not None and amends not in seen:  # the versions it amends, oldest last
            seen.add(amends)
            row = s.execute(select(ResponseRecord.uuid, ResponseRecord.amends_id)
                            .where(ResponseRecord.id == amends)).first()
            if row is None:
                break
            chain.append(row[0])
            amends = row[1]
        events = events_of(s, chain)
        names = practitioner_names(s)
    out: dict[str, LastChange] = {}
    for e in events:
        if e.action == "create":
            answers = pair(e.changes, "answers")
            if pair(e.changes, "amends") is None and answers is not None and isinstance(answers[1], dict):
                out |= {key: _change(e, names) for key in answers[1]}
        elif e.action in ("update", "amend", "set", "resolve"):
            for key, value in e.changes.items():
                if key not in _FORM_KEYS and isinstance(value, list) and len(value) == 2:
                    out[answer_key(key)] = _change(e, names)
    return out


def form_changes(store: Store, case_id: int) -> dict[int, LastChange]:
    """For each form of the case (by response id), who last changed it and when."""
    with store.read() as s:
        ids = {uuid: rid for rid, uuid in s.execute(select(ResponseRecord.id, ResponseRecord.uuid)
                                                    .where(ResponseRecord.case_id == case_id))}
        events = events_of(s, ids) if ids else []
        names = practitioner_names(s) if events else {}
    return {ids[e.entity_id]: _change(e, names) for e in events}  # oldest first: the newest stays
