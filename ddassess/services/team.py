"""Team membership across laptops: request, admit, join, revoke, the roster (use cases).

The files and their checks are ``exchange/membership.py``; this module keeps the keys and
certificates in the store, each change audited (never a key or a secret in an event).
The team lead's laptop holds the team authority (``signing create-authority``); the first
time it admits someone it also makes its own exchange keys and certificates, so the lead
is a member like everyone else. The in-store ``signing issue`` keeps working beside this.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ddassess.domain.limits import practitioner_problem
from ddassess.errors import InvalidInputError
from ddassess.exchange import devicetls, keys, membership
from ddassess.exchange.refusals import (
    MembershipForAnotherLaptop,
    NoSuchMember,
    RosterNotNewer,
    TeamFileDamaged,
    TeamMembershipProblem,
)
from ddassess.keys import check_new_passphrase
from ddassess.pdf import certs
from ddassess.services.signing import has_signing_certificate, team_authority
from ddassess.store import Store
from ddassess.store.audit import append_event
from ddassess.store.records import (
    ExchangeKeyRecord,
    PractitionerRecord,
    SigningAuthorityRecord,
    SigningIdentityRecord,
)

EXCHANGE_PURPOSES = ("signing", "encryption")
TLS = "tls"  # the laptop's key for the team server (mutual TLS, exchange/devicetls.py)


@dataclass(frozen=True)
class RequestMade:
    data: bytes
    code: str  # read out to the team lead, who sees the same code when admitting
    with_signing_certificate: bool


@dataclass(frozen=True)
class Admitted:
    data: bytes
    name: str
    code: str
    roster_version: int
    server_certificate: bool = False  # the membership carries the laptop's team server certificate


@dataclass(frozen=True)
class Joined:
    team_name: str
    team_fingerprint: str
    roster_version: int
    with_signing_certificate: bool
    server_certificate: bool = False  # this laptop's team server certificate came with it and is kept


@dataclass(frozen=True)
class MemberView:
    practitioner: str
    name: str
    role: str
    agency: str
    device: str
    admitted_at: str
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _team_of(session: Session) -> str:
    row = session.scalars(select(ExchangeKeyRecord.team).where(ExchangeKeyRecord.status == "active")).first()
    return row or ""


# --- request (the practitioner's laptop) ----------------------------------------------------


def make_request(store: Store, signing_passphrase: str | None = None) -> RequestMade:
    """New exchange keys for this laptop (and a care plan signing key when the practitioner
    has no signing certificate and gives a passphrase for it), and the request file."""
    with_pdf = signing_passphrase is not None and not has_signing_certificate(store)
    if with_pdf:
        assert signing_passphrase is not None
        check_new_passphrase(signing_passphrase)
    with store.write() as s:
        team = _team_of(s)
        if team:
            name = s.scalars(select(SigningAuthorityRecord.name)
                             .where(SigningAuthorityRecord.fingerprint == team)).first() or "it belongs to"
            raise TeamMembershipProblem(f"This laptop is already a member of a team ({name}).",
                                        hint="Nothing was made. A new request is needed only on a new laptop.")
        owner = s.scalars(select(PractitionerRecord).where(PractitionerRecord.uuid == store.owner_uuid)).one()
        request_id = str(uuid.uuid4())
        s.execute(delete(ExchangeKeyRecord).where(ExchangeKeyRecord.status == "pending"))  # an earlier request
        made: dict[str, Any] = {p: keys.new_private_key() for p in EXCHANGE_PURPOSES}
        if with_pdf:
            made["pdf-signing"] = keys.new_private_key()
        public = {p: _b64(keys.public_der(k.public_key())) for p, k in made.items()}
        tls = keys.new_private_key()  # certified with the membership: the laptop can sync at once
        s.add(ExchangeKeyRecord(key_id=keys.key_id(tls.public_key()), purpose=TLS, key_pem=keys.private_pem(tls),
                                request_id=request_id, status="pending"))
        for purpose, key in made.items():
            pem = (certs.encrypt_private_key(key, signing_passphrase or "").decode("ascii")
                   if purpose == "pdf-signing" else keys.private_pem(key))
            s.add(ExchangeKeyRecord(key_id=keys.key_id(key.public_key()), purpose=purpose, key_pem=pem,
                                    request_id=request_id, status="pending"))
        body = {"request_id": request_id, "device": store.store_id, "made_at": membership.now_text(),
                "practitioner": {"uuid": owner.uuid, "name": owner.name, "role": owner.role, "agency": owner.agency},
                "keys": public, "tls": _b64(keys.public_der(tls.public_key()))}
        signers = {"signing": made["signing"]}
        if with_pdf:
            signers["pdf-signing"] = made["pdf-signing"]
        data = membership.make_document(membership.REQUEST, body, signers)
        append_event(s, actor=store.owner_uuid, action="request", entity_type="team-request", entity_id=request_id,
                     changes={"signing_certificate": [None, with_pdf]})
    code = membership.short_code(membership.read_document(data, membership.REQUEST).raw)
    return RequestMade(data, code, with_pdf)


def _read_request(data: bytes) -> tuple[membership.Document, dict[str, Any]]:
    doc = membership.read_document(data, membership.REQUEST)
    b = doc.body
    try:
        person = dict(b["practitioner"])
        pub = {p: keys.load_public_der(base64.b64decode(v, validate=True)) for p, v in dict(b["keys"]).items()}
        # A request made by an older ddassess has no TLS key: it is admitted without a server certificate.
        tls = keys.load_public_der(base64.b64decode(b["tls"], validate=True)) if "tls" in b else None
        for f in ("request_id", "device"):
            uuid.UUID(str(b[f]))
        uuid.UUID(str(person["uuid"]))
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise membership.damaged("request") from None
    if set(pub) - {"signing", "encryption", "pdf-signing"} or not set(EXCHANGE_PURPOSES) <= set(pub):
        raise membership.damaged("request")
    for name in ("signing", "pdf-signing"):
        if name in pub and not doc.signed_by(name, pub[name]):
            raise membership.damaged("request")
    problem = practitioner_problem(person.get("name"), person.get("role", ""), person.get("agency", ""))
    if problem or not str(person.get("name", "")).strip():
        raise InvalidInputError(f"The request cannot be admitted: {problem or 'it names nobody'}.",
                                hint="Ask the practitioner to correct their details and make a new request.")
    return doc, {"person": person, "keys": pub, "request_id": str(b["request_id"]), "device": str(b["device"]),
                 "tls": tls}


def request_code(data: bytes) -> tuple[str, str]:
    """(name, code) of a request file, for the team lead to compare before admitting."""
    doc, req = _read_request(data)
    return str(req["person"]["name"]), membership.short_code(doc.raw)


# --- admit and revoke (the team lead's laptop) ----------------------------------------------


def _entry(person: dict[str, Any], device: str, signing: Any, encryption: Any) -> dict[str, Any]:
    return {"practitioner": str(person["uuid"]), "name": str(person["name"]), "role": str(person.get("role", "")),
            "agency": str(person.get("agency", "")), "device": device,
            "signing": certs.cert_pem(signing).decode("ascii"),
            "encryption": certs.cert_pem(encryption).decode("ascii"),
            "admitted_at": membership.now_text(), "revoked_at": None, "reason": ""}


def _team_name(ca_cert: Any) -> str:
    """The team's name: the organisation of its authority's certificate (``certs.new_team_ca``)."""
    return certs.role_and_agency(ca_cert)[1] or certs.common_name(ca_cert)


def _ec(ca: certs.Identity) -> keys.ec.EllipticCurvePrivateKey:
    """The team authority's key: ddassess makes it EC P-256 (``certs.new_team_ca``)."""
    if not isinstance(ca.key, keys.ec.EllipticCurvePrivateKey):
        raise InvalidInputError("This team authority's key is not an EC key: it cannot sign a roster.",
                                hint="Make the team authority with `ddassess signing create-authority`.")
    return ca.key


