"""Colleagues from other laptops, and consent forms, for the care team tests.

A colleague becomes known on a laptop when the team roster brings them (their uuid, name,
role and service): ``colleague`` writes that row, with the audit event the roster writes,
so ``store check`` accounts for it. ``colleague_from_store`` takes a colleague from a real
store of their own (its owner), as a roster would. The people are fictional.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuidlib
from pathlib import Path
from typing import Any

from ddassess.formengine import Catalogue, check
from ddassess.services import case_changes
from ddassess.services.case_pathway import finalise_form
from ddassess.store import Store


def colleague(store: Store, name: str, role: str, agency: str, uuid: str | None = None) -> str:
    """Add a practitioner as the roster does; their uuid."""
    from ddassess.store import audit
    from ddassess.store.records import PractitionerRecord

    record = PractitionerRecord(uuid=uuid or str(uuidlib.uuid4()), name=name, role=role, agency=agency)
    with store.write() as s:
        s.add(record)
        s.flush()
        audit.append_event(s, actor=store.owner_uuid, action="create", entity_type="practitioner",
                           entity_id=record.uuid, changes={k: [None, getattr(record, k)]
                                                           for k in ("name", "role", "agency", "email", "phone")})
    return record.uuid


def colleague_from_store(store: Store, folder: Path, practitioner: dict[str, str]) -> str:
    """A real store for the colleague in ``folder``; its owner made known in ``store``."""
    from store_helpers import FAST_KDF, PASSPHRASE

    from ddassess.store import create_store

    theirs = create_store(folder, PASSPHRASE, practitioner=practitioner, kdf=FAST_KDF, use_keyring=False).store
    try:
        me = theirs.owner()
        assert me is not None
        return colleague(store, me.name, me.role, me.agency, uuid=me.uuid)
    finally:
        theirs.close()


def consent_answers(sharing: list[dict[str, Any]] | None, *, given: bool = True, expires: dt.date | None = None,
                    basis: str = "none", details: str = "") -> dict[str, Any]:
    today = dt.date.today()
    answers: dict[str, Any] = {"has_capacity": "yes", "consent_given": given, "basis": basis,
                               "recorded_by": "Testy McTestface", "recorded_on": today.isoformat()}
    if given:
        answers |= {"sharing": sharing or [], "expires_on": (expires or today + dt.timedelta(days=180)).isoformat()}
    if details:
        answers["basis_details"] = details
    return answers


def final_consent(store: Store, catalogue: Catalogue, case_id: int, answers: dict[str, Any],
                  *, final: bool = True) -> int:
    """A consent form the forms engine accepts, finalised as the case view does it (or left a draft)."""
    spec = catalogue.get("consent")
    problems = check(spec, answers)
    assert not problems, problems
    r = case_changes.start_response(store, case_id, "consent", spec.version, spec.content_hash, answers)
    if final:
        finalise_form(store, catalogue, r.id)
    return r.id
