"""Case keys: HPKE wraps (RFC 9180, DHKEM(P-256), HKDF-SHA256, AES-256-GCM) bound to their
context, and a new epoch after a member is removed that the removed member cannot read."""

from __future__ import annotations

import pytest
from team_helpers import join, key_of, laptop, make_bundle, new_case_uuid, receive, seal, team_lead

from ddassess.exchange import envelope, keys
from ddassess.exchange.refusals import NotForYou
from ddassess.services import team


def test_a_wrap_opens_only_with_its_key_and_its_context():
    recipient, other = keys.new_private_key(), keys.new_private_key()
    key = keys.CaseKey("case-uuid", "ab" * 16, 3, "cd" * 16, bytes(range(32)))
    ctx = {"team": "t", "sender": "s", "device": "d", "recipient": keys.key_id(recipient.public_key()),
           "routing": key.routing_id, "epoch": 3, "key": key.key_id}
    sealed = keys.wrap_case_key(key, recipient.public_key(), ctx)
    assert bytes(range(32)) not in sealed
    assert keys.unwrap_case_key(sealed, recipient, ctx) == key
    assert keys.unwrap_case_key(sealed, other, ctx) is None  # someone else's key
    for name in ctx:  # any part of the context changed: the wrap does not open
        assert keys.unwrap_case_key(sealed, recipient, dict(ctx, **{name: "changed"})) is None
    assert keys.unwrap_case_key(sealed[:-1], recipient, ctx) is None
    assert keys.wrap_case_key(key, recipient.public_key(), ctx) != sealed  # a fresh ephemeral key each time


def test_a_removed_member_cannot_read_what_follows(tmp_path):
    lead = team_lead(tmp_path)
    sam, kim, ned = (laptop(tmp_path, n) for n in ("Sam Fictional", "Kim Fictional", "Ned Fictional"))
    for lap in (sam, kim, ned):
        join(lead, lap)
    team.import_roster(sam.store, team.roster_file(lead.store))
    case = new_case_uuid()
    seal(sam, case, b"before")
    receive(kim, make_bundle(sam, [kim], {case: [sam, kim]}))
    first = key_of(sam, case)
    assert team.rotate_case_key(sam.store, case) == 2  # Kim leaves the care team
    second = key_of(sam, case)
    assert (second.epoch, second.routing_id) == (2, first.routing_id) and second.secret != first.secret
    after = seal(sam, case, b"after")
    opened, _ = receive(ned, make_bundle(sam, [ned], {case: [sam, ned]}))
    assert [e.payload for e in opened.envelopes] == [b"before", b"after"]  # Ned gets every epoch
    with kim.store.read() as s:
        assert [k.epoch for k in keys.case_keys(s, case)] == [1]
        with pytest.raises(NotForYou):
            envelope.open_envelope(s, after)
    for lap in (lead, sam, kim, ned):
        lap.store.close()
