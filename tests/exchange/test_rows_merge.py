"""Repeating groups merge row by row (docs/exchange.md, "Merge rules"): rows named by ids
that travel, rows added on two laptops both kept in one order, different rows merged, one
cell changed two ways a conflict, a removal beside an edit of the row a conflict that
loses no word. Real stores, exchanging operations (and, for every order of delivery, real
bundle files between laptops that joined one team)."""

from __future__ import annotations

import itertools

import pytest
from exchange_helpers import add_colleague, new_case, open_conflicts, response_id, send, start, visible
from team_helpers import join, laptop, team_lead

from ddassess.formengine.row_ids import ROW_KEY
from ddassess.services import care_team, case_changes, conflicts, team
from ddassess.services import exchange as ex
from ddassess.store.check import check_store

HOUSING = {"area": "housing", "need": "Somewhere safe to live", "goal": "My own flat", "action": "Refer to housing",
           "responsible": "Fictional worker", "status": "not_started"}
MONEY = {"area": "finance", "need": "Debts", "goal": "No bailiffs", "action": "Debt advice",
         "responsible": "Fictional worker", "status": "not_started"}
WORK = {"area": "work_education", "need": "Something to do", "goal": "Volunteer", "action": "Find a placement",
        "responsible": "Fictional worker", "status": "not_started"}


def needs(store, response_id_):
    return case_changes.get_response(store, response_id_).answers.get("needs") or []


def words(rows):
    return [{k: v for k, v in r.items() if k != ROW_KEY} for r in rows]


def checked(*stores):
    for s in stores:
        report = check_store(s)
        assert report.ok, report.problems


@pytest.fixture
def shared_plan(stores, catalogue):
    """Alex starts a care plan with one need; Bea receives it."""
    a, b = stores(2)
    add_colleague(a, b)
    add_colleague(b, a)
    cid, _cuuid = new_case(a)
    r = start(a, catalogue, cid, "care_plan", {"needs": [HOUSING]})
    send(a, b, catalogue)
    return a, b, r, response_id(b, r.uuid)


def both_ways(a, b, catalogue):
    send(a, b, catalogue)
    send(b, a, catalogue)


def test_each_row_gets_an_id_kept_for_good(shared_plan):
    a, b, r, rb = shared_plan
    [row] = needs(a, r.id)
    assert isinstance(row[ROW_KEY], str) and len(row[ROW_KEY]) == 36
    assert needs(b, rb) == [row]  # the same id on the other laptop
    case_changes.save_draft(a, r.id, {"needs": [{**row, "goal": "A flat near my sister"}]})
    assert needs(a, r.id)[0][ROW_KEY] == row[ROW_KEY]


def test_rows_added_on_both_laptops_are_both_kept_in_one_order(shared_plan, catalogue):
    a, b, r, rb = shared_plan
    case_changes.save_draft(a, r.id, {"needs": [*needs(a, r.id), MONEY]})
    case_changes.save_draft(b, rb, {"needs": [*needs(b, rb), WORK]})
    both_ways(a, b, catalogue)
    assert needs(a, r.id) == needs(b, rb)
    assert sorted(row["area"] for row in needs(a, r.id)) == ["finance", "housing", "work_education"]
    assert needs(a, r.id)[0]["area"] == "housing"  # the row both had stays first
    assert open_conflicts(a) == open_conflicts(b) == []
    checked(a, b)


def test_different_rows_changed_merge_without_a_conflict(shared_plan, catalogue):
    a, b, r, rb = shared_plan
    case_changes.save_draft(a, r.id, {"needs": [*needs(a, r.id), MONEY]})
    send(a, b, catalogue)
    one, two = needs(b, rb)
    case_changes.save_draft(a, r.id, {"needs": [{**one, "goal": "A flat near my sister"}, two]})
    case_changes.save_draft(b, rb, {"needs": [one, {**two, "status": "in_progress"}]})
    both_ways(a, b, catalogue)
    assert words(needs(a, r.id)) == [{**HOUSING, "goal": "A flat near my sister"}, {**MONEY, "status": "in_progress"}]
    assert needs(a, r.id) == needs(b, rb)
    assert open_conflicts(a) == open_conflicts(b) == []
    checked(a, b)


