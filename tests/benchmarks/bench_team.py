"""Team view benchmark: every figure for a quarter, and the KPI report PDF, on 100,000 cases
and 1,000,000 responses, in the encrypted store against plain SQLite (same schema, same rows).

    python tests/benchmarks/bench_team.py [--cases 100000] [--responses-per-case 10] [--fresh]

The rows are written with bulk SQL into a real SQLCipher store made by ``create_store`` and
into a plain SQLite file migrated to the same schema; both are kept under /tmp between runs
(``--fresh`` builds them again). They are built in a child process, so the figures' memory
(peak resident set of this process) is what the Team view and the report cost, not the build.

Each case (fictional) has a referral, PHQ-9, AUDIT, SADQ, substance profile, joint
assessment, lead agency decision, care plan, joint review and, when it has ended, a
discharge (or another PHQ-9): ten responses. Cases open from 2021 to November 2026; most
older ones are closed; one person in ten comes back for a second episode.

Targets (issue 16): all figures for a quarter ≤ 500 ms (warm: the median of ``--reps`` runs
after a first, "cold" one), the report PDF ≤ 2 s, memory ≤ 300 MB. The build is cached under
/tmp by the schema it was made with (the migrations' and ``store/case_facts.py``'s text), so a
changed schema builds again. The Team view reads these figures off the GUI thread (``ui/ops.py``;
tests/ui/test_team_view_responsive.py shows the window takes keys meanwhile).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keyring  # noqa: E402
from bench_store import PlainStore  # noqa: E402
from memory_keyring import InMemoryKeyring  # noqa: E402

from ddassess.domain.periods import parse_period  # noqa: E402
from ddassess.formengine import load_catalogue  # noqa: E402
from ddassess.store import Credentials, create_store, open_store, schema  # noqa: E402
from ddassess.store.case_facts import FACTS_SQL  # noqa: E402

PASSPHRASE = "benchmark passphrase, not secret"
CACHE = Path("/tmp/ddassess-bench-team")
TODAY = dt.date(2026, 11, 30)
START = dt.date(2021, 1, 1)
QUARTER = "2026-Q3"
STAGES = ("referral", "consent", "screening", "joint_assessment", "lead_agency", "care_plan", "review")
AGENCIES = ("primary_care", "mental_health", "substance_misuse", "social_care", "housing", "criminal_justice", "other")
SUBSTANCES = ("alcohol", "heroin", "crack", "cocaine", "cannabis", "amphetamine", "benzodiazepines")
LEADS = ("Mental health service", "Substance misuse service", "Primary care")
TEXT = "Fictional benchmark text about the person's situation and plans. " * 6


def _ts(day: dt.date) -> str:
    return f"{day.isoformat()}T11:00:00.000000+00:00"


def _cases(n: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    span = (TODAY - START).days
    people = int(n * 0.9)
    for i in range(n):
        person = 1000 + (i if i < people else rng.randrange(people))
        opened = START + dt.timedelta(days=rng.randrange(span))
        age = (TODAY - opened).days
        closed = age > 120 and rng.random() < 0.85
        closed_on = min(TODAY, opened + dt.timedelta(days=30 + rng.randrange(170))) if closed else None
        stage = "discharged" if closed else STAGES[min(len(STAGES) - 1, age // 20)]
        risk = "urgent" if i % 97 == 0 else "high" if i % 11 == 0 else ""
        review = (opened + dt.timedelta(days=60 + rng.randrange(120))).isoformat() if stage in ("care_plan", "review") \
            and i % 9 else None
        yield (1000 + i, f"case-{i}", f"DD-B-{i:06d}", person, stage, "closed" if closed else "open",
               "" if stage in STAGES[:5] else LEADS[i % 3], 1 + i % 40, 1 + (i + 7) % 40, risk,
               opened.isoformat(), closed_on.isoformat() if closed_on else None, review, _ts(opened), _ts(opened))


def _responses(cases: list[tuple[object, ...]], per_case: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    rid = 1000
    for c in cases:
        cid, opened = int(str(c[0])), dt.date.fromisoformat(str(c[10]))
        closed_on = c[11]
        forms: list[tuple[str, dict[str, object], int]] = [
            ("referral", {"received_on": opened.isoformat(), "referrer_name": "Dr Fictional", "self_referral":
                          rng.random() < 0.25, "referrer_agency": rng.choice(AGENCIES), "reason": TEXT[:120],
                          "urgency": "routine", "decision": "accepted_joint"}, 0),
            ("phq9", {f"q{k}": rng.randrange(4) for k in range(1, 10)}, 5),
            ("audit", {f"q{k}": rng.randrange(5) for k in range(1, 11)}, 5),
            ("sadq", {f"q{k}": rng.randrange(4) for k in range(1, 21)}, 8),
            ("substance_profile", {"substances": [{"substance": rng.choice(SUBSTANCES), "amount": "some",
                                                    "days_last_28": rng.randrange(29), "route": "oral"}]}, 10),
            ("joint_assessment", {"assessed_on": (opened + dt.timedelta(days=7 + rng.randrange(40))).isoformat(),
                                  "presentation": TEXT, "mental_state": TEXT, "mh_treatment_need": rng.random() < 0.7,
                                  "mh_in_treatment": rng.random() < 0.5}, 12),
            ("lead_agency", {"mh_severity": rng.choice(("high", "low")), "sm_severity": rng.choice(("high", "low")),
                             "lead": "mental_health", "rationale": TEXT[:200]}, 18),
            ("care_plan", {"what_matters": TEXT, "next_review": (opened + dt.timedelta(days=90)).isoformat(),
                           "person_signed": {"strokes": [[[1, 2], [3, 4]]], "signed_by": "x"}}, 25),
            ("joint_review", {"review_date": (opened + dt.timedelta(days=60)).isoformat(), "progress": TEXT}, 60),
            ("discharge", {"planned": rng.choice(("planned", "unplanned")), "reason": rng.choice(
                ("goals_met", "disengaged", "transfer", "moved_away"))}, 0) if closed_on else ("phq9", {}, 90),
        ][:per_case]
        for form_id, answers, days in forms:
            day = dt.date.fromisoformat(str(closed_on)) if form_id == "discharge" else opened + dt.timedelta(days=days)
            final = day <= TODAY and bool(answers)
            rid += 1
            yield (rid, f"resp-{rid}", cid, form_id, 1, "0" * 64, json.dumps(answers), "final" if final else "draft",
                   1, _ts(min(day, TODAY)), _ts(min(day, TODAY)), _ts(day) if final else None, 1 if final else None,
                   None, "")


def fill(conn, n: int, per_case: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(16)
    conn.execute("BEGIN")
    for p in range(2, 41):
        conn.execute("INSERT OR IGNORE INTO practitioners (id, uuid, name, role, agency, email, phone, active, "
                     "created_at) VALUES (?, ?, ?, '', ?, '', '', 1, ?)",
                     (p, f"prac-{p}", f"Worker {p:02d}", "Fictional Trust" if p % 2 else "Fictional SMS", _ts(START)))
    conn.executemany("INSERT INTO people (id, uuid, given_name, family_name, preferred_name, date_of_birth, "
                     "nhs_number, gender, address, phone, email, search_name, created_at, updated_at) "
                     "VALUES (?, ?, 'Bench', ?, '', '1980-01-01', NULL, '', '', '', '', ?, ?, ?)",
                     ((1000 + i, f"person-{i}", f"Person{i}", f"bench person{i}", _ts(START), _ts(START))
                      for i in range(int(n * 0.9))))
    cases = list(_cases(n, rng))
    conn.executemany("INSERT INTO cases (id, uuid, ref, person_id, stage, status, lead_agency, care_coordinator_id, "
                     "partner_worker_id, risk_level, opened_on, closed_on, next_review_due, created_at, updated_at) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", cases)
    conn.executemany("INSERT INTO form_responses (id, uuid, case_id, form_id, form_version, definition_hash, "
                     "answers_json, status, author_id, created_at, updated_at, finalised_at, finalised_by_id, "
                     "amends_id, amendment_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     _responses(cases, per_case, rng))
    conn.execute("COMMIT")
    conn.execute("BEGIN")
    conn.execute(FACTS_SQL)  # what finalising each form would have left (migration 0012 does the same)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def copy_rows(conn, plain_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The plain store's rows into the encrypted one (same schema): one build of the rows."""
    conn.execute(f"ATTACH DATABASE '{plain_path}' AS plain KEY ''")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO main.practitioners SELECT * FROM plain.practitioners WHERE id > 1")
    for table in ("people", "cases", "form_responses"):
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM plain.{table}")
    conn.execute("INSERT OR REPLACE INTO main.case_facts SELECT * FROM plain.case_facts")
    conn.execute("COMMIT")
    conn.execute("DETACH DATABASE plain")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def build(folder: Path, n: int, per_case: int) -> None:
    """Both stores, in a child process (its memory is not the figures'): the plain one filled
    with executemany, the encrypted one copied from it."""
    keyring.set_keyring(InMemoryKeyring())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    plain = sqlite3.connect(folder / "plain.db", isolation_level=None)
    plain.execute("PRAGMA journal_mode = WAL")
    schema.upgrade(plain)
    plain.execute("INSERT INTO practitioners (id, uuid, name, role, agency, email, phone, active, created_at) "
                  "VALUES (1, 'benchmark', 'Bench Lead', '', '', '', '', 1, ?)", (_ts(START),))
    fill(plain, n, per_case)
    plain.close()
    created = create_store(folder / "enc", PASSPHRASE, practitioner={"name": "Bench Lead"}, use_keyring=False)
    conn = created.store.raw_connection()
    copy_rows(conn, folder / "plain.db")
    conn.close()
    created.store.close()
    (folder / "built").write_text(f"{n} {per_case}\n")


