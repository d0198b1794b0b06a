"""Operations: their format, ids, clocks, case references, and what each save writes."""

from __future__ import annotations

import json
import uuid

import pytest
from exchange_helpers import local_operations, new_case
from sqlalchemy import select

from ddassess.errors import InvalidInputError
from ddassess.exchange.hlc import MAX_AHEAD_MS, Clock, parse_hlc
from ddassess.exchange.ids import (
    ALPHABET,
    check_character,
    new_case_ref,
    normalise_ref,
    ref_is_valid,
    uuid7,
)
from ddassess.exchange.operations import (
    FORMAT,
    ExchangeFormatError,
    Operation,
    decode_operations,
    encode_operations,
    operations_for_cases,
)
from ddassess.services import case_changes, case_risk, conflicts
from ddassess.services.case_pathway import case_id_for_ref
from ddassess.store.records import CaseRecord, OperationRecord

OP = Operation(id=uuid7(), case_uuid=str(uuid.uuid4()), entity="response", entity_uuid=str(uuid.uuid4()),
               action="set", fields={"answers.q1": 2, "answers.notes": "Łukasz said “fine”"},
               base={"answers.q1": (uuid7(),)}, hlc="001764536912345-000003", author=str(uuid.uuid4()),
               author_cert="a" * 64, device=str(uuid.uuid4()))


# --- format ----------------------------------------------------------------------------


def test_operations_round_trip_through_canonical_json():
    data = encode_operations([OP, OP])
    assert decode_operations(data) == [OP, OP]
    assert encode_operations(decode_operations(data)) == data  # canonical: the same bytes again
    doc = json.loads(data)
    assert doc["format"] == FORMAT and b" " not in data.replace(b"\xe2\x80\x9cfine", b"")[:20]


def test_a_newer_format_is_refused_with_what_to_do():
    doc = json.loads(encode_operations([OP]))
    doc["format"] = FORMAT + 1
    with pytest.raises(ExchangeFormatError, match="newer version of ddassess") as info:
        decode_operations(json.dumps(doc).encode())
    assert "Install the newer ddassess" in str(info.value) and "Nothing was applied" in str(info.value)


def _mutate(path: list[str], value):
    doc = json.loads(encode_operations([OP]))
    target = doc["operations"][0]
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(doc).encode()


@pytest.mark.parametrize("data", [
    b"", b"\xff\xfe", encode_operations([OP])[:-7], b"[]", b'{"operations": []}', b'{"format": true}',
    b'{"format": 0, "operations": []}', b'{"format": 1, "operations": {}}', b'{"format": 1, "operations": [7]}',
    _mutate(["id"], "not-a-uuid"), _mutate(["entity"], "spaceship"), _mutate(["action"], KeyError),
    _mutate(["hlc"], "yesterday"), _mutate(["fields"], []), _mutate(["base", "answers.q1"], ["x"]),
    _mutate(["author"], 42), _mutate(["author_cert"], "zz"), _mutate(["case_uuid"], "Test Person"),
    b"[" * 100_000,
])
def test_malformed_operations_are_refused_whole(data):
    with pytest.raises(ExchangeFormatError) as info:
        decode_operations(data)
    assert "cannot be read" in info.value.message and "Nothing was applied" in str(info.value)


