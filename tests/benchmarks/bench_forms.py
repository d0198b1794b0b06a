"""Forms benchmark: load the whole catalogue; check and score the largest form.

    python tests/benchmarks/bench_forms.py

Baseline, in the same run: plain ``yaml.safe_load`` (C loader) of the same files, the
least any loader has to do. Targets (issue 3): whole catalogue loaded and validated
≤ 200 ms cold in-process; check + score of the largest form, all fields answered,
≤ 1 ms each over 1,000 runs.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

FORMS = Path(__file__).resolve().parents[2] / "forms"


def cold_load_ms() -> float:
    code = ("import time; t=time.perf_counter(); from ddassess.formengine import load_catalogue; "
            f"c=load_catalogue({str(FORMS)!r}); assert not c.problems; print((time.perf_counter()-t)*1000)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def baseline_ms() -> float:
    t = time.perf_counter()
    for p in sorted(FORMS.glob("**/*.yaml")):
        yaml.load(p.read_text(), Loader=yaml.CSafeLoader)
    return (time.perf_counter() - t) * 1000


def full_answers(spec):  # type: ignore[no-untyped-def]
    def one(f):  # type: ignore[no-untyped-def]
        return {"short_text": "Fictional text", "long_text": "Fictional notes " * 20, "integer": f.min or 1,
                "decimal": f.min or 1.5, "rating": f.min or 1, "date": "2026-11-20", "datetime": "2026-11-20T10:00",
                "yes_no": True, "single_choice": f.choices[0].value if f.choices else None,
                "scored_choice": f.choices[-1].value if f.choices else None,
                "multi_choice": [f.choices[0].value] if f.choices else [], "person_ref": "p-1",
                "practitioner_ref": "Testy McTestface",
                "signature": {"strokes": [[[0, 0], [10, 10]]]}}.get(f.type)

    answers = {}
    for f in spec.fields.values():
        if f.type == "group":
            answers[f.id] = [{c.id: one(c) for c in f.fields} for _ in range(3)]
        elif f.type != "computed":
            answers[f.id] = one(f)
    return answers


def main() -> None:
    from ddassess.formengine import evaluate, load_catalogue

    base = statistics.median(baseline_ms() for _ in range(5))
    cold = statistics.median(cold_load_ms() for _ in range(5))
    t = time.perf_counter()
    cat = load_catalogue(FORMS)
    warm = (time.perf_counter() - t) * 1000
    spec = max(cat.forms.values(), key=lambda s: len(s.fields))
    answers = full_answers(spec)
    times = []
    for _ in range(1000):
        t = time.perf_counter()
        evaluate(spec, answers, tables=cat.tables)  # one pass gives the problems and the scores
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    n_files = len(list(FORMS.glob("**/*.yaml")))
    print(f"ddassess forms benchmark: {len(cat.all_versions)} forms ({n_files} YAML files); largest: {spec.id} "
          f"({len(spec.fields)} fields)")
    print(f"plain yaml.safe_load of the files (baseline)  {base:7.1f} ms")
    print(f"load + validate catalogue, cold process      {cold:7.1f} ms  ({cold / base:.1f}× baseline; "
          f"target ≤ 200 ms: {'met' if cold <= 200 else 'MISSED'})")
    print(f"load + validate catalogue, in-process again  {warm:7.1f} ms")
    mean = statistics.mean(times)
    print(f"check + score {spec.id}, 1,000 runs: mean {mean:.3f} ms, p95 {times[949]:.3f} ms "
          f"(target ≤ 1 ms: {'met' if times[949] <= 1 else 'MISSED'})")


if __name__ == "__main__":
    main()