def schema_key() -> str:
    """The schema the cached stores were built with: the tables, indexes and triggers the
    migrations make (their SQL), and the facts' SQL."""
    import hashlib

    scratch = sqlite3.connect(":memory:", isolation_level=None)
    schema.upgrade(scratch)
    # each statement's lines, sorted: SQLAlchemy writes a table's constraints in no fixed order
    statements = [str(row[0]) for row in scratch.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")]
    made = sorted(line.strip().rstrip(",") for sql in statements for line in sql.replace(", ", ",\n").splitlines())
    scratch.close()
    digest = hashlib.sha256("\n".join([*made, FACTS_SQL]).encode())
    return f"{schema.HEAD_REVISION}-{digest.hexdigest()[:8]}"


def timed(fn: Callable[[], object], reps: int) -> tuple[float, float, float, float]:
    """(first run, its processor time, median of the next ``reps``, their median processor
    time) in milliseconds.
    The processor time is this process's own: on a machine shared with other work the wall
    clock also counts the time the process waited for a core."""
    t, c = time.perf_counter(), time.process_time()
    fn()
    first, first_cpu = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
    runs, cpu = [], []
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return first, first_cpu, statistics.median(runs), statistics.median(cpu)


PLAN_PARAMS = {"today": TODAY.isoformat(), "start": "2026-07-01", "end": "2026-09-30", "pstart": "2026-04-01",
               "pend": "2026-06-30", "group": ""}


def print_plans(conn, targets: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    """EXPLAIN QUERY PLAN of each figure's grouped statement and of the complex cases list."""
    from ddassess.services.team_kpis import COMPLEX_SQL
    from ddassess.services.team_measures import MEASURES, grouped_sql

    statements = {m: grouped_sql(m, targets) for m in (*MEASURES, "now.waiting")} | {"complex list": COMPLEX_SQL}
    for name, sql in statements.items():
        used = {k: v for k, v in PLAN_PARAMS.items() if f":{k}" in sql}
        steps = [str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", used).fetchall()]
        print(f"  {name:16} " + " | ".join(steps))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--responses-per-case", type=int, default=10)
    parser.add_argument("--fresh", action="store_true", help="build the stores again")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--plans", action="store_true", help="print each figure's query plan")
    parser.add_argument("--build-only", action="store_true", help="build the stores (if needed) and stop")
    args = parser.parse_args()
    folder = CACHE / f"{args.cases}x{args.responses_per_case}-schema{schema_key()}"
    if args.fresh or not (folder / "built").exists():
        print(f"building {args.cases:,} cases and {args.cases * args.responses_per_case:,} responses in {folder} …")
        t = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(target=build, args=(folder, args.cases,
                                                                                  args.responses_per_case))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit("building the stores failed")
        print(f"built in {time.perf_counter() - t:.0f} s")
    if args.build_only:
        return
    from ddassess.services.team_kpis import team_now, team_period
    from ddassess.services.team_report import kpi_report_pdf

    catalogue = load_catalogue()
    period = parse_period(QUARTER)
    enc = open_store(folder / "enc", Credentials(passphrase=PASSPHRASE, use_keyring=False), record_unlock=False)
    plain = PlainStore(folder / "plain.db")
    with enc.read() as s:
        from sqlalchemy import text

        n_cases = s.execute(text("SELECT count(*) FROM cases")).scalar()
        n_resp = s.execute(text("SELECT count(*) FROM form_responses")).scalar()
    print(f"{n_cases:,} cases, {n_resp:,} responses; figures for {QUARTER} against "
          f"{period.previous().label}, now = {TODAY}")

    def figures(store: object) -> Callable[[], object]:
        return lambda: (team_now(store, TODAY, catalogue), team_period(store, period, catalogue, today=TODAY))  # type: ignore[arg-type]

    rows = []
    for name, fn_for, target in (
        ("all figures (now + quarter)", figures, 500.0),
        ("KPI report PDF", lambda st: (lambda: kpi_report_pdf(st, period, catalogue=catalogue, today=TODAY)), 2000.0),
    ):
        e_first, e_first_cpu, e_med, e_cpu = timed(fn_for(enc), args.reps)
        _, _, p_med, p_cpu = timed(fn_for(plain), args.reps)
        rows.append((name, e_first, e_first_cpu, e_med, e_cpu, p_med, p_cpu, target))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
          f"median of {args.reps} warm runs")
    print(f"{'':28} {'cold':>8} {'cpu':>8} | {'median':>8} {'cpu':>8} | {'plain':>8} {'cpu':>8} | {'ratio':>5}  target")
    for name, first, first_cpu, med, cpu, pmed, pcpu, target in rows:
        verdict = "met" if med <= target else "MISSED"
        print(f"{name:28} {first:6.0f}ms {first_cpu:6.0f}ms | {med:6.0f}ms {cpu:6.0f}ms | {pmed:6.0f}ms "
              f"{pcpu:6.0f}ms | {med / pmed:5.2f}  ≤ {target:.0f} ms {verdict} (processor time "
              f"{'met' if cpu <= target else 'MISSED'})")
    print(f"peak memory of this process: {peak:.0f} MB  ≤ 300 MB {'met' if peak <= 300 else 'MISSED'}")
    if args.plans:
        from ddassess.services.team_kpis import targets as store_targets

        print("query plans (encrypted store):")
        conn = enc.raw_connection()
        print_plans(conn, store_targets(enc))
        conn.close()
    now = team_now(enc, TODAY, catalogue)
    quarter = team_period(enc, period, catalogue, today=TODAY)
    print("sample figures:", {t.key: sum(f.count for f in t.figures) for t in (*now.tables, *quarter.tables)})
    enc.close()
    plain.close()


if __name__ == "__main__":
    main()
