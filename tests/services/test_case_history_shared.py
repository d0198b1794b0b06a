"""Who did what on a shared case: two practitioners on two real stores, their changes
exchanged through the oplog's operations (issue 14, "See who did what"); the history names
each author, says whom a change was received from, and a conflict and its resolution."""

from __future__ import annotations

from pathlib import Path

from exchange_helpers import response_id, send

from ddassess.formengine import load_catalogue
from ddassess.services import case_changes
from ddassess.services.case_history import case_history
from ddassess.services.conflicts import list_conflicts, resolve_conflict
from ddassess.services.last_changed import answer_changes, form_changes

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
# A pathway form: anyone in the care team may change it (a scored instrument has one author).
REFERRAL = "Referral and triage"
Q1 = "Urgency"
ROUTINE, URGENT, EMERGENCY = "Routine (within 28 days)", "Urgent (within 5 working days)", "Emergency (same day)"


def _said(h) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{e.who} {e.what}" + (f" (received from {e.received_from})" if e.received_from else "")
            for e in h.entries]


def _shared_referral(alex, bea):  # type: ignore[no-untyped-def]
    from exchange_helpers import case_id, new_case

    a_case, case_uuid = new_case(alex, given="Shara", family="Fictional")
    spec = CATALOGUE.get("referral")
    r = case_changes.start_response(alex, a_case, "referral", spec.version, spec.content_hash, {"urgency": "routine"})
    send(alex, bea, CATALOGUE)
    return a_case, case_id(bea, case_uuid), r.uuid


def test_each_change_names_its_author_and_who_it_was_received_from(pair):
    alex, bea = pair
    a_case, b_case, referral_uuid = _shared_referral(alex, bea)
    b_referral = response_id(bea, referral_uuid)
    case_changes.save_draft(bea, b_referral, {"urgency": "urgent", "reason": "Low mood"})  # Bea, on her laptop
    send(bea, alex, CATALOGUE)
    h = case_history(alex, CATALOGUE, a_case, form_id="referral")
    assert _said(h) == [
        f"Bea Example answered 'Reason for referral' in {REFERRAL}: 'Low mood' (received from Bea Example)",
        f"Bea Example changed '{Q1}' in {REFERRAL} from '{ROUTINE}' to '{URGENT}' (received from Bea Example)",
        f"Alex Example started {REFERRAL}",
        f"Alex Example answered '{Q1}' in {REFERRAL}: '{ROUTINE}'",
    ]
    # On Bea's laptop, Alex's start of the form came from Alex.
    hb = case_history(bea, CATALOGUE, b_case, form_id="referral")
    assert _said(hb)[-2:] == [f"Alex Example started {REFERRAL} (received from Alex Example)",
                              f"Alex Example answered '{Q1}' in {REFERRAL}: '{ROUTINE}' (received from Alex Example)"]
    # Who last changed each answer, and the form, on Alex's laptop.
    a_referral = response_id(alex, referral_uuid)
    last = answer_changes(alex, a_referral)
    assert (last["urgency"].who, last["urgency"].received_from) == ("Bea Example", "Bea Example")
    assert last["urgency"].words("%d %b %Y").endswith(", received from Bea Example")
    assert form_changes(alex, a_case)[a_referral].who == "Bea Example"
    case_changes.save_draft(alex, a_referral, {"urgency": "urgent", "reason": "Low mood and sleeping badly"})
    last = answer_changes(alex, a_referral)
    assert (last["urgency"].who, last["reason"].who, last["reason"].received_from) == \
        ("Bea Example", "Alex Example", "")


def test_a_conflict_and_its_resolution_are_in_the_history(pair):
    alex, bea = pair
    a_case, b_case, referral_uuid = _shared_referral(alex, bea)
    case_changes.save_draft(alex, response_id(alex, referral_uuid), {"urgency": "urgent"})  # both offline
    case_changes.save_draft(bea, response_id(bea, referral_uuid), {"urgency": "emergency"})
    send(alex, bea, CATALOGUE)
    send(bea, alex, CATALOGUE)
    (conflict,) = list_conflicts(alex, a_case, catalogue=CATALOGUE)
    found = (f"ddassess found a conflict over '{Q1}' in {REFERRAL}: Bea Example gave '{EMERGENCY}'; "
             f"Alex Example gave '{URGENT}'")
    assert _said(case_history(alex, CATALOGUE, a_case, form_id="referral"))[:2] == [
        f"{found} (still open)",
        # what the record shows meanwhile (the value shown first), received from Bea
        f"Bea Example changed '{Q1}' in {REFERRAL} from '{URGENT}' to '{EMERGENCY}' "
        "(received from Bea Example)"]
    chosen = next(i for i, v in enumerate(conflict.values) if v.author == "Alex Example")
    resolve_conflict(alex, conflict.uuid, chosen, "Alex asked again at the visit", catalogue=CATALOGUE)
    said = _said(case_history(alex, CATALOGUE, a_case, form_id="referral"))
    assert said[0] == (f"Alex Example changed '{Q1}' in {REFERRAL} from '{EMERGENCY}' to "
                       f"'{URGENT}'")
    assert said[1] == (f"Alex Example resolved the conflict over '{Q1}' in {REFERRAL}, keeping '{URGENT}', "
                       "giving the reason 'Alex asked again at the visit'")
    assert any(line.startswith(found) for line in said), said
    send(alex, bea, CATALOGUE)
    assert list_conflicts(bea, b_case, catalogue=CATALOGUE) == []  # settled on Bea's laptop too
    on_bea = _said(case_history(bea, CATALOGUE, b_case, form_id="referral"))
    assert on_bea[0] == (f"Alex Example changed '{Q1}' in {REFERRAL} from '{EMERGENCY}' to "
                         f"'{URGENT}' (received from Alex Example)")
    last = answer_changes(bea, response_id(bea, referral_uuid))["urgency"]
    assert (last.who, last.received_from) == ("Alex Example", "Alex Example")
