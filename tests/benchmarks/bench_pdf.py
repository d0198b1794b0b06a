"""PDF benchmark: render, sign and verify a 10-page care plan.

    python tests/benchmarks/bench_pdf.py

Baseline, measured in the same run: a minimal reportlab document (one paragraph, same
embedded font) — the fixed cost of producing any PDF here. Targets (issues 5 and 10):
render a 10-page plan ≤ 300 ms warm, sign ≤ 50 ms with an EC P-256 key, verify ≤ 50 ms
for one signature with the strict checks (difference policy, coverage, certificate bag,
key usage, times). The fully signed plan — all four blocks: the person's drawn on the
plan, the care coordinator's, the partner's and the team lead's digital signatures — is
measured against 200 ms: most of that time is pyHanko's difference analysis of each later
revision (every countersignature is checked to be only the filling of an empty block),
which a one-signature file never needs.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.platypus import Paragraph, SimpleDocTemplate  # noqa: E402
from sample_plans import sample_plan  # noqa: E402

from ddassess.pdf import certs  # noqa: E402
from ddassess.pdf.careplan import prepare_for_signing, render_care_plan  # noqa: E402
from ddassess.pdf.layout import Styles  # noqa: E402
from ddassess.pdf.plan_verdict import verdict  # noqa: E402
from ddassess.pdf.signing import sign_pdf  # noqa: E402
from ddassess.pdf.verification import check_plan, verify_pdf  # noqa: E402


def minimal_pdf() -> bytes:
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build([Paragraph("Minimal document", Styles().body)])
    return buf.getvalue()


def timed(fn, reps: int) -> list[float]:  # type: ignore[no-untyped-def]
    fn()
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    needs = 6
    while render_care_plan(sample_plan(needs=needs, actions_per_need=5)).pages < 10:
        needs += 2
    plan = sample_plan(needs=needs, actions_per_need=5, signed=True)
    rendered = render_care_plan(plan)
    ca = certs.new_team_ca("Bench Team")
    who = certs.issue_certificate(ca, "Casey Coordinator")
    signable = prepare_for_signing(rendered)
    signed = sign_pdf(signable, who, field_name="care_coordinator")
    full = signed
    for role, name in (("partner", "Siân O'Connor"), ("team_lead", "Lee Lead")):
        full = sign_pdf(full, certs.issue_certificate(ca, name), field_name=role)
    check = check_plan(full, [ca.certificate])
    assert check.ok and verdict(check).endswith("(team lead); person signed by hand on the plan"), verdict(check)

    base = timed(minimal_pdf, 20)
    render = timed(lambda: render_care_plan(plan), 10)
    prepare = timed(lambda: prepare_for_signing(rendered), 10)
    sign = timed(lambda: sign_pdf(signable, who, field_name="care_coordinator"), 20)
    verify = timed(lambda: verify_pdf(signed, [ca.certificate]), 20)
    verify_full = timed(lambda: verify_pdf(full, [ca.certificate]), 20)
    b = statistics.median(base)
    print(f"ddassess PDF benchmark: care plan of {rendered.pages} pages ({len(rendered.pdf) // 1024} KiB)")
    print(f"{'step':32} {'median':>9} {'max':>9} {'× minimal doc':>14}")
    for name, xs, target in (("minimal reportlab doc (baseline)", base, None), ("render 10-page plan", render, 300),
                             ("add empty signature fields", prepare, None), ("sign (EC P-256)", sign, 50),
                             ("verify one signature", verify, 50),
                             ("verify the four-block plan", verify_full, 200)):
        m = statistics.median(xs)
        t = f"  target ≤ {target} ms: {'met' if m <= target else 'MISSED'}" if target else ""
        print(f"{name:32} {m:8.1f}ms {max(xs):8.1f}ms {m / b:13.1f}×{t}")


if __name__ == "__main__":
    main()
