"""Many fictional rows, fast: bulk inserts through a DB-API connection (tests, benchmarks)."""

from __future__ import annotations

import datetime as dt
import json
import random

from ddassess.domain.models import PATHWAY_STAGES, search_key
from ddassess.domain.nhs import fictional_nhs_numbers

GIVEN = ["Alex", "Sam", "Jo", "Chris", "Pat", "Robin", "Charlie", "Jamie", "Morgan", "Taylor", "Łukasz", "Siân"]
FAMILY = ["Testperson", "Fictional", "Madeup", "Sample", "Notreal", "Placeholder", "Dummy", "Example", "Żółć"]


def nhs_numbers(count: int) -> list[str]:
    return fictional_nhs_numbers(count)


def populate(conn, n_people: int, n_responses: int, seed: int = 7) -> None:  # type: ignore[no-untyped-def]
    """People with one case each (stages spread over the pathway) and PHQ-9 drafts."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    numbers = nhs_numbers(n_people)
    conn.execute("BEGIN")
    conn.execute("INSERT OR IGNORE INTO practitioners VALUES (1, 'p-1', 'Bench Worker', '', '', '', '', 1, ?)", (now,))
    people = []
    for i in range(n_people):
        g, f = rng.choice(GIVEN), rng.choice(FAMILY) + str(i)
        dob = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000))
        people.append((i + 1000, f"person-{i}", g, f, "", dob.isoformat(), numbers[i], "", "", "", "",
                       search_key(f"{g} {f}"), now, now))
    # The columns of 0001 by name: later migrations add more (0006), which keep their defaults.
    conn.executemany("INSERT INTO people (id, uuid, given_name, family_name, preferred_name, date_of_birth, "
                     "nhs_number, gender, address, phone, email, search_name, created_at, updated_at) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", people)
    conn.executemany(
        "INSERT INTO cases (id, uuid, ref, person_id, stage, status, lead_agency, care_coordinator_id, "
        "partner_worker_id, risk_level, opened_on, closed_on, next_review_due, created_at, updated_at) "
        "VALUES (?,?,?,?,?, 'open', '', NULL, NULL, ?, ?, NULL, NULL, ?, ?)",
        [(i + 1000, f"case-{i}", f"BENCH-{i:06d}", i + 1000, PATHWAY_STAGES[i % 7], "high" if i % 13 == 0 else "",
          "2026-01-01", now, now) for i in range(n_people)],
    )
    answers = json.dumps({f"q{k}": k % 4 for k in range(1, 10)})
    conn.executemany(
        "INSERT INTO form_responses VALUES (?,?,?, 'phq9', 1, ?, ?, 'draft', 1, ?, ?, NULL, NULL, NULL, '')",
        [(i + 1000, f"resp-{i}", 1000 + i % n_people, "0" * 64, answers, now, now) for i in range(n_responses)],
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
