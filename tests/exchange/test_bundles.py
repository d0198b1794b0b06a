"""Bundle files between real stores: delivered, repeated, forwarded; every damage refused
whole with its own code, and nothing written; no name, NHS number or case reference in any
byte written."""

from __future__ import annotations

import hashlib
import struct

import pytest
from sqlalchemy import select
from team_helpers import CA_PASSPHRASE, join, laptop, make_bundle, new_case_uuid, payloads, receive, seal, team_lead

from ddassess.codes import Code
from ddassess.exchange import bundle, keys
from ddassess.exchange.refusals import (
    DuplicateInBundle,
    EnvelopeError,
    NotForYou,
    OtherTeam,
    RevokedSigner,
    TeamMembershipProblem,
    TooNew,
    Truncated,
    UnknownSigner,
)
from ddassess.fileio import atomic_write
from ddassess.services import team
from ddassess.store import audit
from ddassess.store.check import check_store
from ddassess.store.records import CaseKeyRecord, EnvelopeRecord

SENTINEL_NAME = "Zebedee Fictionalperson"
SENTINEL_NHS = "9990001234"
SENTINEL_REF = "DD-ZZZZ-FICT"
PAYLOAD = (f'{{"case_ref":"{SENTINEL_REF}","given_name":"{SENTINEL_NAME}","nhs_number":"{SENTINEL_NHS}",'
           '"answers.q9":"thoughts of self-harm"}').encode()


@pytest.fixture
def laptops(tmp_path):
    lead = team_lead(tmp_path)
    sam, kim, ned = (laptop(tmp_path, name) for name in ("Sam Fictional", "Kim Fictional", "Ned Fictional"))
    for lap in (sam, kim, ned):
        join(lead, lap)
    for lap in (sam, kim):
        team.import_roster(lap.store, team.roster_file(lead.store))
    yield lead, sam, kim, ned
    for lap in (lead, sam, kim, ned):
        lap.store.close()


def _state(lap):
    """What a refused bundle must not change: kept envelopes, case keys, the audit head."""
    with lap.store.read() as s:
        return (s.query(EnvelopeRecord).count(), s.query(CaseKeyRecord).count(), audit.head(s))


def test_delivered_repeated_and_forwarded_to_a_third_member(laptops):
    lead, sam, kim, ned = laptops
    case = new_case_uuid()
    seal(sam, case, PAYLOAD)
    seal(sam, case, PAYLOAD + b" second")
    data = make_bundle(sam, [kim], {case: [sam, kim]})
    opened, counts = receive(kim, data)
    assert payloads(opened) == [PAYLOAD, PAYLOAD + b" second"] and opened.sender_name == "Sam Fictional"
    assert counts["envelopes"] == 2 and counts["keys"] == 1 and counts["duplicates"] == 0
    assert {e.case_uuid for e in opened.envelopes} == {case}
    again, counts = receive(kim, data)  # idempotent: the same bundle twice changes nothing
    assert counts["envelopes"] == 0 and counts["keys"] == 0 and counts["duplicates"] == 2
    assert all(e.duplicate for e in again.envelopes)
    # Kim forwards Sam's envelopes to Ned: still signed by Sam, readable by Ned, not by the lead.
    forward = make_bundle(kim, [ned], {case: [sam, kim, ned]})
    opened, counts = receive(ned, forward)
    assert payloads(opened) == [PAYLOAD, PAYLOAD + b" second"]
    assert {e.header.sender for e in opened.envelopes} == {sam.me} and opened.sender_name == "Kim Fictional"
    with pytest.raises(NotForYou, match="for Ned Fictional, not for you") as info:
        receive(lead, forward)
    assert info.value.code is Code.ENV_004
    for lap in laptops:
        report = check_store(lap.store)
        assert report.ok, report.problems


def test_a_team_bundle_gives_each_member_only_their_cases(laptops):
    lead, sam, kim, ned = laptops
    with_kim, with_ned = new_case_uuid(), new_case_uuid()
    seal(sam, with_kim, PAYLOAD + b" kim")
    seal(sam, with_ned, PAYLOAD + b" ned")
    data = make_bundle(sam, [kim, ned], {with_kim: [sam, kim], with_ned: [sam, ned]})
    opened, counts = receive(kim, data)
    assert payloads(opened) == [PAYLOAD + b" kim"] and counts["skipped"] == 1
    opened, counts = receive(ned, data)
    assert payloads(opened) == [PAYLOAD + b" ned"] and counts["skipped"] == 1
    with kim.store.read() as s:  # Kim was given no key to Ned's case: its envelope cannot be read there
        assert keys.case_keys(s, with_ned) == []