def _roster_people(s: Session, team: str) -> tuple[int, list[dict[str, Any]]]:
    doc = membership.roster_document(s, team)
    if doc is None:
        return 0, []
    return int(doc.body["version"]), [dict(e) for e in doc.body["members"]]


def _sign_roster(s: Session, store: Store, ca: certs.Identity, version: int, people: list[dict[str, Any]],
                 via: str) -> bytes:
    team = certs.fingerprint(ca.certificate)
    body = {"team": team, "team_name": _team_name(ca.certificate), "version": version,
            "issued_at": membership.now_text(), "members": people}
    data = membership.make_document(membership.ROSTER, body, {"authority": _ec(ca)})
    roster = membership.verify_roster(membership.read_document(data, membership.ROSTER), ca.certificate)
    membership.adopt_roster(s, roster, data, actor=store.owner_uuid, via=via)
    return data


def _enrol_lead(s: Session, store: Store, ca: certs.Identity, people: list[dict[str, Any]]) -> bool:
    """The lead's own exchange keys and certificates, the first time the lead admits anyone."""
    team = certs.fingerprint(ca.certificate)
    if _team_of(s) == team:
        return False
    owner = s.scalars(select(PractitionerRecord).where(PractitionerRecord.uuid == store.owner_uuid)).one()
    person = {"uuid": owner.uuid, "name": owner.name, "role": owner.role, "agency": owner.agency}
    made = {p: keys.new_private_key() for p in EXCHANGE_PURPOSES}
    issued = {p: membership.issue(ca, k.public_key(), p, name=owner.name, role=owner.role, agency=owner.agency,
                                  practitioner=owner.uuid) for p, k in made.items()}
    request_id = str(uuid.uuid4())
    for p, k in made.items():
        s.add(ExchangeKeyRecord(key_id=keys.key_id(k.public_key()), purpose=p, key_pem=keys.private_pem(k),
                                certificate_pem=certs.cert_pem(issued[p]).decode("ascii"), team=team,
                                request_id=request_id, status="active"))
    tls = keys.new_private_key()  # the lead's laptop syncs with the team server too
    tls_cert = devicetls.issue_device_certificate(ca, tls.public_key(), practitioner=owner.uuid, device=store.store_id)
    s.add(ExchangeKeyRecord(key_id=keys.key_id(tls.public_key()), purpose=TLS, key_pem=keys.private_pem(tls),
                            certificate_pem=certs.cert_pem(tls_cert).decode("ascii"), team=team,
                            request_id=request_id, status="active"))
    people.append(_entry(person, store.store_id, issued["signing"], issued["encryption"]))
    append_event(s, actor=store.owner_uuid, action="join", entity_type="team-member", entity_id=owner.uuid,
                 changes={"team": [None, team], "device": [None, store.store_id]}, reason="team lead's own laptop")
    return True


