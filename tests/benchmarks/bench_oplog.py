"""Operations benchmark: applying received operations, and what capture adds to a draft save.

    python tests/benchmarks/bench_oplog.py [--cases 100000 --operations 10000 --saves 300]

1. A store of ``--cases`` cases (bulk rows, as bench_store.py) receives ``--operations``
   operations from another laptop in one transaction (one bundle): new people, cases and
   PHQ-9 drafts, then answers changed on them, as another laptop's capture writes them.
   Target (issue 14): ≤ 3 s. The same operations applied again (all duplicates) are timed too.
2. A draft save (one answer changed) through ``save_draft`` with capture on, against the
   same saves with the capture listener removed, alternating blocks in the same store and
   run. Target: ratio of the medians ≤ 1.2.

Prints each figure, the ratio and "met" or "MISSED".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from bulk import populate  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from store_helpers import FAST_KDF, PASSPHRASE  # noqa: E402

from ddassess.domain.models import PersonDetails  # noqa: E402
from ddassess.domain.nhs import fictional_nhs_numbers  # noqa: E402
from ddassess.exchange import capture  # noqa: E402
from ddassess.exchange.hlc import format_hlc  # noqa: E402
from ddassess.exchange.ids import new_case_ref, uuid7  # noqa: E402
from ddassess.exchange.operations import Operation, decode_operations, encode_operations  # noqa: E402
from ddassess.formengine import load_catalogue  # noqa: E402
from ddassess.services import case_changes, conflicts  # noqa: E402
from ddassess.store import create_store  # noqa: E402

FORMS = Path(__file__).resolve().parents[2] / "forms"


def received_operations(n_ops: int, numbers: list[str]) -> list[Operation]:
    """Another laptop's operations: per case a person, the case, a PHQ-9 draft and edits."""
    author, device = str(uuid.uuid4()), str(uuid.uuid4())
    ops: list[Operation] = []
    ms = 1_764_000_000_000
    per_case = 10
    for i in range(n_ops // per_case):
        person, case, response = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())

        def op(entity: str, entity_uuid: str, action: str, fields: dict, base: dict | None = None,  # type: ignore[type-arg]
               case_uuid: str = case) -> Operation:
            nonlocal ms
            ms += 1
            return Operation(uuid7(ms), case_uuid, entity, entity_uuid, action, fields, base or {},
                             format_hlc(ms, 0), author, "", device)

        ops.append(op("person", person, "create", {"given_name": "Bench", "family_name": f"Fictional{i}",
                                                   "nhs_number": numbers[i], "date_of_birth": "1980-01-01"}, None, ""))
        ops.append(op("case", case, "create", {"ref": new_case_ref(), "person_uuid": person,
                                               "opened_on": "2026-11-01", "risk_override": None}))
        created = op("response", response, "create", {"case_uuid": case, "form_id": "phq9", "form_version": 2,
                                                      "definition_hash": "0" * 64, "status": "draft",
                                                      "answers.q1": 0})
        ops.append(created)
        last = created.id
        for k in range(per_case - 3):
            edit = op("response", response, "set", {"answers.q1": (k + 1) % 4}, {"answers.q1": (last,)})
            ops.append(edit)
            last = edit.id
    return ops


def bench_apply(folder: Path, n_cases: int, n_ops: int) -> tuple[float, float]:
    store = create_store(folder, PASSPHRASE, practitioner={"name": "Bench Worker"}, kdf=FAST_KDF,
                         use_keyring=False).store
    try:
        conn = store.raw_connection()
        try:
            populate(conn, n_cases, n_cases)
        finally:
            conn.close()
        numbers = fictional_nhs_numbers(n_cases + n_ops)[n_cases:]
        data = encode_operations(received_operations(n_ops, numbers))
        catalogue = load_catalogue(FORMS)
        t0 = time.perf_counter()
        report = conflicts.receive_operations(store, decode_operations(data), received_from="Bench Colleague",
                                              via="benchmark", catalogue=catalogue)
        first = time.perf_counter() - t0
        assert len(report.applied) == n_ops and not report.refused and not report.waiting, report.refused[:3]
        t0 = time.perf_counter()
        again = conflicts.receive_operations(store, decode_operations(data), received_from="Bench Colleague",
                                             via="benchmark", catalogue=catalogue)
        repeat = time.perf_counter() - t0
        assert len(again.duplicates) == n_ops
        return first, repeat
    finally:
        store.close()


def bench_saves(folder: Path, saves: int) -> tuple[float, float]:
    store = create_store(folder, PASSPHRASE, practitioner={"name": "Bench Worker"}, kdf=FAST_KDF,
                         use_keyring=False).store
    try:
        person = case_changes.register_person(store, PersonDetails(given_name="Bench", family_name="Fictional"))
        case = case_changes.open_case(store, person.id)
        r = case_changes.start_response(store, case.id, "phq9", 2, "0" * 64, {f"q{k}": 0 for k in range(1, 10)})
        on: list[float] = []
        off: list[float] = []
        n = 0
        for block in range(saves // 25):
            capturing = block % 2 == 0
            if not capturing:
                event.remove(Session, "after_flush", capture._after_flush)
            try:
                for _ in range(25):
                    n += 1
                    answers = {f"q{k}": 0 for k in range(1, 10)} | {f"q{1 + n % 9}": 1 + n % 3}
                    t0 = time.perf_counter()
                    case_changes.save_draft(store, r.id, answers)
                    (on if capturing else off).append(time.perf_counter() - t0)
            finally:
                if not capturing:
                    event.listen(Session, "after_flush", capture._after_flush)
        return statistics.median(on), statistics.median(off)
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--operations", type=int, default=10_000)
    parser.add_argument("--saves", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ddassess-bench-oplog-") as tmp:
        on, off = bench_saves(Path(tmp) / "saves", args.saves)
        ratio = on / off
        print(f"draft save, one answer changed: {on * 1000:.2f} ms with operations, {off * 1000:.2f} ms without "
              f"(median of {args.saves // 2} each); "
              f"ratio {ratio:.2f} (target ≤ 1.2: {'met' if ratio <= 1.2 else 'MISSED'})")
        first, repeat = bench_apply(Path(tmp) / "apply", args.cases, args.operations)
        print(f"apply {args.operations} received operations into a store of {args.cases} cases: {first:.2f} s "
              f"(target ≤ 3 s: {'met' if first <= 3 else 'MISSED'}); the same again (all duplicates): {repeat:.2f} s")


if __name__ == "__main__":
    main()
