"""Two amendments of one final form, made on two laptops before either heard of the other,
are a conflict on that form's chain (docs/exchange.md, "Merge rules"): listed on both with
both amendments side by side; a person keeps one, the other is superseded (kept, audited),
and every laptop ends the same. Real stores exchanging operations."""

from __future__ import annotations

from exchange_helpers import add_colleague, new_case, open_conflicts, response_id, send, start, visible

from ddassess.services import case_changes, conflicts
from ddassess.services.case_pathway import finalise_form
from ddassess.store.check import check_store


def amended_twice(stores, catalogue):
    a, b = stores(2)
    add_colleague(a, b)
    add_colleague(b, a)
    cid, _cuuid = new_case(a)
    r = start(a, catalogue, cid, "risk", {"q1": 1})
    finalise_form(a, catalogue, r.id)
    send(a, b, catalogue)
    rb = response_id(b, r.uuid)
    mine = case_changes.start_amendment(a, r.id, {})
    case_changes.save_draft(a, mine.id, {"q1": 2})
    finalise_form(a, catalogue, mine.id, "Alex: the person said item 1 was worse")
    theirs = case_changes.start_amendment(b, rb, {})
    case_changes.save_draft(b, theirs.id, {"q1": 0})
    finalise_form(b, catalogue, theirs.id, "Bea: the person said item 1 was better")
    send(a, b, catalogue)
    send(b, a, catalogue)
    return a, b, r, mine, theirs


def status(store, uuid):
    return case_changes.get_response(store, response_id(store, uuid)).status


def test_two_amendments_of_one_final_form_are_listed_side_by_side(stores, catalogue):
    a, b, r, mine, theirs = amended_twice(stores, catalogue)
    assert visible(a) == visible(b)
    [c] = conflicts.list_conflicts(a, catalogue=catalogue)
    assert [x.uuid for x in conflicts.list_conflicts(b, catalogue=catalogue)] == [c.uuid]
    assert c.kind == "chain" and c.entity_uuid == r.uuid
    assert c.field_label == "Amended on two laptops: keep one amendment"
    assert {v.value for v in c.values} == {mine.uuid, theirs.uuid}
    assert {v.author for v in c.values} == {"Alex Example", "Bea Example"}
    assert any("the person said item 1 was worse" in v.text for v in c.values)
    assert any("the person said item 1 was better" in v.text for v in c.values)
    # Both stay final while it is open (neither's answers hidden); the amended form is superseded.
    for s in (a, b):
        assert (status(s, r.uuid), status(s, mine.uuid), status(s, theirs.uuid)) == ("superseded", "final", "final")


def test_keeping_one_amendment_supersedes_the_other_on_every_laptop(stores, catalogue):
    a, b, r, mine, theirs = amended_twice(stores, catalogue)
    [c] = conflicts.list_conflicts(b, catalogue=catalogue)
    kept = [v.value for v in c.values].index(theirs.uuid)
    conflicts.resolve_conflict(b, c.uuid, kept, "Checked with the person: better")
    send(b, a, catalogue)
    send(a, b, catalogue)
    for s in (a, b):
        assert (status(s, r.uuid), status(s, mine.uuid), status(s, theirs.uuid)) == \
            ("superseded", "superseded", "final")
        assert open_conflicts(s) == []
        report = check_store(s)
        assert report.ok, report.problems
    assert visible(a) == visible(b)


def test_a_chain_is_settled_only_by_choosing_one_listed(stores, catalogue):
    import pytest

    a, _b, _r, _mine, _theirs = amended_twice(stores, catalogue)
    [c] = conflicts.list_conflicts(a, catalogue=catalogue)
    with pytest.raises(conflicts.ConflictNotOpenError):
        conflicts.resolve_conflict(a, c.uuid, {"q1": 1}, "A value of my own")
    with pytest.raises(conflicts.ConflictNotOpenError):
        conflicts.resolve_conflict(a, c.uuid, 5, "Not one listed")
    assert [x.uuid for x in conflicts.list_conflicts(a, catalogue=catalogue)] == [c.uuid]


def test_the_case_history_says_so_in_words(stores, catalogue):
    from ddassess.services.case_history import case_history

    a, _b, r, _mine, _theirs = amended_twice(stores, catalogue)
    [c] = conflicts.list_conflicts(a, catalogue=catalogue)
    conflicts.resolve_conflict(a, c.uuid, 0, "Checked with the person")
    said = [e.what for e in case_history(a, catalogue, case_changes.get_response(a, r.id).case_id).entries]
    assert "found Risk assessment amended on two laptops (since settled)" in said
    assert any(w.startswith("resolved the conflict over 'Amended on two laptops: keep one amendment'") for w in said)
