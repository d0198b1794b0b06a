"""A save acknowledged is never lost, however the process dies (SIGKILL, many times)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from store_helpers import PASSPHRASE

from ddassess.domain.models import PersonDetails
from ddassess.services import case_changes
from ddassess.store import Credentials, open_store
from ddassess.store.check import check_store
from ddassess.store.records import ResponseRecord

WRITER = Path(__file__).parents[1] / "support" / "kill_writer.py"
ROUNDS = 20


@pytest.mark.slow
def test_sigkill_during_writes_loses_no_acknowledged_save(store, store_folder, subprocess_env):
    person = case_changes.register_person(store, PersonDetails("Kill", "Test", nhs_number="9990000069"))
    case_id = case_changes.open_case(store, person.id).id
    store.close()
    rng = random.Random(20261124)
    acked: dict[int, int] = {}
    for round_no in range(1, ROUNDS + 1):
        child = subprocess.Popen([sys.executable, str(WRITER), str(store_folder), str(round_no), str(case_id)],
                                 env=subprocess_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        time.sleep(rng.uniform(0.05, 0.5))
        os.kill(child.pid, signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL
        last = [line for line in out.splitlines() if line.startswith("ack ")]
        acked[round_no] = int(last[-1].split()[2]) if last else 0

    assert sum(acked.values()) > ROUNDS, f"the writer barely wrote anything: {acked}"
    s = open_store(store_folder, Credentials(passphrase=PASSPHRASE))
    try:
        report = check_store(s)
        assert report.ok, report.problems
        with s.read() as session:
            rows = session.scalars(select(ResponseRecord)).all()
        saved = {}
        drafts = {}
        for r in rows:
            a = json.loads(r.answers_json)
            if r.form_id == "gad7":
                saved.setdefault(a["round"], set()).add(a["n"])
            else:
                drafts[a["round"]] = a.get("n", 0)
        for round_no, n in acked.items():
            if n == 0:
                continue  # killed before its first acknowledged save: nothing was promised
            missing = set(range(1, n + 1)) - saved.get(round_no, set())
            assert not missing, f"round {round_no}: acknowledged saves {sorted(missing)[:10]} lost"
            # The draft was created before save 1 was acknowledged, so it must exist.
            assert round_no in drafts, f"round {round_no}: the draft behind {n} acknowledged saves is gone"
            assert drafts[round_no] >= n, f"round {round_no}: draft edit {n} was acknowledged but lost"
    finally:
        s.close()
