"""The server benchmark's own code at toy size, so it cannot rot: tests/benchmarks/bench_server.py
runs its three parts (devices under load over HTTPS with mutual TLS, pull since N with the
query plan, a laptop's catch-up end to end) against the session's PostgreSQL and a real
server with two worker processes. The timings are not judged here; what each part moved is."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.postgres

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_server.py"


def bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_server", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses and its client processes find it by name
    spec.loader.exec_module(module)
    return module


def test_the_server_benchmark_runs_at_toy_size(postgres, tmp_path):
    bench = bench_module()
    lines = bench.run(postgres, tmp_path, devices=3, envelopes=2, concurrency=[2], sizes=[300, 600], send=6,
                      receive=12, cases=2)
    report = "\n".join(lines)
    assert "set-up: 3 devices with their own certificates" in report, report
    # The catch-up sent Alex's 6 changes and applied Bea's 12 (the run itself asserts nothing was refused).
    catch_up = next(line for line in lines if line.startswith("catch-up end to end"))
    assert "Alex's 6 changes sent" in catch_up and "12 of Bea's changes received and applied" in catch_up, catch_up
    # 3 devices × 2 rounds of one push and one pull, 2 in flight, every push stored (asserted in the run).
    load = next(line for line in lines if line.startswith("load at concurrency"))
    assert "load at concurrency   2 (3 devices, 2 client processes" in load and "12 requests" in load, load
    assert "push: p50" in load and "pull: p50" in load
    pulls = [line for line in lines if line.startswith("pull since N")]
    assert [p.split(" stored")[0].split(",")[-1].strip() for p in pulls] == ["300", "300", "600", "600"], pulls
    assert all("returned" in p for p in pulls)
    assert " 10 returned" in pulls[1] and " 10 returned" in pulls[3], pulls
    plan = next(line for line in lines if line.startswith("plan of the pull"))
    assert "item_recipients_pkey" in plan, plan