def admit(store: Store, request: bytes, ca_passphrase: str) -> Admitted:
    """Certificates for the keys of a request and the new roster, as a membership file."""
    doc, req = _read_request(request)
    ca = team_authority(store, ca_passphrase)
    team = certs.fingerprint(ca.certificate)
    person, pub = req["person"], req["keys"]
    if req["device"] == store.store_id:
        raise InvalidInputError("This request was made on this laptop: a team lead's own laptop joins by itself "
                                "when it first admits someone.", hint="Give the request to the team lead.")
    with store.write() as s:
        version, people = _roster_people(s, team)
        _enrol_lead(s, store, ca, people)
        signing_kid = keys.key_id(pub["signing"])
        for entry in people:
            cert = certs.load_cert_pem(str(entry["signing"]).encode("ascii"))
            if membership.cert_key_id(cert) == signing_kid:
                raise InvalidInputError(f"{entry['name']} was already admitted with this request.",
                                        hint="Give them the membership file made then, or ask for a new request.")
        issued = {p: membership.issue(ca, pub[p], p, name=person["name"], role=person.get("role", ""),
                                      agency=person.get("agency", ""), practitioner=person["uuid"]) for p in pub}
        now = membership.now_text()
        for entry in people:  # the same laptop admitted again (new keys): its old ones stop
            if entry["device"] == req["device"] and not entry.get("revoked_at"):
                entry.update(revoked_at=now, reason="replaced by new keys")
        people.append(_entry(person, req["device"], issued["signing"], issued["encryption"]))
        roster = _sign_roster(s, store, ca, version + 1, people, via=f"admitted {person['name']}")
        body = {"request_id": req["request_id"], "device": req["device"], "practitioner": person["uuid"],
                "team": {"name": _team_name(ca.certificate), "fingerprint": team,
                         "certificate": certs.cert_pem(ca.certificate).decode("ascii")},
                "certificates": {p: certs.cert_pem(c).decode("ascii") for p, c in issued.items()},
                "roster": roster.decode("utf-8")}
        if req["tls"] is not None:
            server_cert = devicetls.issue_device_certificate(ca, req["tls"], practitioner=person["uuid"],
                                                             device=req["device"])
            body["server_certificate"] = certs.cert_pem(server_cert).decode("ascii")
        append_event(s, actor=store.owner_uuid, action="admit", entity_type="team-member", entity_id=person["uuid"],
                     changes={"device": [None, req["device"]], "roster_version": [version, version + 1],
                              "signing_certificate": [None, "pdf-signing" in issued],
                              "server_certificate": [None, req["tls"] is not None]})
    data = membership.make_document(membership.MEMBERSHIP, body, {"authority": _ec(ca)})
    return Admitted(data, str(person["name"]), membership.short_code(doc.raw), version + 1, req["tls"] is not None)