def test_uuid7_is_version_7_ordered_by_time_and_unique():
    ids = [uuid7(ms) for ms in (1, 2, 3_000_000_000_000)]
    parsed = [uuid.UUID(i) for i in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert ids == sorted(ids)
    assert parsed[2].int >> 80 == 3_000_000_000_000
    assert len({uuid7() for _ in range(10_000)}) == 10_000


def test_the_clock_moves_forward_when_the_wall_clock_goes_back():
    """Kulkarni et al. 2014: the logical part keeps order when physical time does not."""
    c = Clock()
    first = c.tick(wall=1_000)
    second = c.tick(wall=900)  # the wall clock was set back
    third = c.tick(wall=1_000)
    assert first < second < third
    assert parse_hlc(second) == (1_000, 1)


def test_the_clock_follows_a_received_one_but_not_one_far_ahead():
    c = Clock()
    c.tick(wall=1_000)
    c.observe("000000000005000-000007", wall=1_000)
    assert c.tick(wall=1_000) > "000000000005000-000007"
    ahead = f"{1_000 + MAX_AHEAD_MS + 1:015d}-000000"
    c.observe(ahead, wall=1_000)
    assert c.tick(wall=1_000) < ahead


# --- case references --------------------------------------------------------------------


def test_new_case_references_are_readable_checked_and_do_not_repeat():
    refs = {new_case_ref() for _ in range(5_000)}
    assert len(refs) == 5_000
    for ref in list(refs)[:200]:
        assert ref_is_valid(ref) and normalise_ref(ref.lower()) == ref
        assert not set(ref) & set("ILOU")


def test_the_check_character_catches_every_single_mistyped_character():
    body = "7K3MX9QF2"
    ref = body + check_character(body)
    for i in range(len(ref)):
        for c in ALPHABET:
            if c != ref[i]:
                wrong = ref[:i] + c + ref[i + 1:]
                assert not ref_is_valid(f"DD-{wrong[:5]}-{wrong[5:]}"), wrong


def test_references_as_read_on_a_phone_find_the_case(store_pair):
    a = store_pair
    cid, _ = new_case(a)
    with a.read() as s:
        stored = s.scalar(select(CaseRecord.ref).where(CaseRecord.id == cid))
    assert stored.startswith("DD-") and ref_is_valid(stored)
    typed = stored.lower().replace("0", "o").replace("1", "l").replace("-", " ")
    assert case_id_for_ref(a, typed) == cid


def test_old_references_stay_valid_when_read(store_pair):
    a = store_pair
    cid, _ = new_case(a)
    with a.write() as s:
        s.get(CaseRecord, cid).ref = "DD-2026-00042"
    assert ref_is_valid("DD-2026-00042")
    assert case_id_for_ref(a, "dd-2026-00042") == cid


@pytest.fixture
def store_pair(tmp_path):
    from exchange_helpers import make_store

    s = make_store(tmp_path / "a", "Alex Example")
    yield s
    s.close()


# --- capture ----------------------------------------------------------------------------


def test_a_draft_save_writes_exactly_one_operation_with_the_changed_answers(store_pair):
    a = store_pair
    cid, case_uuid = new_case(a)
    r = case_changes.start_response(a, cid, "phq9", 1, "0" * 64, {"q1": 1, "q2": 2})
    created = local_operations(a)[-1]
    assert created["action"] == "create" and created["fields"]["answers.q1"] == 1
    before = len(local_operations(a))
    case_changes.save_draft(a, r.id, {"q1": 3, "q3": 0})
    ops = local_operations(a)[before:]
    assert len(ops) == 1
    op = ops[0]
    assert op["action"] == "set" and op["entity"] == "response" and op["entity_uuid"] == r.uuid
    assert op["case_uuid"] == case_uuid and op["author"] == a.owner_uuid and op["device"] == a.store_id
    assert op["fields"] == {"answers.q1": 3, "answers.q2": None, "answers.q3": 0}
    assert op["base"] == {"answers.q1": [created["id"]], "answers.q2": [created["id"]], "answers.q3": []}
    case_changes.save_draft(a, r.id, {"q1": 3, "q3": 0})  # nothing changed: nothing written
    assert len(local_operations(a)) == before + 1


def test_finalising_names_everything_the_finaliser_saw(store_pair):
    a = store_pair
    cid, _ = new_case(a)
    r = case_changes.start_response(a, cid, "phq9", 1, "0" * 64, {"q1": 1})
    case_changes.save_draft(a, r.id, {"q1": 1, "q2": 2})
    ids = [o["id"] for o in local_operations(a) if o["entity_uuid"] == r.uuid]
    case_changes.finalise_response(a, r.id)
    op = local_operations(a)[-1]
    assert op["action"] == "finalise" and op["fields"]["status"] == "final"
    assert set(op["base"]["*"]) == set(ids)


def test_a_failed_save_writes_no_operation(store_pair):
    a = store_pair
    cid, _ = new_case(a)
    r = case_changes.start_response(a, cid, "phq9", 1, "0" * 64, {"q1": 1})
    case_changes.finalise_response(a, r.id)
    before = len(local_operations(a))
    with pytest.raises(InvalidInputError):
        case_changes.save_draft(a, r.id, {"q1": 2})
    assert len(local_operations(a)) == before


def test_every_shared_record_writes_operations(store_pair, catalogue):
    a = store_pair
    cid, case_uuid = new_case(a)
    with a.read() as s:
        pid = s.get(CaseRecord, cid).person_id
    details = case_changes.person_details(a, pid)
    from dataclasses import replace

    case_changes.update_person(a, pid, replace(details, preferred_name="Tess"))
    case_risk.set_case_risk(a, cid, "high", "Seen at the joint review")
    r = case_changes.start_response(a, cid, "phq9", catalogue.get("phq9").version, catalogue.get("phq9").content_hash,
                                    {f"q{i}": 3 for i in range(1, 10)} | {"q10": "extremely"})
    case_changes.finalise_response(a, r.id)
    from ddassess.services.flag_acknowledgements import acknowledge_flag

    flag = catalogue.get("phq9").flags[0].id
    acknowledge_flag(a, catalogue, cid, r.uuid, flag, "Discussed with the duty worker")
    from ddassess.store.records import CarePlanRecord, CarePlanVersionRecord

    with a.write() as s:
        plan = CarePlanRecord(case_id=cid)
        s.add(plan)
        s.flush()
        s.add(CarePlanVersionRecord(care_plan_id=plan.id, version=1, content_json="{}"))
    kinds = {(o["entity"], o["action"]) for o in local_operations(a)}
    assert {("person", "create"), ("person", "set"), ("case", "create"), ("case", "set"), ("response", "create"),
            ("response", "finalise"), ("flag_acknowledgement", "create"), ("care_plan", "create"),
            ("care_plan_version", "create")} <= kinds
    risk = [o for o in local_operations(a) if o["entity"] == "case" and o["action"] == "set"][0]
    assert risk["fields"]["risk_override"]["level"] == "high"
    assert risk["fields"]["risk_override"]["reason"] == "Seen at the joint review"
    assert all(o["case_uuid"] == case_uuid for o in local_operations(a) if o["entity"] != "person")


def test_names_and_nhs_numbers_are_never_in_routing_fields(store_pair):
    """Only ``fields`` (encrypted in transit) may hold case data; the routing fields and the
    operations table's other columns never do."""
    a = store_pair
    cid, _ = new_case(a, nhs="9990000026", given="Sentinelgiven", family="Sentinelfamily")
    r = case_changes.start_response(a, cid, "phq9", 1, "0" * 64, {"q1": 1})
    case_changes.save_draft(a, r.id, {"q1": 2})
    ops = conflicts.case_operations(a, [cid])
    assert ops
    for op in ops:
        routing = json.dumps({k: v for k, v in op.body().items() if k not in ("fields",)})
        for sentinel in ("Sentinelgiven", "Sentinelfamily", "9990000026", "999 000 0026"):
            assert sentinel not in routing
    assert any("Sentinelgiven" in json.dumps(op.fields) for op in ops)  # the sentinel is there to be found
    with a.read() as s:
        for row in s.scalars(select(OperationRecord)):
            columns = [getattr(row, c) for c in ("id", "case_uuid", "entity", "entity_uuid", "action", "hlc",
                                                  "author", "device", "origin", "received_from", "refusal")]
            assert not any("Sentinel" in str(v) or "9990000026" in str(v) for v in columns)


def test_operations_for_cases_carry_the_person_and_start_after_a_seq(store_pair):
    a = store_pair
    cid, case_uuid = new_case(a)
    new_case(a, nhs="9990000034", given="Other", family="Person")
    with a.read() as s:
        ops = operations_for_cases(s, [case_uuid])
        assert [o.entity for _seq, o in ops] == ["person", "case"]
        later = operations_for_cases(s, [case_uuid], after_seq=ops[0][0])
        assert [o.entity for _seq, o in later] == ["case"]
        assert operations_for_cases(s, []) == []


def test_the_hlc_of_a_new_operation_is_after_every_one_the_store_holds(store_pair):
    a = store_pair
    new_case(a)
    hlcs = [o["hlc"] for o in local_operations(a)]
    assert hlcs == sorted(hlcs) and len(set(hlcs)) == len(hlcs)


def test_a_case_made_before_operations_were_recorded_is_sent_whole_after_a_snapshot(tmp_path, catalogue):
    """A store upgraded to schema 0009 has records with no operations: the first share
    writes a snapshot of each, so the colleague receives the case as it is."""
    from exchange_helpers import make_store, send, visible

    from ddassess.exchange.capture import snapshot_case

    a, b = make_store(tmp_path / "a", "Alex Example"), make_store(tmp_path / "b", "Bea Example")
    try:
        cid, cuuid = new_case(a)
        r = case_changes.start_response(a, cid, "risk", 3, "0" * 64, {"self_present": True})
        case_changes.finalise_response(a, r.id)
        conn = a.raw_connection()
        conn.execute("DELETE FROM operations")
        conn.execute("DELETE FROM operation_heads")
        conn.commit()
        conn.close()
        with a.write() as s:
            assert snapshot_case(s, cuuid) == 3  # the person, the case, the form
        with a.write() as s:
            assert snapshot_case(s, cuuid) == 0  # once
        send(a, b, catalogue)
        view_a, view_b = visible(a), visible(b)
        assert view_b[r.uuid] == view_a[r.uuid] and view_b[cuuid]["person"] == view_a[cuuid]["person"]
    finally:
        a.close()
        b.close()