def test_what_is_waiting_to_be_sent(laptops):
    _lead, sam, kim, _ned = laptops
    case = new_case_uuid()
    seal(sam, case, PAYLOAD)
    with sam.store.read() as s:
        assert bundle.waiting(s, {case: [kim.me]}) == {kim.me: 1}
    receive(kim, make_bundle(sam, [kim], {case: [kim]}, only_waiting=True))
    with sam.store.read() as s:
        assert bundle.waiting(s, {case: [kim.me]}) == {kim.me: 0}
    seal(sam, case, PAYLOAD + b" new")
    opened, _ = receive(kim, make_bundle(sam, [kim], {case: [kim]}, only_waiting=True))
    assert payloads(opened) == [PAYLOAD + b" new"]  # only what Kim was not sent before


def _bundle(laptops):
    _lead, sam, kim, _ned = laptops
    case = new_case_uuid()
    seal(sam, case, PAYLOAD)
    return make_bundle(sam, [kim], {case: [sam, kim]})


def _sections(data):
    at, out = 6, []
    while at < len(data):
        (n,) = struct.unpack(">I", data[at + 1:at + 5])
        out.append((at, data[at:at + 1], n))
        at += 5 + n
    return out


def test_truncated_at_every_byte_is_refused_and_writes_nothing(laptops):
    _lead, _sam, kim, _ned = laptops
    data = _bundle(laptops)
    before = _state(kim)
    parts = set()
    for n in range(1, len(data)):
        with pytest.raises(Truncated) as info:
            receive(kim, data[:n])
        assert info.value.code is Code.ENV_001
        parts.add(str(info.value).split("(in its ")[1].split(")")[0])
    assert parts == {"header", "sections", "manifest", "signature"}
    assert _state(kim) == before


def test_one_bit_flipped_anywhere_is_refused_and_writes_nothing(laptops):
    _lead, _sam, kim, _ned = laptops
    data = _bundle(laptops)
    before = _state(kim)
    kinds = set()
    for i in range(len(data)):
        damaged = bytearray(data)
        damaged[i] ^= 0x10
        with pytest.raises(EnvelopeError) as info:
            receive(kim, bytes(damaged))
        kinds.add(type(info.value).__name__)
    # A flipped signer id names a key nobody has: "unknown signer"; every other flip is named.
    assert kinds <= {"Tampered", "Truncated", "NotAnEnvelope", "TooNew", "UnknownSigner"}, kinds
    assert {"Tampered", "Truncated"} <= kinds
    assert _state(kim) == before
    receive(kim, data)  # the undamaged one is received


def test_a_section_twice_a_newer_format_and_another_team(laptops, tmp_path):
    lead, sam, kim, _ned = laptops
    data = _bundle(laptops)
    before = _state(kim)
    # Newer format.
    with pytest.raises(TooNew, match="newer version") as info:
        receive(kim, data[:4] + struct.pack(">H", 9) + data[6:])
    assert info.value.code is Code.ENV_003
    # The same envelope twice, in a bundle Sam's laptop signed.
    import json

    sections = _sections(data)
    envelope_at, _, n = next(s for s in sections if s[1] == b"E")
    manifest_at, _, m = next(s for s in sections if s[1] == b"M")
    body = data[6:manifest_at] + data[envelope_at:envelope_at + 5 + n]
    manifest = json.loads(data[manifest_at + 5:manifest_at + 5 + m])
    manifest["sections"].append(["E", hashlib.sha256(data[envelope_at + 5:envelope_at + 5 + n]).hexdigest()])
    raw = keys.canonical(manifest)
    signed = data[:6] + body + b"M" + struct.pack(">I", len(raw)) + raw
    with sam.store.read() as s:
        signature = keys.sign(keys.active_keys(s).signing, signed)
    twice = signed + b"S" + struct.pack(">I", len(signature)) + signature
    with pytest.raises(DuplicateInBundle) as info:
        receive(kim, twice)
    assert info.value.code is Code.ENV_010
    # The same bundle signed by a key that is in no roster (the manifest names it as signer).
    stray = keys.new_private_key()
    manifest = json.loads(data[manifest_at + 5:manifest_at + 5 + m])
    manifest["signer"] = keys.key_id(stray.public_key())
    raw = keys.canonical(manifest)
    signed = data[:manifest_at] + b"M" + struct.pack(">I", len(raw)) + raw
    signature = keys.sign(stray, signed)
    with pytest.raises(UnknownSigner, match="not in your team's roster") as info:
        receive(kim, signed + b"S" + struct.pack(">I", len(signature)) + signature)
    assert info.value.code is Code.ENV_007
    # A bundle of another team.
    other_lead = team_lead(tmp_path / "other", "Other Fictional Team", "Olga Otherlead")
    olly, oona = laptop(tmp_path / "other", "Olly Fictional"), laptop(tmp_path / "other", "Oona Fictional")
    join(other_lead, olly)
    join(other_lead, oona)
    team.import_roster(olly.store, team.roster_file(other_lead.store))
    case = new_case_uuid()
    seal(olly, case, PAYLOAD)
    foreign = make_bundle(olly, [oona], {case: [oona]})
    with pytest.raises(OtherTeam) as info:
        receive(kim, foreign)
    assert info.value.code is Code.ENV_005
    assert _state(kim) == before
    for lap in (other_lead, olly, oona):
        lap.store.close()


