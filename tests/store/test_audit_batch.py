"""Audit events appended in a batch (``audit.batched``, used by applying a bundle) chain
exactly as events appended one by one: contiguous, each following the one before, the head
recorded; a batch that raises writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ddassess.store import audit
from ddassess.store.records import AuditEventRecord


def _append(s, n: int, label: str) -> None:
    for i in range(n):
        audit.append_event(s, actor="system", action="export", entity_type="team-report", entity_id=f"{label}{i}",
                           changes={"n": [None, i]}, reason=f"fictional {label}")


def _trail(store):
    with store.read() as s:
        checked, problems = audit.verify_chain(s, store_id=store.store_id)
        rows = s.execute(select(AuditEventRecord.seq, AuditEventRecord.entity_id, AuditEventRecord.prev_hash,
                                AuditEventRecord.hash).order_by(AuditEventRecord.seq)).all()
        return checked, problems, rows, audit.head(s)


def test_a_batch_between_single_appends_keeps_one_unbroken_chain(store):
    before, _, _, _ = _trail(store)
    with store.write() as s:
        _append(s, 2, "before-")
        with audit.batched(s):
            _append(s, 5, "batch-")
            with audit.batched(s):  # nested: joins the outer batch
                _append(s, 1, "nested-")
            assert s.scalar(select(func.count()).select_from(AuditEventRecord)) == before + 2  # not written yet
        _append(s, 1, "after-")
    checked, problems, rows, head = _trail(store)
    assert problems == []
    assert checked == before + 9
    names = [r.entity_id for r in rows[before:]]
    assert names == ["before-0", "before-1", *(f"batch-{i}" for i in range(5)), "nested-0", "after-0"]
    assert [r.seq for r in rows] == list(range(1, before + 10))
    assert all(r.prev_hash == p.hash for p, r in zip(rows, rows[1:], strict=False))
    assert head == (rows[-1].seq, rows[-1].hash)


def test_a_failure_inside_a_batch_leaves_the_trail_as_it_was(store):
    before, _, rows_before, head_before = _trail(store)
    with pytest.raises(RuntimeError), store.write() as s, audit.batched(s):
        _append(s, 3, "lost-")
        raise RuntimeError("a fictional failure half-way through applying")
    checked, problems, rows, head = _trail(store)
    assert (checked, problems, head) == (before, [], head_before)
    assert rows == rows_before
    with store.write() as s:  # the next event follows the head as it was
        _append(s, 1, "next-")
    checked, problems, rows, _ = _trail(store)
    assert problems == [] and rows[-1].prev_hash == head_before[1]


def test_after_a_batch_that_raised_an_event_is_appended_as_usual(store):
    """The batch ends with the error: an event appended after it, in the same unit of work,
    is written (not kept in a batch that will never be written)."""
    before, _, _, _ = _trail(store)
    with store.write() as s:
        with pytest.raises(RuntimeError), audit.batched(s):
            raise RuntimeError("a fictional failure")
        _append(s, 1, "kept-")
    checked, problems, rows, _ = _trail(store)
    assert problems == [] and checked == before + 1 and rows[-1].entity_id == "kept-0"