def revoke(store: Store, who: str, ca_passphrase: str, reason: str = "") -> tuple[str, int]:
    """Revoke every certificate of a member (a lost laptop): (their name, new roster version)."""
    ca = team_authority(store, ca_passphrase)
    team = certs.fingerprint(ca.certificate)
    with store.write() as s:
        version, people = _roster_people(s, team)
        wanted = who.strip().casefold()
        found = {e["practitioner"] for e in people if wanted in (str(e["practitioner"]).casefold(),
                                                                 str(e["name"]).casefold())}
        if not found:
            names = ", ".join(sorted({str(e["name"]) for e in people})) or "nobody yet"
            raise NoSuchMember(f"There is no member \"{who.strip()[:64]}\" in the team.",
                               hint=f"Give a member's name or id as `team list` shows it (members: {names}).")
        if len(found) > 1:
            raise NoSuchMember(f"More than one member is called \"{who.strip()[:64]}\".",
                               hint="Give the practitioner id that `team list` shows instead.")
        target = found.pop()
        if target == store.owner_uuid:
            raise InvalidInputError("The team lead cannot revoke their own membership.",
                                    hint="Revoke another member's, or make a new team authority.")
        live = [e for e in people if e["practitioner"] == target and not e.get("revoked_at")]
        if not live:
            raise NoSuchMember("That member's membership was already revoked: nothing was changed.")
        now = membership.now_text()
        for entry in live:
            entry.update(revoked_at=now, reason=reason.strip()[:500] or "revoked by the team lead")
        name = str(live[0]["name"])
        _sign_roster(s, store, ca, version + 1, people, via=f"revoked {name}")
        append_event(s, actor=store.owner_uuid, action="revoke", entity_type="team-member", entity_id=target,
                     changes={"roster_version": [version, version + 1]}, reason=reason.strip()[:500])
    return name, version + 1


# --- join (the practitioner's laptop) -------------------------------------------------------