def test_unknown_and_revoked_senders(laptops, tmp_path):
    lead, sam, kim, ned = laptops
    # Pat joins after Kim last heard of the roster: Kim does not know Pat's key yet, and
    # Pat's bundle carries a newer roster signed by the team authority: then Pat is known.
    pat = laptop(tmp_path, "Pat Fictional")
    join(lead, pat)
    case = new_case_uuid()
    seal(pat, case, PAYLOAD)
    opened, counts = receive(kim, make_bundle(pat, [kim], {case: [kim]}))
    assert payloads(opened) == [PAYLOAD] and counts["roster"] == 1
    team.revoke(lead.store, "Sam Fictional", CA_PASSPHRASE, "laptop lost")
    team.import_roster(kim.store, team.roster_file(lead.store))
    before = _state(kim)
    case2 = new_case_uuid()
    seal(sam, case2, PAYLOAD)
    with pytest.raises(RevokedSigner, match="Sam Fictional, whose membership") as info:
        receive(kim, make_bundle(sam, [kim], {case2: [kim]}))
    assert info.value.code is Code.ENV_008
    assert _state(kim) == before
    # A laptop outside any team: cannot use a bundle at all.
    stranger = laptop(tmp_path, "Stan Fictional")
    with pytest.raises(TeamMembershipProblem):
        receive(stranger, make_bundle(pat, [kim], {case: [kim]}))
    # Kim forwards nothing of Sam's any more: revoked authors' envelopes do not travel on.
    fwd = make_bundle(kim, [ned], {case: [kim, ned]})
    opened, _ = receive(ned, fwd)
    assert {e.header.sender for e in opened.envelopes} == {pat.me}
    for lap in (pat, stranger):
        lap.store.close()


def test_sentinels_appear_in_no_byte_written(laptops, tmp_path):
    _lead, sam, kim, _ned = laptops
    case = new_case_uuid()
    seal(sam, case, PAYLOAD)
    out = tmp_path / "outbox"
    out.mkdir()
    data = make_bundle(sam, [kim], {case: [sam, kim]})
    atomic_write(out / "for-kim.ddbundle", data)
    opened, _ = receive(kim, (out / "for-kim.ddbundle").read_bytes())
    assert payloads(opened) == [PAYLOAD]  # the sentinels were sealed in, and come out
    written = [p for p in out.iterdir()]
    assert [p.name for p in written] == ["for-kim.ddbundle"]  # no temporary file left beside it
    for path in written:
        raw = path.read_bytes()
        for sentinel in (SENTINEL_NAME, SENTINEL_NHS, SENTINEL_REF, case, "self-harm"):
            assert sentinel.encode() not in raw, sentinel
            assert sentinel.encode("utf-16-le") not in raw
    # Nor in the manifest (the clear part of the bundle), which is read here on its own.
    manifest_at, _, m = next(s for s in _sections(data) if s[1] == b"M")
    manifest = data[manifest_at:manifest_at + 5 + m]
    assert case.encode() not in manifest and SENTINEL_REF.encode() not in manifest


def test_an_envelope_addressed_here_without_its_key_waits_for_it(laptops):
    """A team bundle whose sender did not know Ned had joined the case's care team carries
    an envelope addressed to Ned but no key for him: it is kept, still sealed, not skipped;
    the lead (not a recipient) skips it as before."""
    from ddassess.store.records import WaitingEnvelopeRecord

    lead, sam, kim, ned = laptops
    case = new_case_uuid()
    data_env = seal(sam, case, PAYLOAD, recipients=[kim, ned])
    data = make_bundle(sam, [kim, ned, lead], {case: [sam, kim]})
    opened, counts = receive(ned, data)
    assert payloads(opened) == [] and counts["skipped"] == 0 and counts["waiting"] == 1
    with ned.store.read() as s:
        [held] = s.scalars(select(WaitingEnvelopeRecord)).all()
        assert held.data == data_env and held.received_from == sam.me
    again, counts = receive(ned, data)  # the same bundle twice keeps it once
    assert counts["waiting"] == 0
    _opened, counts = receive(lead, data)
    assert counts["skipped"] == 1 and counts["waiting"] == 0
    with lead.store.read() as s:
        assert s.scalars(select(WaitingEnvelopeRecord)).all() == []
    for lap in (ned, lead):
        assert check_store(lap.store).ok
