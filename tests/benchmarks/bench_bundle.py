"""Bundle benchmark: seal, bundle and receive 1,000 cases' envelopes between two real stores.

    python tests/benchmarks/bench_bundle.py

Each of 1,000 cases gets one envelope of 20 operations' worth of payload (about 8 KB, random
bytes: the operations' own encoding is not this module's). Baseline, in the same run: the
least the same bytes need — AES-256-GCM over every payload and SHA-256 over the bundle —
so the ratios show what keys, signatures, wraps, the roster and the store cost on top.
Targets (issue 14, for the whole export and import of 1,000 cases and 20,000 operations):
≤ 5 s each; the glue's bench_exchange measures those end to end.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from team_helpers import join, laptop, team_lead  # noqa: E402

from ddassess.exchange import bundle, envelope  # noqa: E402
from ddassess.services import team  # noqa: E402

CASES, PAYLOAD = 1000, 8 * 1024


def main() -> None:
    payloads = {str(uuid.uuid4()): os.urandom(PAYLOAD) for _ in range(CASES)}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        lead = team_lead(root)
        sam, kim = laptop(root, "Sam Fictional"), laptop(root, "Kim Fictional")
        join(lead, sam)
        join(lead, kim)
        team.import_roster(sam.store, team.roster_file(lead.store))  # Sam learns of Kim
        t0 = time.perf_counter()
        with sam.store.write() as s:
            for case, payload in payloads.items():
                envelope.seal_envelope(s, case_uuid=case, payload=payload, sender=sam.me, device_id=sam.store.store_id)
        t1 = time.perf_counter()
        with sam.store.write() as s:
            data, summary = bundle.write_bundle(s, sender=sam.me, device_id=sam.store.store_id, recipients=[kim.me],
                                                cases={c: [kim.me] for c in payloads})
        t2 = time.perf_counter()
        with kim.store.write() as s:
            opened = bundle.open_bundle(s, data, me=kim.me)
            counts = bundle.keep_bundle(s, opened, actor=kim.me)
        t3 = time.perf_counter()
        assert counts["envelopes"] == CASES and summary.envelopes == CASES
        key, nonce = AESGCM.generate_key(bit_length=256), os.urandom(12)
        b0 = time.perf_counter()
        for payload in payloads.values():
            AESGCM(key).encrypt(nonce, payload, b"")
        hashlib.sha256(data).digest()
        base = time.perf_counter() - b0
        for lap in (lead, sam, kim):
            lap.store.close()
    print(f"bundle of {CASES} cases, {len(data) / 1e6:.1f} MB; baseline (AES-GCM + SHA-256 of the same bytes) "
          f"{base * 1000:.0f} ms")
    for label, secs, target in (("seal 1,000 envelopes", t1 - t0, None), ("write the bundle", t2 - t1, 5.0),
                                ("receive the bundle (check all, keep all)", t3 - t2, 5.0)):
        verdict = "" if target is None else (" met" if secs <= target else " MISSED")
        print(f"{label}: {secs * 1000:.0f} ms ({secs / base:.0f}× baseline){verdict}")


if __name__ == "__main__":
    main()
