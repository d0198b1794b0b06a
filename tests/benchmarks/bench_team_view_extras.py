"""What the Team view window reads besides the period's figures, on the benchmark store of
bench_team.py (100,000 cases, 1,000,000 responses, encrypted) with complex case reviews added:
the trend (six quarters of referrals and median waits), the unresolved conflicts figure and
the open actions, each timed and set against the quarter's figures (team_period) measured in
the same run.

    python tests/benchmarks/bench_team_view_extras.py [--cases 100000] [--reviews 0.05] [--fresh]

The store is built (in a child process) under /tmp/ddassess-bench-team-extras, apart from
bench_team.py's, with one final complex case review of four actions (two open) for the given
share of cases, and twenty open conflicts.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keyring  # noqa: E402
from bench_team import PASSPHRASE, QUARTER, TODAY, _ts, build, timed  # noqa: E402
from memory_keyring import InMemoryKeyring  # noqa: E402

from ddassess.domain.periods import parse_period  # noqa: E402
from ddassess.formengine import load_catalogue  # noqa: E402
from ddassess.store import Credentials, open_store  # noqa: E402

CACHE = Path("/tmp/ddassess-bench-team-extras")


def add_reviews_and_conflicts(folder: Path, share: float) -> None:
    keyring.set_keyring(InMemoryKeyring())
    store = open_store(folder / "enc", Credentials(passphrase=PASSPHRASE, use_keyring=False), record_unlock=False)
    conn = store.raw_connection()
    cases = [r[0] for r in conn.execute("SELECT id FROM cases ORDER BY id").fetchall()]
    step = max(1, round(1 / share)) if share > 0 else 0
    chosen = cases[::step] if step else []
    top = conn.execute("SELECT max(id) FROM form_responses").fetchone()[0]
    rows = []
    for k, cid in enumerate(chosen):
        actions = [{"action": f"Fictional action {a}", "owner": f"Worker {a:02d}", "due": "2026-12-0" + str(1 + a),
                    "done": a % 2 == 0} for a in range(4)]
        answers = {"meeting_date": "2026-11-20", "chair": "Bench Chair", "mh_present": True, "sm_present": True,
                   "discussion": "Discussed (fictional).", "actions": actions, "next_meeting": "2026-12-04"}
        rid = top + 1 + k
        rows.append((rid, f"review-{rid}", cid, "complex_case_review", 1, "0" * 64, json.dumps(answers), "final", 1,
                     _ts(TODAY), _ts(TODAY), _ts(TODAY), 1, None, ""))
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO form_responses (id, uuid, case_id, form_id, form_version, definition_hash, "
                     "answers_json, status, author_id, created_at, updated_at, finalised_at, finalised_by_id, "
                     "amends_id, amendment_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(conflicts)").fetchall()}
    values = {"uuid": None, "case_uuid": None, "entity": "'response'", "entity_uuid": "'x'", "field": "'a.q1'",
              "settled_by": "''",
              "kind": "'field'", "status": "'open'", "op_ids_json": "'[]'", "created_at": f"'{_ts(TODAY)}'"}
    for i in range(20):
        names = [c for c in values if c in columns]
        row = {**values, "uuid": f"'conflict-{i}'", "case_uuid": f"'case-{i * 997}'"}
        conn.execute(f"INSERT INTO conflicts ({', '.join(names)}) VALUES ({', '.join(row[c] for c in names)})")
    conn.execute("COMMIT")
    conn.close()
    store.close()
    (folder / "extras").write_text(f"{share} {len(chosen)}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--reviews", type=float, default=0.05, help="share of cases with a complex case review")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    folder = CACHE / f"{args.cases}x10"
    spawn = multiprocessing.get_context("spawn")
    if args.fresh or not (folder / "extras").exists():
        print(f"building {args.cases:,} cases in {folder} …")
        t = time.perf_counter()
        for target, targs in ((build, (folder, args.cases, 10)), (add_reviews_and_conflicts, (folder, args.reviews))):
            child = spawn.Process(target=target, args=targs)
            child.start()
            child.join()
            if child.exitcode != 0:
                raise SystemExit("building the store failed")
        print(f"built in {time.perf_counter() - t:.0f} s")
    from ddassess.services.meeting_agenda import open_actions
    from ddassess.services.team_kpis import Table, _conflicts_table, team_period, team_trend

    catalogue = load_catalogue()
    period = parse_period(QUARTER)
    store = open_store(folder / "enc", Credentials(passphrase=PASSPHRASE, use_keyring=False), record_unlock=False)

    def conflicts() -> Table:
        with store.read() as s:
            return _conflicts_table(s, TODAY)

    base_first, base = timed(lambda: team_period(store, period, catalogue, today=TODAY), args.reps)
    print(f"baseline: the quarter's figures (team_period) first {base_first:.0f} ms, median {base:.0f} ms")
    print(f"{'':36} {'first':>9} {'median':>9} {'× baseline':>11}")
    for name, fn in (("trend (6 quarters)", lambda: team_trend(store, period)),
                     ("unresolved conflicts figure", conflicts),
                     ("open actions", lambda: open_actions(store))):
        first, med = timed(fn, args.reps)
        print(f"{name:36} {first:8.0f}ms {med:8.0f}ms {med / base:10.2f}")
    print(f"open actions: {len(open_actions(store)):,}; conflicts figure: "
          f"{conflicts().figures[0].count}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")
    store.close()


if __name__ == "__main__":
    main()
