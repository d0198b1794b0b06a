"""Who-last-changed and case history benchmark: how their reads of the audit trail grow with
the trail, against what opening a case already costs, in the same run.

    python tests/benchmarks/bench_history.py [--events 100000 300000]

One real encrypted store; one case with a PHQ-9 and an AUDIT filled in over many autosaves
through the services; then the trail is grown with the events of other (fictional) records,
as a laptop that has kept many cases for a long time has them (autosave writes an event per
second of typing). For each size: ``answer_changes`` (once per form opened),
``form_changes`` (once per case page shown) and ``case_history`` (the dialog), each as the
median of 7, and their ratio to ``case_summary`` (what a case page already reads to show its
header) measured on the same store at the same size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from store_helpers import FAST_KDF, PRACTITIONER  # noqa: E402

from ddassess.domain.models import PersonDetails  # noqa: E402
from ddassess.formengine import load_catalogue  # noqa: E402
from ddassess.services import case_changes  # noqa: E402
from ddassess.services.case_header import case_summary  # noqa: E402
from ddassess.services.case_history import case_history  # noqa: E402
from ddassess.services.last_changed import answer_changes, form_changes  # noqa: E402
from ddassess.store import create_store  # noqa: E402

PASSPHRASE = "benchmark passphrase, not secret"


def median_ms(fn: Callable[[], object], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def grow_trail(store, n: int) -> None:  # type: ignore[no-untyped-def]
    """``n`` more events about other records, after the head (timing only: the hashes are not a chain)."""
    conn = store.raw_connection()
    head_seq = int(conn.execute("SELECT value FROM store_meta WHERE key = 'audit_head'").fetchone()[0].split(":")[0])
    others = [str(uuid.uuid4()) for _ in range(max(1, n // 60))]
    at = "2026-01-01T09:00:00.000000+00:00"
    rows = [(head_seq + 1 + i, at, store.owner_uuid, "update", "response", others[i % len(others)],
             json.dumps({"notes": ["Fictional words typed so far", "Fictional words typed so far and more"]}),
             "", "0" * 64, "0" * 64) for i in range(n)]
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO audit_events VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    conn.execute("UPDATE store_meta SET value = ? WHERE key = 'audit_head'", (f"{head_seq + n}:{'0' * 64}",))
    conn.execute("COMMIT")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 300_000])
    args = parser.parse_args()
    catalogue = load_catalogue()
    folder = Path(tempfile.mkdtemp(prefix="ddassess-bench-history-"))
    try:
        store = create_store(folder / "store", PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF,
                             use_keyring=False).store
        person = case_changes.register_person(store, PersonDetails("Bench", "Fictional", None, None))
        case_id = case_changes.open_case(store, person.id).id
        ids = []
        for form_id in ("phq9", "audit"):
            spec = catalogue.get(form_id)
            r = case_changes.start_response(store, case_id, form_id, spec.version, spec.content_hash)
            answers: dict[str, object] = {}
            for i in range(1, 10):
                answers[f"q{i}"] = i % 3
                case_changes.save_draft(store, r.id, dict(answers))
            ids.append(r.id)
        print(f"{'events':>9} {'summary':>9} {'answers':>9} {'ratio':>6} {'forms':>9} {'ratio':>6} "
              f"{'history':>9} {'ratio':>6}")
        grown = 0
        for size in [0, *args.events]:
            grow_trail(store, size - grown)
            grown = size
            base = median_ms(lambda: case_summary(store, catalogue, case_id))
            one = median_ms(lambda: answer_changes(store, ids[1]))
            forms = median_ms(lambda: form_changes(store, case_id))
            hist = median_ms(lambda: case_history(store, catalogue, case_id))
            print(f"{size:>9} {base:>7.1f}ms {one:>7.1f}ms {one / base:>6.2f} {forms:>7.1f}ms {forms / base:>6.2f} "
                  f"{hist:>7.1f}ms {hist / base:>6.2f}")
        store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