def join(store: Store, data: bytes) -> Joined:
    """Keep the certificates and roster of a membership file that answers this laptop's request."""
    doc = membership.read_document(data, membership.MEMBERSHIP)
    b = doc.body
    try:
        ca_cert = certs.load_cert_pem(str(b["team"]["certificate"]).encode("ascii"))
        issued = {p: certs.load_cert_pem(str(pem).encode("ascii")) for p, pem in dict(b["certificates"]).items()}
        roster_raw = str(b["roster"]).encode("utf-8")
        request_id, device, practitioner = str(b["request_id"]), str(b["device"]), str(b["practitioner"])
        server_cert = (certs.load_cert_pem(str(b["server_certificate"]).encode("ascii"))
                       if "server_certificate" in b else None)
    except (KeyError, TypeError, ValueError, certs.CertificateProblem):
        raise membership.damaged("membership") from None
    ca_key = ca_cert.public_key()
    if not isinstance(ca_key, keys.ec.EllipticCurvePublicKey) or not doc.signed_by("authority", ca_key):
        raise membership.damaged("membership")
    team = certs.fingerprint(ca_cert)
    if device != store.store_id or practitioner != store.owner_uuid:
        raise MembershipForAnotherLaptop("This membership file was made for another laptop's request, not this one's.",
                                         hint="Nothing was changed. Use the file made from this laptop's request.")
    with store.write() as s:
        current = _team_of(s)
        if current and current != team:
            raise TeamMembershipProblem("This laptop is already a member of another team.",
                                        hint="Nothing was changed. A laptop belongs to one team.")
        pending = {r.purpose: r for r in s.scalars(select(ExchangeKeyRecord).where(
            ExchangeKeyRecord.request_id == request_id, ExchangeKeyRecord.status == "pending")).all()}
        tls_pending = pending.pop(TLS, None)
        if not pending:
            raise MembershipForAnotherLaptop("This membership file answers a request this laptop no longer has "
                                             "(already joined with it, or replaced by a newer request).",
                                             hint="Nothing was changed. Use the file made from your newest request.")
        if set(issued) != set(pending) or any(
                membership.cert_key_id(issued[p]) != pending[p].key_id
                or not membership.certificate_fits(issued[p], ca_cert, p) for p in pending):
            raise TeamFileDamaged("The certificates in this membership file are not for this laptop's keys.",
                                  hint="Nothing was changed. Ask the team lead for a new membership file.")
        if server_cert is not None and (
                tls_pending is None or membership.cert_key_id(server_cert) != tls_pending.key_id
                or devicetls.device_identity(server_cert, ca_cert) != (store.owner_uuid, store.store_id)):
            raise TeamFileDamaged("The team server certificate in this membership file is not for this laptop's key.",
                                  hint="Nothing was changed. Ask the team lead for a new membership file.")
        try:
            roster = membership.verify_roster(membership.read_document(roster_raw, membership.ROSTER), ca_cert)
        except RosterNotNewer:
            raise membership.damaged("membership") from None
        if not s.scalars(select(SigningAuthorityRecord).where(SigningAuthorityRecord.fingerprint == team)).first():
            team_name = str(b["team"].get("name") or _team_name(ca_cert))[:200]
            s.add(SigningAuthorityRecord(name=team_name, certificate_pem=certs.cert_pem(ca_cert).decode("ascii"),
                                         fingerprint=team, key_pem=None))
            append_event(s, actor=store.owner_uuid, action="create", entity_type="signing-authority", entity_id=team,
                         changes={"name": [None, team_name]}, reason="joined the team")
        for old in s.scalars(select(ExchangeKeyRecord).where(ExchangeKeyRecord.status == "active")).all():
            old.status = "retired"
        for purpose, rec in pending.items():
            pem = certs.cert_pem(issued[purpose]).decode("ascii")
            if purpose == "pdf-signing":
                _install_pdf_identity(s, store, rec, issued[purpose], ca_cert)
                s.delete(rec)
                continue
            rec.certificate_pem, rec.team, rec.status = pem, team, "active"
        if tls_pending is not None:
            if server_cert is None:  # admitted by an older ddassess: `ddassess sync request` gets one
                s.delete(tls_pending)
            else:
                for old in s.scalars(select(ExchangeKeyRecord).where(ExchangeKeyRecord.purpose == TLS,
                                                                     ExchangeKeyRecord.status == "active")).all():
                    old.status = "retired"
                tls_pending.certificate_pem = certs.cert_pem(server_cert).decode("ascii")
                tls_pending.team, tls_pending.status = team, "active"
        s.flush()
        membership.adopt_roster(s, roster, roster_raw, actor=store.owner_uuid, via="membership file")
        append_event(s, actor=store.owner_uuid, action="join", entity_type="team-member", entity_id=store.owner_uuid,
                     changes={"team": [None, team], "device": [None, store.store_id],
                              "server_certificate": [None, server_cert is not None]})
        name = s.scalars(select(SigningAuthorityRecord.name).where(SigningAuthorityRecord.fingerprint == team)).one()
    return Joined(name, team, roster.version, "pdf-signing" in pending, server_cert is not None)


