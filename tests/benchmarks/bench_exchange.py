"""Exchange benchmark, end to end: export and import of a bundle with 1,000 cases and about
20,000 operations between two real stores that joined one team.

    python tests/benchmarks/bench_exchange.py [CASES]

Each case is made through the services as a practitioner would (a person, the case, a form
saved 15 times as its answers are given, and the case shared with a colleague), so the
operations are the real ones. Measured: ``export_changes`` (seal every case's operations,
write the bundle file) and ``import_changes`` (check the whole bundle, keep it, apply every
operation in one transaction), each for time and the process's peak resident size.
Baseline, in the same run: the least the same bytes need — AES-256-GCM over the bundle's
bytes and SHA-256 over them. Targets (issue 14): ≤ 5 s each,
peak memory ≤ 300 MB.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from team_helpers import join, laptop, team_lead  # noqa: E402

from ddassess.domain.models import PersonDetails  # noqa: E402
from ddassess.domain.nhs import fictional_nhs_numbers  # noqa: E402
from ddassess.formengine import load_catalogue  # noqa: E402
from ddassess.services import care_team, case_changes, team  # noqa: E402
from ddassess.services import exchange as ex  # noqa: E402
from ddassess.store.records import OperationRecord  # noqa: E402

EDITS = 15  # with the person, the case, its care team, the form and the share: 20 operations a case


def measure(fn):  # type: ignore[no-untyped-def]
    """(result, seconds, peak resident size in MB so far): time without tracing (tracemalloc
    slows Python several times), memory as the process's peak, which set-up also reached."""
    t0 = time.perf_counter()
    result = fn()
    secs = time.perf_counter() - t0
    return result, secs, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    catalogue = load_catalogue(Path(__file__).resolve().parents[2] / "forms")
    spec = catalogue.get("phq9")
    answers = {f"q{i}": i % 4 for i in range(1, 10)}
    answers.update({f"note_{i}": f"fictional note {i}" for i in range(7)})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        lead = team_lead(root)
        sam, kim = laptop(root, "Sam Fictional"), laptop(root, "Kim Fictional")
        join(lead, sam)
        join(lead, kim)
        team.import_roster(sam.store, team.roster_file(lead.store))
        t = time.perf_counter()
        for i, nhs in enumerate(fictional_nhs_numbers(cases)):
            p = case_changes.register_person(sam.store, PersonDetails("Bench", f"Fictional{i}",
                                                                      dt.date(1980, 1, 1), nhs))
            c = case_changes.open_case(sam.store, p.id)
            r = case_changes.start_response(sam.store, c.id, spec.id, spec.version, spec.content_hash, {})
            for n in range(EDITS):  # a practitioner filling in the form: one save per answer
                case_changes.save_draft(sam.store, r.id, dict(list(answers.items())[:n + 1]))
            care_team.share_case(sam.store, catalogue, c.id, kim.me)
        with sam.store.read() as s:
            ops = s.query(OperationRecord).count()
        print(f"set-up: {cases} cases, {ops} operations made through the services in {time.perf_counter() - t:.0f} s")
        out = root / "bench.ddbundle"
        report, export_s, export_mb = measure(lambda: ex.export_changes(sam.store, to=kim.me, out=out))
        got, import_s, import_mb = measure(lambda: ex.import_changes(kim.store, out, catalogue=catalogue))
        assert report.cases == cases and got.operations >= ops - cases, (report, got.operations)
        data = out.read_bytes()
        b0 = time.perf_counter()
        AESGCM(AESGCM.generate_key(bit_length=256)).encrypt(os.urandom(12), data, b"")
        hashlib.sha256(data).digest()
        base = time.perf_counter() - b0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for lap in (lead, sam, kim):
            lap.store.close()
    print(f"bundle: {len(data) / 1e6:.1f} MB, {report.envelopes} envelopes, {got.operations} operations applied; "
          f"baseline (AES-GCM + SHA-256 of the bundle's bytes) {base * 1000:.1f} ms")
    for label, secs, mb in (("export", export_s, export_mb), ("import", import_s, import_mb)):
        verdict = "met" if secs <= 5.0 and mb <= 300 else "MISSED"
        print(f"{label}: {secs:.2f} s ({secs / base:.0f}× baseline), peak resident size {mb:.0f} MB "
              f"(targets 5 s, 300 MB: {verdict})")
    print(f"peak resident size of the whole run (set-up included): {rss:.0f} MB")


if __name__ == "__main__":
    main()