def test_one_cell_changed_two_ways_is_one_conflict_named_by_its_row(shared_plan, catalogue):
    a, b, r, rb = shared_plan
    [row] = needs(a, r.id)
    case_changes.save_draft(a, r.id, {"needs": [{**row, "goal": "A flat near my sister"}]})
    case_changes.save_draft(b, rb, {"needs": [{**row, "goal": "A room in a shared house"}]})
    both_ways(a, b, catalogue)
    assert visible(a) == visible(b)
    [c] = conflicts.list_conflicts(a, catalogue=catalogue)
    assert [x.uuid for x in conflicts.list_conflicts(b, catalogue=catalogue)] == [c.uuid]
    assert c.kind == "field" and c.form_title == "Joint care plan"
    assert c.field_label == "Need 1 — Housing: Goal (in my words)"
    assert {v.text for v in c.values} == {"A flat near my sister", "A room in a shared house"}
    assert needs(a, r.id)[0]["goal"] == c.values[0].value  # the record shows the first value listed
    conflicts.resolve_conflict(a, c.uuid, 1, "Checked with the person at the visit")
    send(a, b, catalogue)
    assert needs(a, r.id) == needs(b, rb) and needs(a, r.id)[0]["goal"] == c.values[1].value
    from ddassess.services.case_history import case_history

    said = [e.what for e in case_history(a, catalogue, case_changes.get_response(a, r.id).case_id).entries]
    assert f"resolved the conflict over 'Need 1 — Housing: Goal (in my words)' in Joint care plan, keeping " \
           f"'{c.values[1].text}', giving the reason 'Checked with the person at the visit'" in said
    assert [w for w in said if row[ROW_KEY] in w or ROW_KEY in w] == []
    assert open_conflicts(a) == open_conflicts(b) == []
    checked(a, b)


def test_a_removal_alone_removes_the_row_everywhere(shared_plan, catalogue):
    a, b, r, rb = shared_plan
    case_changes.save_draft(a, r.id, {"needs": [*needs(a, r.id), MONEY]})
    send(a, b, catalogue)
    case_changes.save_draft(b, rb, {"needs": needs(b, rb)[1:]})
    both_ways(a, b, catalogue)
    assert words(needs(a, r.id)) == words(needs(b, rb)) == [MONEY]
    assert open_conflicts(a) == open_conflicts(b) == []
    checked(a, b)


def test_a_removal_beside_an_edit_of_the_row_keeps_it_and_is_listed(shared_plan, catalogue):
    a, b, r, rb = shared_plan
    [row] = needs(a, r.id)
    case_changes.save_draft(a, r.id, {"needs": [row, MONEY]})
    send(a, b, catalogue)
    case_changes.save_draft(a, r.id, {"needs": needs(a, r.id)[1:]})  # Alex removes the housing need
    case_changes.save_draft(b, rb, {"needs": [{**needs(b, rb)[0], "action": "Referred; waiting to hear"},
                                              needs(b, rb)[1]]})  # Bea writes on it meanwhile
    both_ways(a, b, catalogue)
    kept = words(needs(a, r.id))
    assert kept == [{**HOUSING, "action": "Referred; waiting to hear"}, MONEY]  # nothing of Bea's lost
    assert needs(a, r.id) == needs(b, rb) and visible(a) == visible(b)
    [c] = conflicts.list_conflicts(a, catalogue=catalogue)
    assert c.kind == "row" and c.field_label == "Need 1 — Housing"
    assert [v.author for v in c.values] == ["Alex Example", "Bea Example"]
    assert c.values[0].text == "Remove this row"
    assert "Referred; waiting to hear" in c.values[1].text
    # Settled by keeping the removal: the row goes on both laptops, with the reason audited.
    conflicts.resolve_conflict(b, c.uuid, 0, "Housing found; need met")
    send(b, a, catalogue)
    assert words(needs(a, r.id)) == words(needs(b, rb)) == [MONEY]
    assert open_conflicts(a) == open_conflicts(b) == []
    checked(a, b)


def test_a_removal_beside_an_edit_settled_by_keeping_the_row(shared_plan, catalogue):
    a, b, r, rb = shared_plan
    case_changes.save_draft(a, r.id, {"needs": []})
    case_changes.save_draft(b, rb, {"needs": [{**needs(b, rb)[0], "status": "in_progress"}]})
    both_ways(a, b, catalogue)
    [c] = conflicts.list_conflicts(b, catalogue=catalogue)
    conflicts.resolve_conflict(a, c.uuid, 1, "Still working on it with the person")
    both_ways(a, b, catalogue)
    assert words(needs(a, r.id)) == words(needs(b, rb)) == [{**HOUSING, "status": "in_progress"}]
    assert open_conflicts(a) == open_conflicts(b) == []
    checked(a, b)


def test_a_row_added_after_the_form_was_finalised_elsewhere_is_listed_not_merged(shared_plan, catalogue):
    from ddassess.services.case_pathway import finalise_form

    a, b, r, rb = shared_plan
    with a.write() as s:  # finalise as the service does, without the rest of the plan's required answers
        from sqlalchemy import select

        from ddassess.store.records import ResponseRecord

        rec = s.scalar(select(ResponseRecord).where(ResponseRecord.id == r.id))
        rec.status = "final"
    assert finalise_form  # the real path is tested with complete forms in test_merge_rules
    case_changes.save_draft(b, rb, {"needs": [*needs(b, rb), MONEY]})
    both_ways(a, b, catalogue)
    assert words(needs(a, r.id)) == words(needs(b, rb)) == [HOUSING]
    [c] = conflicts.list_conflicts(a, catalogue=catalogue)
    assert c.kind == "final" and c.field_label.startswith("Need")


@pytest.fixture
def pair(tmp_path):
    lead = team_lead(tmp_path)
    sam, kim = laptop(tmp_path, "Sam Fictional"), laptop(tmp_path, "Kim Fictional")
    for lap in (sam, kim):
        join(lead, lap)
    team.import_roster(sam.store, team.roster_file(lead.store))
    yield sam, kim
    for lap in (lead, sam, kim):
        lap.store.close()


