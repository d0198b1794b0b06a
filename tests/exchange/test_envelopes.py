"""Envelopes: sealed on one laptop, opened on another; every damage refused with its own code.

Three real stores in one team (a lead and two practitioners); the payload is opaque bytes
(what ``encode_operations`` makes), here with an obviously fictional person in it.
"""

from __future__ import annotations

import struct

import pytest
from team_helpers import CA_PASSPHRASE, join, key_of, laptop, make_bundle, new_case_uuid, receive, seal, team_lead

from ddassess.codes import Code
from ddassess.exchange import envelope, keys
from ddassess.exchange.refusals import (
    AlreadyReceived,
    EnvelopeError,
    NotAnEnvelope,
    NotForYou,
    OtherCase,
    OtherTeam,
    RevokedSigner,
    Tampered,
    TooNew,
    Truncated,
    UnknownSigner,
)
from ddassess.services import team

PAYLOAD = b'{"ops":[{"given_name":"Zebedee Fictionalperson","nhs_number":"9990001234"}]}'


@pytest.fixture
def laptops(tmp_path):
    lead = team_lead(tmp_path)
    sam, kim = laptop(tmp_path, "Sam Fictional"), laptop(tmp_path, "Kim Fictional")
    join(lead, sam)
    join(lead, kim)
    team.import_roster(sam.store, team.roster_file(lead.store))  # Sam learns of Kim
    yield lead, sam, kim
    for lap in (lead, sam, kim):
        lap.store.close()


def _open(lap, data):
    with lap.store.read() as s:
        return envelope.open_envelope(s, data)


def _shared(sam, kim, case):
    """Sam seals for a case and hands Kim its key in a bundle; the envelope's bytes."""
    data = seal(sam, case, PAYLOAD)
    receive(kim, make_bundle(sam, [kim], {case: [kim]}))
    return data


def test_an_envelope_opens_for_the_care_team_and_not_for_others(laptops):
    lead, sam, kim = laptops
    case = new_case_uuid()
    data = _shared(sam, kim, case)
    with pytest.raises(AlreadyReceived):
        _open(kim, data)  # the bundle brought and kept it
    second = seal(sam, case, PAYLOAD + b" again", recipients=[kim])
    header, payload = _open(kim, second)
    assert payload == PAYLOAD + b" again" and header.sender == sam.me and header.epoch == 1
    with kim.store.read() as s:
        assert header.recipients == (keys.active_keys(s).encryption_id,)  # routing by key id, not by name
    assert b"Zebedee" not in second and b"9990001234" not in second and case.encode() not in second
    with pytest.raises(NotForYou, match="for someone else") as info:
        _open(lead, second)  # the lead is not in this case's care team: no key, cannot be read
    assert info.value.code is Code.ENV_004


def _parts(data):
    (hlen,) = struct.unpack(">I", data[6:10])
    body_at = 10 + hlen
    (clen,) = struct.unpack(">I", data[body_at:body_at + 4])
    sig_at = body_at + 4 + clen
    return body_at, sig_at


def test_truncated_at_every_byte_of_every_part(laptops):
    _lead, sam, kim = laptops
    case = new_case_uuid()
    _shared(sam, kim, case)
    data = seal(sam, case, PAYLOAD)
    body_at, sig_at = _parts(data)
    seen = {}
    for n in range(1, len(data)):
        with pytest.raises(Truncated) as info:
            envelope.parse(data[:n])
        part = "header" if n < body_at else "body" if n < sig_at else "signature"
        assert f"in its {part}" in str(info.value), n
        seen[part] = seen.get(part, 0) + 1
        assert info.value.code is Code.ENV_001
    assert set(seen) == {"header", "body", "signature"}
    with pytest.raises(NotAnEnvelope):
        envelope.parse(b"")
    with pytest.raises(Tampered, match="bytes after its end"):
        envelope.parse(data + b"\x00")
    _open(kim, data)  # the whole one opens


def test_one_bit_flipped_anywhere_is_refused(laptops):
    _lead, sam, kim = laptops
    case = new_case_uuid()
    _shared(sam, kim, case)
    data = seal(sam, case, PAYLOAD)
    refused = set()
    for i in range(len(data)):
        for bit in (0, 7):
            damaged = bytearray(data)
            damaged[i] ^= 1 << bit
            with pytest.raises(EnvelopeError) as info:
                _open(kim, bytes(damaged))
            refused.add(type(info.value).__name__)
    # A flipped signer id names a key nobody has: "unknown signer"; every other flip is named.
    assert refused <= {"Tampered", "Truncated", "NotAnEnvelope", "TooNew", "UnknownSigner"}, refused
    assert "Tampered" in refused and "NotAnEnvelope" in refused
    _open(kim, data)


