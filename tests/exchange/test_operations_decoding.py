"""Reading operations received: each one's text kept as its author wrote it, any layout of
valid JSON read, NaN and Infinity refused, and the quick check of a body as ddassess writes
it holding to the same answers as the checks one by one."""

from __future__ import annotations

import copy
import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddassess.exchange import capture
from ddassess.exchange.ids import uuid7
from ddassess.exchange.operations import (
    BODY_KEYS,
    FORMAT,
    ExchangeFormatError,
    Operation,
    _as_written,
    _checked,
    _whole_document,
    canonical_json,
    decode_operations,
    encode_operations,
)

RESPONSE_OP = Operation(id=uuid7(), case_uuid=str(uuid.uuid4()), entity="response", entity_uuid=str(uuid.uuid4()),
                        action="set", fields={"answers.q1": 2, "answers.notes": "Łukasz said “fine”"},
                        base={"answers.q1": (uuid7(),), "answers.notes": ()}, hlc="001764536912345-000003",
                        author=str(uuid.uuid4()), author_cert="a" * 64, device=str(uuid.uuid4()))
PERSON_OP = Operation(id=uuid7(), case_uuid="", entity="person", entity_uuid=str(uuid.uuid4()), action="create",
                      fields={"given_name": "Testy", "family_name": "Fictional"}, base={}, hlc="001764536912346-000000",
                      author=RESPONSE_OP.author, device=RESPONSE_OP.device, meta={"note": "made here"})


def test_each_operation_keeps_its_text_as_written_and_that_is_what_the_store_keeps():
    data = encode_operations([RESPONSE_OP, PERSON_OP])
    got = decode_operations(data)
    assert got == [RESPONSE_OP, PERSON_OP]
    for op, sent in zip(got, (RESPONSE_OP, PERSON_OP), strict=True):
        assert op.text == canonical_json(sent.body())
        assert op.text in data.decode()
        assert capture.operation_row(op, 1)[-1] == op.text  # the row kept is the text received


def test_another_layout_of_the_same_json_is_read_and_kept_canonical():
    doc = json.loads(encode_operations([RESPONSE_OP, PERSON_OP]))
    for data in (json.dumps(doc, indent=2).encode(), json.dumps(doc, ensure_ascii=True).encode(),
                 json.dumps({"operations": doc["operations"], "format": FORMAT}).encode()):
        got = decode_operations(data)
        assert got == [RESPONSE_OP, PERSON_OP]
        assert [op.text for op in got] == ["", ""]
        assert [capture.operation_row(op, 1)[-1] for op in got] == [canonical_json(RESPONSE_OP.body()),
                                                                     canonical_json(PERSON_OP.body())]


def test_no_operations_is_an_empty_list():
    assert decode_operations(f'{{"format":{FORMAT},"operations":[]}}'.encode()) == []


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("canonical", [True, False])
def test_nan_and_infinity_are_refused_in_either_layout(constant, canonical):
    text = encode_operations([RESPONSE_OP]).decode()
    assert '"answers.q1":2' in text
    text = text.replace('"answers.q1":2', f'"answers.q1":{constant}')
    if not canonical:
        text = text.replace(",", ", ")
    with pytest.raises(ExchangeFormatError) as info:
        decode_operations(text.encode())
    assert "cannot be read" in info.value.message and "Nothing was applied" in str(info.value)


GOOD = encode_operations([RESPONSE_OP, PERSON_OP]).decode()


