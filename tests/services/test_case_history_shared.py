"""Who did what on a shared case: two practitioners on two real stores, their changes
exchanged through the oplog's operations (issue 14, "See who did what"); the history names
each author, says whom a change was received from, and a conflict and its resolution."""

from __future__ import annotations

from pathlib import Path

import pytest
from exchange_helpers import add_colleague, make_store, response_id, send

from ddassess.formengine import load_catalogue
from ddassess.services import case_changes
from ddassess.services.case_history import case_history
from ddassess.services.conflicts import list_conflicts, resolve_conflict
from ddassess.services.last_changed import answer_changes, form_changes

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
AUDIT = "Alcohol Use Disorders Identification Test (AUDIT, UK units version)"
Q1 = "How often do you have a drink containing alcohol?"


@pytest.fixture
def pair(tmp_path):
    alex, bea = make_store(tmp_path / "alex", "Alex Example"), make_store(tmp_path / "bea", "Bea Example")
    add_colleague(alex, bea)
    add_colleague(bea, alex)
    yield alex, bea
    alex.close()
    bea.close()


def _said(h) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{e.who} {e.what}" + (f" (received from {e.received_from})" if e.received_from else "")
            for e in h.entries]


def _shared_audit(alex, bea):  # type: ignore[no-untyped-def]
    from exchange_helpers import case_id, new_case

    a_case, case_uuid = new_case(alex, given="Shara", family="Fictional")
    spec = CATALOGUE.get("audit")
    r = case_changes.start_response(alex, a_case, "audit", spec.version, spec.content_hash, {"q1": 1})
    send(alex, bea, CATALOGUE)
    return a_case, case_id(bea, case_uuid), r.uuid


def test_each_change_names_its_author_and_who_it_was_received_from(pair):
    alex, bea = pair
    a_case, b_case, audit_uuid = _shared_audit(alex, bea)
    b_audit = response_id(bea, audit_uuid)
    case_changes.save_draft(bea, b_audit, {"q1": 3, "q2": 1})  # Bea, on her laptop
    send(bea, alex, CATALOGUE)
    h = case_history(alex, CATALOGUE, a_case, form_id="audit")
    assert _said(h) == [
        f"Bea Example changed '{Q1}' in {AUDIT} from 'Monthly or less' to '2 to 3 times per week' "
        "(received from Bea Example)",
        f"Bea Example answered 'How many units of alcohol do you drink on a typical day when you are drinking?' in "
        f"{AUDIT}: '3 to 4' (received from Bea Example)",
        f"Alex Example started {AUDIT}",
        f"Alex Example answered '{Q1}' in {AUDIT}: 'Monthly or less'",
    ]
    # On Bea's laptop, Alex's start of the form came from Alex.
    hb = case_history(bea, CATALOGUE, b_case, form_id="audit")
    assert _said(hb)[-2:] == [f"Alex Example started {AUDIT} (received from Alex Example)",
                              f"Alex Example answered '{Q1}' in {AUDIT}: 'Monthly or less' "
                              "(received from Alex Example)"]
    # Who last changed each answer, and the form, on Alex's laptop.
    a_audit = response_id(alex, audit_uuid)
    last = answer_changes(alex, a_audit)
    assert (last["q1"].who, last["q1"].received_from) == ("Bea Example", "Bea Example")
    assert last["q1"].words("%d %b %Y").endswith(", received from Bea Example")
    assert form_changes(alex, a_case)[a_audit].who == "Bea Example"
    case_changes.save_draft(alex, a_audit, {"q1": 3, "q2": 2})
    last = answer_changes(alex, a_audit)
    assert (last["q1"].who, last["q2"].who, last["q2"].received_from) == ("Bea Example", "Alex Example", "")


def test_a_conflict_and_its_resolution_are_in_the_history(pair):
    alex, bea = pair
    a_case, b_case, audit_uuid = _shared_audit(alex, bea)
    case_changes.save_draft(alex, response_id(alex, audit_uuid), {"q1": 2})  # both offline, the same question
    case_changes.save_draft(bea, response_id(bea, audit_uuid), {"q1": 4})
    send(alex, bea, CATALOGUE)
    send(bea, alex, CATALOGUE)
    (conflict,) = list_conflicts(alex, a_case, catalogue=CATALOGUE)
    found = (f"ddassess found a conflict over '{Q1}' in {AUDIT}: Bea Example gave '4 or more times per week'; "
             "Alex Example gave '2 to 4 times per month'")
    assert _said(case_history(alex, CATALOGUE, a_case, form_id="audit"))[:2] == [
        f"{found} (still open)",
        # what the record shows meanwhile (the value shown first), received from Bea
        f"Bea Example changed '{Q1}' in {AUDIT} from '2 to 4 times per month' to '4 or more times per week' "
        "(received from Bea Example)"]
    chosen = next(i for i, v in enumerate(conflict.values) if v.author == "Alex Example")
    resolve_conflict(alex, conflict.uuid, chosen, "Alex asked again at the visit", catalogue=CATALOGUE)
    said = _said(case_history(alex, CATALOGUE, a_case, form_id="audit"))
    assert said[0] == (f"Alex Example changed '{Q1}' in {AUDIT} from '4 or more times per week' to "
                       "'2 to 4 times per month'")
    assert said[1] == (f"Alex Example resolved the conflict over '{Q1}' in {AUDIT}, keeping '2 to 4 times per month', "
                       "giving the reason 'Alex asked again at the visit'")
    assert any(line.startswith(found) for line in said), said
    send(alex, bea, CATALOGUE)
    assert list_conflicts(bea, b_case, catalogue=CATALOGUE) == []  # settled on Bea's laptop too
    on_bea = _said(case_history(bea, CATALOGUE, b_case, form_id="audit"))
    assert on_bea[0] == (f"Alex Example changed '{Q1}' in {AUDIT} from '4 or more times per week' to "
                         "'2 to 4 times per month' (received from Alex Example)")
    last = answer_changes(bea, response_id(bea, audit_uuid))["q1"]
    assert (last.who, last.received_from) == ("Alex Example", "Alex Example")