def test_a_newer_format_is_refused_as_such(laptops):
    _lead, sam, kim = laptops
    case = new_case_uuid()
    _shared(sam, kim, case)
    data = seal(sam, case, PAYLOAD)
    newer = data[:4] + struct.pack(">H", 2) + data[6:]
    with pytest.raises(TooNew, match="newer version") as info:
        _open(kim, newer)
    assert info.value.code is Code.ENV_003


def test_replayed_into_another_case_is_refused(laptops):
    _lead, sam, kim = laptops
    case_a, case_b = new_case_uuid(), new_case_uuid()
    seal(sam, case_a, PAYLOAD)
    seal(sam, case_b, PAYLOAD)
    receive(kim, make_bundle(sam, [kim], {case_a: [kim], case_b: [kim]}))
    with sam.store.read() as s:
        device = keys.active_keys(s)
        key_a, key_b = keys.case_keys(s, case_a)[0], keys.case_keys(s, case_b)[0]
    # A member who holds both keys re-seals case A's contents under case B's key, signing it.
    header = {"id": "00000000-0000-4000-8000-000000000001", "team": device.team, "routing": key_b.routing_id,
              "key": key_b.key_id, "epoch": 1, "device": sam.store.store_id, "sender": sam.me,
              "signer": device.signing_id, "recipients": [], "nonce": "00" * 12, "size": len(PAYLOAD)}
    forged = envelope.encode(header, {"case": case_a, "id": header["id"]}, PAYLOAD, key_b.secret, device.signing)
    with pytest.raises(OtherCase, match="another case") as info:
        _open(kim, forged)
    assert info.value.code is Code.ENV_006
    # Naming case B's routing id with case A's key: refused too.
    header2 = dict(header, key=key_a.key_id)
    forged2 = envelope.encode(header2, {"case": case_a, "id": header["id"]}, PAYLOAD, key_a.secret, device.signing)
    with pytest.raises(OtherCase):
        _open(kim, forged2)


def test_from_another_team_unknown_and_revoked_signers(laptops, tmp_path):
    lead, sam, kim = laptops
    case = new_case_uuid()
    _shared(sam, kim, case)
    # Another team's member seals an envelope: this team cannot use it.
    other_lead = team_lead(tmp_path / "other", "Other Fictional Team", "Olga Otherlead")
    olly = laptop(tmp_path / "other", "Olly Fictional")
    join(other_lead, olly)
    foreign = seal(olly, case, PAYLOAD)
    with pytest.raises(OtherTeam) as info:
        _open(kim, foreign)
    assert info.value.code is Code.ENV_005
    # A member Kim's roster does not know yet (admitted after Kim last heard): unknown signer.
    ned = laptop(tmp_path, "Ned Fictional")
    join(lead, ned)
    with ned.store.write() as s:
        keys.keep_case_key(s, key_of(sam, case), sam.me)  # as if Sam had shared the case with Ned
    from_ned = seal(ned, case, PAYLOAD)
    with pytest.raises(UnknownSigner, match="not in your team's roster") as info:
        _open(kim, from_ned)
    assert info.value.code is Code.ENV_007
    team.import_roster(kim.store, team.roster_file(lead.store))
    assert _open(kim, from_ned)[1] == PAYLOAD
    # Sam's laptop is revoked: once the roster that says so reaches Kim, Sam's envelopes are refused.
    before = seal(sam, case, PAYLOAD + b" 1")
    assert _open(kim, before)[1] == PAYLOAD + b" 1"
    team.revoke(lead.store, "Sam Fictional", CA_PASSPHRASE, "laptop lost")
    after = seal(sam, case, PAYLOAD + b" 2")
    team.import_roster(kim.store, team.roster_file(lead.store))
    with pytest.raises(RevokedSigner, match="Sam Fictional, whose membership of the team was revoked") as info:
        _open(kim, after)
    assert info.value.code is Code.ENV_008
    ned.store.close()
    olly.store.close()
    other_lead.store.close()
