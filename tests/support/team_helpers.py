"""Real stores that join one team through real request and membership files.

Each laptop is its own SQLCipher store in its own folder; the files travel as bytes, as
they would on a USB stick. The people are fictional.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from store_helpers import FAST_KDF, PASSPHRASE

from ddassess.exchange import bundle, envelope, keys, membership
from ddassess.services import signing, team
from ddassess.store import Store, create_store
from ddassess.store.records import ExchangeKeyRecord

CA_PASSPHRASE = "team authority passphrase for tests"
SIGNING_PASSPHRASE = "signing passphrase for tests"


@dataclass
class Laptop:
    store: Store
    folder: Path

    @property
    def me(self) -> str:
        return self.store.owner_uuid


def laptop(root: Path, name: str, role: str = "Mental health practitioner",
           agency: str = "Fictional MH Trust") -> Laptop:
    folder = root / name.replace(" ", "-").lower()
    created = create_store(folder, PASSPHRASE, practitioner={"name": name, "role": role, "agency": agency},
                           kdf=FAST_KDF, use_keyring=False)
    return Laptop(created.store, folder)


def team_lead(root: Path, team_name: str = "Fictional Joint Team", name: str = "Lena Lead") -> Laptop:
    lead = laptop(root, name, "Team lead", "Fictional Joint Service")
    signing.create_team_authority(lead.store, team_name, CA_PASSPHRASE)
    return lead


def join(lead: Laptop, member: Laptop, *, with_signing: bool = False, older: bool = False) -> None:
    """``member`` joins ``lead``'s team; ``older``: with the request an older ddassess made
    (no TLS key in it, so the membership carries no server certificate)."""
    request = older_request(member) if older else \
        team.make_request(member.store, SIGNING_PASSPHRASE if with_signing else None).data
    admitted = team.admit(lead.store, request, CA_PASSPHRASE)
    team.join(member.store, admitted.data)


def older_request(lap: Laptop) -> bytes:
    """The request an older ddassess made: the same document without the TLS key, signed
    by the laptop's own pending signing key as that version signed it."""
    made = team.make_request(lap.store)
    doc = membership.read_document(made.data, membership.REQUEST)
    body = {k: v for k, v in doc.body.items() if k != "tls"}
    with lap.store.read() as s:
        rec = s.scalars(select(ExchangeKeyRecord).where(ExchangeKeyRecord.purpose == "signing",
                                                        ExchangeKeyRecord.status == "pending")).one()
        signing_key = keys.load_private(rec.key_pem)
    return membership.make_document(membership.REQUEST, body, {"signing": signing_key})


def new_case_uuid() -> str:
    return str(uuid.uuid4())


def seal(lap: Laptop, case_uuid: str, payload: bytes, recipients: Sequence[Laptop] = ()) -> bytes:
    with lap.store.write() as s:
        return envelope.seal_envelope(s, case_uuid=case_uuid, payload=payload, sender=lap.me,
                                      device_id=lap.store.store_id, recipients=[r.me for r in recipients])


def make_bundle(lap: Laptop, recipients: Sequence[Laptop], cases: Mapping[str, Sequence[Laptop]],
                only_waiting: bool = False) -> bytes:
    with lap.store.write() as s:
        data, _summary = bundle.write_bundle(
            s, sender=lap.me, device_id=lap.store.store_id, recipients=[r.me for r in recipients],
            cases={c: [m.me for m in who] for c, who in cases.items()}, only_waiting=only_waiting)
    return data


def receive(lap: Laptop, data: bytes) -> tuple[bundle.OpenedBundle, dict[str, int]]:
    with lap.store.write() as s:
        opened = bundle.open_bundle(s, data, me=lap.me)
        counts = bundle.keep_bundle(s, opened, actor=lap.me)
    return opened, counts


def payloads(opened: bundle.OpenedBundle) -> list[bytes]:
    return [e.payload for e in opened.envelopes]


def key_of(lap: Laptop, case_uuid: str) -> keys.CaseKey | None:
    with lap.store.read() as s:
        found = keys.case_keys(s, case_uuid)
    return found[-1] if found else None


def move(src: Laptop, dst: Laptop, path: Path, to: Laptop | None = None, catalogue: Any = None) -> Any:
    """A bundle of ``src``'s changes (for ``to``, or for its cases' care teams) received by ``dst``."""
    from ddassess.services import exchange

    exchange.export_changes(src.store, to=to.me if to is not None else None, out=path)
    return exchange.import_changes(dst.store, path, catalogue=catalogue)