def bundle_of(src, dst, path):
    ex.export_changes(src.store, to=dst.me, out=path)
    return path


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_rows_over_real_bundles_in_every_order_of_delivery(pair, catalogue, tmp_path, order):
    """Sam and Kim each add a row, change another, and change one cell two ways, in two
    rounds of bundles; every order of receiving the four files (twice each) ends the same."""
    sam, kim = pair
    cid, _cuuid = new_case(sam.store, given="Tess", family="Fictional")
    r = start(sam.store, catalogue, cid, "care_plan", {"needs": [HOUSING, MONEY]})
    care_team.share_case(sam.store, catalogue, cid, kim.me)
    ex.export_changes(sam.store, to=kim.me, out=tmp_path / "first.ddbundle")
    ex.import_changes(kim.store, tmp_path / "first.ddbundle", catalogue=catalogue)
    rk = response_id(kim.store, r.uuid)
    one, two = needs(sam.store, r.id)
    files = []
    case_changes.save_draft(sam.store, r.id, {"needs": [{**one, "goal": "A flat near my sister"}, two, WORK]})
    files.append((kim, bundle_of(sam, kim, tmp_path / "s1.ddbundle")))
    case_changes.save_draft(kim.store, rk, {"needs": [{**one, "goal": "A room of my own"},
                                                      {**two, "status": "in_progress"}, MONEY | {"need": "Rent"}]})
    files.append((sam, bundle_of(kim, sam, tmp_path / "k1.ddbundle")))
    case_changes.save_draft(sam.store, r.id, {"needs": [*needs(sam.store, r.id)[:2]]})  # Sam removes Work
    files.append((kim, bundle_of(sam, kim, tmp_path / "s2.ddbundle")))
    case_changes.save_draft(kim.store, rk, {"needs": [*needs(kim.store, rk)[:2]]})  # Kim removes Rent
    files.append((sam, bundle_of(kim, sam, tmp_path / "k2.ddbundle")))
    for i in order:
        to, path = files[i]
        ex.import_changes(to.store, path, catalogue=catalogue)
        ex.import_changes(to.store, path, catalogue=catalogue)
    assert visible(sam.store) == visible(kim.store)
    got = words(needs(sam.store, r.id))
    assert [x["area"] for x in got] == ["housing", "finance"]
    assert got[1]["status"] == "in_progress"
    [c] = conflicts.list_conflicts(sam.store, catalogue=catalogue)
    assert c.field_label.endswith(": Goal (in my words)")
    assert {v.value for v in c.values} == {"A flat near my sister", "A room of my own"}
    for lap in (sam, kim):
        report = check_store(lap.store)
        assert report.ok, report.problems


def test_a_group_sent_whole_before_row_ids_is_read_as_the_upgrades_rows():
    """An operation written before schema 0015 carries a group whole, rows without ids: it
    is read as rows with the ids the upgrade gave the stored rows (legacy_row_id), in its
    order, and a later change of one of those rows applies over it."""
    from ddassess.exchange.codec import row_field
    from ddassess.exchange.fold import fold
    from ddassess.formengine.row_ids import legacy_row_id

    def op(i, action, fields, base=None):
        return {"id": f"op-{i}", "entity_uuid": "resp-1", "action": action, "hlc": f"000{i}", "fields": fields,
                "base": base or {}, "meta": {}, "author": "a", "device": "d", "case_uuid": "c"}

    old = op(1, "create", {"form_id": "care_plan", "status": "draft", "answers.needs": [HOUSING, MONEY]})
    ids = [legacy_row_id("resp-1", "needs", i) for i in range(2)]
    assert fold([old]).values["answers.needs"] == [{**HOUSING, ROW_KEY: ids[0]}, {**MONEY, ROW_KEY: ids[1]}]
    later = op(2, "set", {row_field("needs", ids[1], "goal"): "Debt free", row_field("needs", ids[0], ROW_KEY): None},
               {row_field("needs", ids[0], ROW_KEY): ("op-1",), row_field("needs", ids[1], "goal"): ()})
    assert fold([old, later]).values["answers.needs"] == [{**MONEY, "goal": "Debt free", ROW_KEY: ids[1]}]


def test_a_removal_after_its_own_edits_and_those_received_is_no_conflict(shared_plan, catalogue):
    """A removal is based on every cell of the row its author had: edits made here, or
    received, before removing are no reason to keep the row."""
    a, b, r, rb = shared_plan
    [row] = needs(b, rb)
    case_changes.save_draft(b, rb, {"needs": [{**row, "goal": "A room of my own"}]})
    send(b, a, catalogue)
    case_changes.save_draft(a, r.id, {"needs": [{**needs(a, r.id)[0], "status": "achieved"}]})
    case_changes.save_draft(a, r.id, {"needs": None})
    both_ways(a, b, catalogue)
    assert needs(a, r.id) == needs(b, rb) == []
    assert open_conflicts(a) == open_conflicts(b) == []
    checked(a, b)
