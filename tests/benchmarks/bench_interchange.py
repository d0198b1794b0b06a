"""Interchange benchmark: one case as FHIR, and a form's responses as CSV.

    python tests/benchmarks/bench_interchange.py [--responses 50000]

Targets (issue 17): the FHIR export of one case with 40 responses ≤ 100 ms; the CSV of
50,000 responses of one form ≤ 5 s with memory flat (the rows are streamed: the peak of
Python's allocations, tracemalloc, must not grow with the number of rows). Baselines in the
same run: for the case, reading its responses from the store and parsing their JSON, and a
``json.dumps`` of a structure as large as the bundle (the same bundle: the least writing it
costs); for the CSV, a plain SQLite read of the same rows (the same columns, parsed, written
with csv.writerows), the least any export has to do. Each target line ends in met or
MISSED. The machine's load average is printed before and after, so an idle run can be told
from a loaded one (other work on the same cores slows everything, the baselines too: the
ratios stay meaningful). The store is a real SQLCipher store in a temporary folder; the
50,000 responses are inserted in bulk (fictional answers), not through the services, which
would audit each.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from sqlalchemy import select, text  # noqa: E402
from store_helpers import FAST_KDF, PASSPHRASE, PRACTITIONER  # noqa: E402

from ddassess.formengine import load_catalogue  # noqa: E402
from ddassess.services import case_changes, demo  # noqa: E402
from ddassess.services.interchange import case_fhir, export_form_csv, fhir_json  # noqa: E402
from ddassess.store import create_store  # noqa: E402
from ddassess.store.records import CaseRecord, ResponseRecord  # noqa: E402

FORMS = Path(__file__).resolve().parents[2] / "forms"


CPU: dict[float, float] = {}  # a timing's median -> the median CPU time of the same runs


def _ms(fn, runs: int = 9) -> float:
    """The median wall time in ms; the CPU time of the runs is kept beside it (under load the
    wall time grows with the waiting for a core, the CPU time much less: the two tell an idle
    run from a loaded one)."""
    times, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    ms = statistics.median(times)
    CPU[ms] = statistics.median(cpu)
    return ms


def _line(what: str, ms: float, target: float, baseline: float) -> str:
    verdict = "met" if ms <= target else "MISSED"
    cpu = f", CPU {CPU[ms]:.1f} ms" if ms in CPU else ""
    return (f"{what}: {ms:.1f} ms{cpu} (baseline {baseline:.1f} ms, ratio {ms / baseline:.1f}) "
            f"target ≤ {target:g} ms {verdict}")


def one_case(store, catalogue) -> None:
    demo.populate(store, catalogue, people=8)
    with store.read() as s:
        case_id = s.scalar(select(CaseRecord.id).where(CaseRecord.stage == "review"))
    for i in range(40):
        with store.read() as s:
            n = s.query(ResponseRecord).where(ResponseRecord.case_id == case_id,
                                              ResponseRecord.status != "superseded").count()
        if n >= 40:
            break
        spec = catalogue.get(("phq9", "gad7", "audit_c", "audit")[i % 4])
        answers = {f.id: 1 for f in spec.fields.values() if f.type == "scored_choice"}
        r = case_changes.start_response(store, case_id, spec.id, spec.version, spec.content_hash, answers)
        case_changes.finalise_response(store, r.id)

    def baseline() -> None:
        with store.read() as s:
            [json.loads(r.answers_json) for r in s.scalars(select(ResponseRecord).where(
                ResponseRecord.case_id == case_id))]

    bundle = case_fhir(store, catalogue, case_id)
    count = sum(1 for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse")
    print(f"case with {count} responses, {len(bundle['entry'])} resources, {len(fhir_json(bundle)) // 1024} KB")
    read = _ms(baseline)
    dumps = _ms(lambda: json.dumps(bundle))
    print(f"baselines: reading the case's responses {read:.1f} ms; json.dumps of the same size {dumps:.1f} ms")
    print(_line("FHIR bundle of one case (built)", _ms(lambda: case_fhir(store, catalogue, case_id)), 100, read))
    print(_line("FHIR bundle of one case (built and as JSON text)",
                _ms(lambda: fhir_json(case_fhir(store, catalogue, case_id))), 100, read))
    print(_line("FHIR bundle of one case as JSON text (written)", _ms(lambda: fhir_json(bundle)), 100, dumps))
    print(_line("FHIR care plan document of one case (built and as JSON text)",
                _ms(lambda: fhir_json(case_fhir(store, catalogue, case_id, document=True))), 100, read))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=50_000)
    args = parser.parse_args()
    catalogue = load_catalogue(FORMS)
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        created = create_store(folder / "store", PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF)
        store = created.store
        try:
            one_case(store, catalogue)
            small = _csv_peak(store, catalogue, args.responses // 5, folder)
            big = _csv_peak(store, catalogue, args.responses - args.responses // 5, folder)
            print(f"CSV memory: peak {small[0]:.1f} MB of Python allocations at {small[1]} rows, {big[0]:.1f} MB at "
                  f"{big[1]} rows: {'flat, met' if big[0] <= small[0] * 1.5 else 'grows, MISSED'}")
        finally:
            store.close()
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _csv_peak(store, catalogue, add: int, folder: Path) -> tuple[float, int]:
    """Add ``add`` PHQ-9 responses, then export them all: (tracemalloc peak MB, rows), timing the
    export (target ≤ 5 s) against the baseline once the store holds them all."""
    spec = catalogue.get("phq9")
    with store.read() as s:
        case_ids = list(s.scalars(select(CaseRecord.id)))
        before = s.query(ResponseRecord).where(ResponseRecord.form_id == "phq9").count()
    rng = random.Random(add)  # varied answers, as a service's would be (not a few patterns over and over)
    with store.write() as s:
        for i in range(add):
            answers = {f"q{k}": rng.randrange(4) for k in range(1, 10)} | {"difficulty": "somewhat"}
            if rng.random() < 0.05:  # some left unfinished: those go through the forms engine's evaluate
                del answers[f"q{rng.randrange(1, 10)}"]
            s.add(ResponseRecord(case_id=case_ids[i % len(case_ids)], form_id="phq9", form_version=spec.version,
                                 definition_hash=spec.content_hash, answers_json=json.dumps(answers),
                                 status="final"))
    rows = before + add
    out = folder / f"phq9-{rows}.csv"
    t, c = time.perf_counter(), time.process_time()
    export_form_csv(store, catalogue, "phq9", out, "benchmark")
    ms = (time.perf_counter() - t) * 1000
    CPU[ms] = (time.process_time() - c) * 1000

    def baseline() -> None:
        """The same rows and columns read with plain SQL, parsed and written, nothing worked out."""
        with store.read() as s, (folder / "base.csv").open("w", newline="") as fh:
            w = csv.writer(fh)
            stmt = text("SELECT c.ref, r.uuid, r.form_version, r.status, r.answers_json, r.finalised_at, "
                        "r.updated_at FROM form_responses AS r JOIN cases AS c ON c.id = r.case_id "
                        "WHERE r.form_id = 'phq9' AND r.status != 'superseded' ORDER BY c.ref, r.id")
            for part in s.execute(stmt).partitions(1000):
                w.writerows([ref, uuid, version, status, finalised or updated, *json.loads(answers).values()]
                            for ref, uuid, version, status, answers, finalised, updated in part)

    b, c = time.perf_counter(), time.process_time()
    baseline()
    base = (time.perf_counter() - b) * 1000
    base_cpu = (time.process_time() - c) * 1000
    print(_line(f"CSV of {rows} PHQ-9 responses", ms, 5000, base) +
          f" (CPU ratio {CPU[ms] / base_cpu:.1f})")
    tracemalloc.start()
    export_form_csv(store, catalogue, "phq9", out, "benchmark")
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return peak, rows


if __name__ == "__main__":
    main()