def _install_pdf_identity(s: Session, store: Store, rec: ExchangeKeyRecord, cert: Any, ca_cert: Any) -> None:
    owner = s.scalars(select(PractitionerRecord).where(PractitionerRecord.uuid == store.owner_uuid)).one()
    fp = certs.fingerprint(cert)
    s.add(SigningIdentityRecord(practitioner_id=owner.id, source="team-ca",
                                certificate_pem=certs.cert_pem(cert).decode(),
                                chain_pem=certs.cert_pem(ca_cert).decode(), key_pem=rec.key_pem, fingerprint=fp,
                                not_after=cert.not_valid_after_utc))
    append_event(s, actor=store.owner_uuid, action="create", entity_type="signing-identity", entity_id=fp,
                 changes={"practitioner": [None, owner.uuid], "source": [None, "team-ca"],
                          "subject": [None, certs.common_name(cert)]})


# --- the roster -------------------------------------------------------------------------------


def members(store: Store) -> tuple[str, int, list[MemberView]]:
    """(team name, roster version, each member laptop) of the roster in force."""
    with store.read() as s:
        team = _team_of(s)
        doc = membership.roster_document(s, team) if team else None
        if doc is None:
            raise TeamMembershipProblem("This laptop is not a member of a team yet.",
                                        hint="Make a request with `ddassess team request --out FILE`.")
        name = s.scalars(select(SigningAuthorityRecord.name).where(SigningAuthorityRecord.fingerprint == team)).one()
    views = [MemberView(str(e["practitioner"]), str(e["name"]), str(e.get("role", "")), str(e.get("agency", "")),
                        str(e["device"]), str(e.get("admitted_at", "")), e.get("revoked_at"))
             for e in doc.body["members"]]
    return name, int(doc.body["version"]), views


def roster_file(store: Store) -> bytes:
    with store.read() as s:
        team = _team_of(s)
        data = membership.roster_file(s, team) if team else None
    if data is None:
        raise TeamMembershipProblem("This laptop is not a member of a team yet.",
                                    hint="Make a request with `ddassess team request --out FILE`.")
    return data


def import_roster(store: Store, data: bytes) -> int:
    """Adopt a newer roster file; its version. An older or equal one is refused (ignored)."""
    doc = membership.read_document(data, membership.ROSTER)
    with store.write() as s:
        team = _team_of(s)
        ca = membership.team_authority_cert(s, team) if team else None
        if ca is None:
            raise TeamMembershipProblem("This laptop is not a member of a team yet.",
                                        hint="Join the team first, with the membership file the team lead gave you.")
        roster = membership.verify_roster(doc, ca)
        if not membership.adopt_roster(s, roster, data, actor=store.owner_uuid, via="roster file"):
            raise RosterNotNewer(f"This roster (version {roster.version}) is not newer than the one in force here: "
                                 "it was ignored.", hint="Nothing was changed.")
    return roster.version


def rotate_case_key(store: Store, case_uuid: str) -> int:
    """A new key for what follows in a case (after a member is removed): its epoch."""
    with store.write() as s:
        key = keys.rotate_case_key(s, case_uuid, author=store.owner_uuid)
        append_event(s, actor=store.owner_uuid, action="rotate", entity_type="case-key", entity_id=case_uuid,
                     changes={"epoch": [key.epoch - 1, key.epoch]})
    return key.epoch