@pytest.mark.parametrize("text", [
    GOOD[:-3],  # cut short inside the last operation's closing
    GOOD[: len(GOOD) // 2],  # cut short in the middle of an operation
    GOOD + "x",  # something after the end
    GOOD.replace("},{", "}{", 1),  # a comma missing between two operations
    GOOD.replace("},{", "},,{", 1),  # one too many
    GOOD[:-2] + ",]}",  # a comma before the end
    GOOD.replace(RESPONSE_OP.id, "not-an-operation-id"),
    GOOD.replace('"entity":"person"', '"entity":"spaceship"'),
    GOOD.replace(RESPONSE_OP.hlc, "yesterday"),
    GOOD.replace('"author_cert":"' + "a" * 64, '"author_cert":"zz'),
    GOOD.replace('"case_uuid":""', '"case_uuid":"Testy Fictional"'),
])
def test_damaged_text_in_the_usual_layout_is_refused_whole(text):
    with pytest.raises(ExchangeFormatError) as info:
        decode_operations(text.encode())
    assert "cannot be read" in info.value.message


def test_a_newer_format_in_the_usual_layout_is_refused_with_what_to_do():
    with pytest.raises(ExchangeFormatError, match="newer version of ddassess"):
        decode_operations(GOOD.replace(f'{{"format":{FORMAT},', f'{{"format":{FORMAT + 1},').encode())
    with pytest.raises(ExchangeFormatError, match="format version is not one ddassess ever wrote"):
        decode_operations(GOOD.replace(f'{{"format":{FORMAT},', '{"format":0,').encode())


# --- the quick check and the checks one by one give the same answers ---------------------

_DELETE = object()
_ID = RESPONSE_OP.id
ODD_VALUES = [
    _DELETE, None, 0, 1, True, 1.5, "", "x", [], {}, ["x"], ["response"], {"a": 1}, {"a": []}, {"a": ["x"]},
    {"a": [_ID]}, {"a": [_ID.upper()]}, {"a": [_ID, 7]}, {"a": (_ID,)}, {"a": _ID}, {1: []}, {2: "x"},
    {"answers.q1": 1}, _ID, _ID.upper(), " " + _ID, _ID + "\n", _ID + "|" + _ID, _ID[:-1], RESPONSE_OP.hlc,
    "001764536912345-00000", "001764536912345-0000003", "١" * 15 + "-" + "0" * 6, RESPONSE_OP.hlc + "|",
    "001764536912345_000003", "a" * 64, "A" * 64, "a" * 63, "response", "person", "set", "create", "spaceship",
]
KEYS = sorted(BODY_KEYS) + ["extra"]


def _same_answer(body: dict) -> Operation | None:
    """What the quick check gives for ``body``, having held it to the checks one by one."""
    quick = _as_written(body, "text") if body.keys() == BODY_KEYS else None
    try:
        full = _checked(body, "text")
    except ExchangeFormatError:
        full = None
    if quick is not None:
        assert full is not None and vars(quick) == vars(full), body
    return quick


def _mutated(op: Operation, mutations) -> dict:
    body = json.loads(canonical_json(op.body()))
    for key, value in mutations:
        if value is _DELETE:
            body.pop(key, None)
        else:
            body[key] = copy.deepcopy(value)
    return body


def test_a_body_as_ddassess_writes_it_takes_the_quick_way():
    for op in (RESPONSE_OP, PERSON_OP):
        assert _same_answer(_mutated(op, [])) == op


def test_the_quick_check_accepts_no_single_change_the_checks_one_by_one_refuse():
    for op in (RESPONSE_OP, PERSON_OP):
        for key in KEYS:
            for value in ODD_VALUES:
                _same_answer(_mutated(op, [(key, value)]))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([RESPONSE_OP, PERSON_OP]),
       st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(ODD_VALUES)), min_size=2, max_size=4))
def test_nor_any_few_changes_together(op, mutations):
    _same_answer(_mutated(op, mutations))


# --- damaged bytes: a clear refusal, or the operations the whole document holds ----------

EDITS = st.one_of(
    st.tuples(st.just("cut"), st.integers(0, len(GOOD.encode()))),
    st.tuples(st.just("flip"), st.integers(0, len(GOOD.encode()) - 1), st.integers(1, 255)),
    st.tuples(st.just("insert"), st.integers(0, len(GOOD.encode())), st.sampled_from(
        [b",", b"]", b"}", b"{", b'"', b" ", b"\\", b"NaN", b"[", b"0", b'"x":1,', b"\xff"])),
    st.tuples(st.just("drop"), st.integers(0, len(GOOD.encode()) - 1), st.integers(1, 40)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(EDITS, min_size=1, max_size=3))
def test_damaged_bytes_are_refused_clearly_or_read_as_the_whole_document_says(edits):
    data = bytearray(GOOD.encode())
    for edit in edits:
        if edit[0] == "cut":
            del data[edit[1]:]
        elif edit[0] == "flip" and edit[1] < len(data):
            data[edit[1]] ^= edit[2]
        elif edit[0] == "insert":
            data[edit[1]:edit[1]] = edit[2]
        elif edit[0] == "drop":
            del data[edit[1]:edit[1] + edit[2]]
    answers = []
    for read in (decode_operations, _read_whole):
        try:
            answers.append(read(bytes(data)))
        except ExchangeFormatError as e:
            assert "Nothing was applied" in str(e)
            answers.append(None)
    assert answers[0] == answers[1]


def _read_whole(data: bytes) -> list[Operation]:
    """The operations of ``data`` read the slow way, the document whole (what any layout other
    than the usual one gets): what the quick reading must agree with."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ExchangeFormatError("not UTF-8", hint="Nothing was applied.") from None
    return _whole_document(text)
