"""Team server benchmark (issue 15), loopback only, every figure beside a baseline of the same run.

    python tests/benchmarks/bench_server.py [--quick] [--devices 200] [--envelopes 50]
        [--concurrency 4,16,64] [--sizes 10000,100000,1000000] [--send 500] [--receive 2000]

Everything real: a PostgreSQL cluster of the run's own (tests/support/pg_cluster.py), the
server as ``ddassess-server serve`` with 2 worker processes over HTTPS with mutual TLS
(``ServerProcess`` in tests/support/server_helpers.py), the laptops' own client (``sync.client``).

1. **Load**: ``--devices`` simulated laptops, each in the team roster with its own signing
   and encryption keys and its own TLS client certificate from the team authority (the TLS
   key pair is shared to keep set-up quick; each request authenticates as its device). Each
   device syncs ``--envelopes`` times: it pushes one envelope (made with the real envelope
   code, signed with its key, of a size drawn from the real envelopes of part 3's laptops),
   then pulls what is new since its cursor (its own and a colleague's envelopes). At each
   concurrency N of ``--concurrency``, N client processes run the devices side by side, so N
   requests are in flight at once; each device keeps its connection alive (one handshake).
   Reported: throughput and p50/p95 per request kind as the laptop sees it (target p95 ≤
   100 ms) and as the server logged it (request in to answer out). Baseline:
   ``GET /health`` on a kept-alive connection with nothing else running.
2. **Pull since N** (before part 1, so the smallest size is mostly these rows): the store
   grown to each of ``--sizes`` items (set-based inserts, 10 devices' keys), a device pulls
   a page of 500 and a page of 10 through HTTPS. The cost against the smallest size is the
   ratio printed (it should stay flat: the query reads the
   (key_id, seq) index, and ``EXPLAIN ANALYZE`` at the largest size shows it).
3. **Catch-up end to end** (run first, in the team of 3 laptops before the simulated devices
   join): two real laptops (SQLCipher stores) in a team with shared cases.
   Bea made ``--receive`` changes, synced as she went; Alex, away five days, made ``--send``.
   Timed: ``sync.engine.sync`` of Alex's store through the server, from a new connection
   until both directions are done and applied. Target ≤ 3 s. Baseline: the same sync again
   with nothing to move. Then, once the simulated devices joined the roster, a sync with
   nothing to move again: what a large team's roster costs every sync.

The load average is printed beside each figure: the machine may be shared.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import secrets
import ssl
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parents[1] / "support")]

from exchange_helpers import new_case, start  # noqa: E402
from pg_cluster import Cluster  # noqa: E402
from server_helpers import ServerProcess, Team, enrol_for_server, make_team, sync_client  # noqa: E402
from sqlalchemy import Engine, select, text  # noqa: E402
from team_helpers import CA_PASSPHRASE  # noqa: E402

from ddassess.domain.nhs import fictional_nhs_numbers  # noqa: E402
from ddassess.exchange import devicetls, envelope, keys, membership  # noqa: E402
from ddassess.pdf import certs  # noqa: E402
from ddassess.server import db  # noqa: E402
from ddassess.services import care_team, case_changes, signing  # noqa: E402
from ddassess.services import team as team_service  # noqa: E402
from ddassess.store.records import CaseRecord, EnvelopeRecord  # noqa: E402
from ddassess.sync import client as sync_client_module  # noqa: E402
from ddassess.sync import engine as sync_engine  # noqa: E402

ROOT = HERE.parents[2]
BULK_KEYS = 10
PAGE = 500


def load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# --- the simulated devices ------------------------------------------------------------------


@dataclass
class SimDevice:
    practitioner: str
    device: str
    signing: keys.ec.EllipticCurvePrivateKey
    signing_id: str
    encryption_id: str
    context: ssl.SSLContext


def make_devices(team: Team, n: int) -> tuple[list[SimDevice], list[dict[str, Any]]]:
    """``n`` devices: their roster entries and TLS contexts (certificates of the team authority)."""
    ca = signing.team_authority(team.lead.store, CA_PASSPHRASE)
    authority_pem = certs.cert_pem(ca.certificate)
    tls_key = keys.new_private_key()  # shared: each device's certificate names the device
    devices, entries = [], []
    for d in range(n):
        practitioner, device = str(uuid.uuid4()), str(uuid.uuid4())
        made = {p: keys.new_private_key() for p in ("signing", "encryption")}
        name = f"Simulated Fictional Worker {d}"
        issued = {p: membership.issue(ca, k.public_key(), p, name=name, role="Fictional role",
                                      agency="Fictional Bench Service", practitioner=practitioner)
                  for p, k in made.items()}
        entries.append({"practitioner": practitioner, "name": name, "role": "Fictional role",
                        "agency": "Fictional Bench Service", "device": device,
                        "signing": certs.cert_pem(issued["signing"]).decode("ascii"),
                        "encryption": certs.cert_pem(issued["encryption"]).decode("ascii"),
                        "admitted_at": membership.now_text(), "revoked_at": None, "reason": ""})
        tls_cert = devicetls.issue_device_certificate(ca, tls_key.public_key(), practitioner=practitioner,
                                                      device=device)
        context = sync_client_module.tls_context(authority_pem, certs.cert_pem(tls_cert), tls_key)
        devices.append(SimDevice(practitioner, device, made["signing"], keys.key_id(made["signing"].public_key()),
                                 keys.key_id(made["encryption"].public_key()), context))
    return devices, entries


def roster_with(team: Team, entries: list[dict[str, Any]]) -> tuple[str, int, bytes]:
    """The lead's roster with ``entries`` added, signed by the team authority (a new version)."""
    ca = signing.team_authority(team.lead.store, CA_PASSPHRASE)
    with team.lead.store.read() as s:
        _device, held = membership.need_team(s)
        doc = membership.roster_document(s, held.team)
    assert doc is not None
    body = dict(doc.body)
    body.update(version=int(body["version"]) + 1, issued_at=membership.now_text(),
                members=[*body["members"], *entries])
    assert isinstance(ca.key, keys.ec.EllipticCurvePrivateKey)
    data = membership.make_document(membership.ROSTER, body, {"authority": ca.key})
    team_service.import_roster(team.lead.store, data)
    return str(body["team"]), int(body["version"]), data


def sim_envelope(dev: SimDevice, team: str, recipients: list[str], size: int) -> bytes:
    """An envelope as a laptop seals it (``envelope.encode``), of a real envelope's payload size."""
    envelope_id = str(uuid.uuid4())
    header = {"id": envelope_id, "team": team, "routing": secrets.token_hex(16), "key": secrets.token_hex(16),
              "epoch": 1, "device": dev.device, "sender": dev.practitioner, "signer": dev.signing_id,
              "recipients": sorted(recipients), "nonce": secrets.token_bytes(12).hex(), "size": size}
    return envelope.encode(header, {"case": str(uuid.uuid4()), "id": envelope_id}, os.urandom(size),
                           secrets.token_bytes(32), dev.signing)


# --- part 1: load ----------------------------------------------------------------------------

# Set by the parent before it forks the client processes (they inherit them).
_DEVICES: list[SimDevice] = []
_ENVELOPES: list[list[bytes]] = []
_URL = ""
_SINCE = 0


def _client_process(args: tuple[int, int]) -> list[tuple[str, float]]:
    """One client process: its share of the devices, one after another, each syncing in turn."""
    me, of = args
    out: list[tuple[str, float]] = []
    for d in range(me, len(_DEVICES), of):
        client = sync_client_module.ServerClient(_URL, _DEVICES[d].context)
        since = _SINCE
        for data in _ENVELOPES[d]:
            t = time.perf_counter()
            answer = client.push([("envelope", data)])
            out.append(("push", time.perf_counter() - t))
            assert answer["stored"] == 1, answer
            t = time.perf_counter()
            page = client.pull(since, PAGE)
            out.append(("pull", time.perf_counter() - t))
            since = page.next
        client.close()
    return out


def health_baseline(url: str, dev: SimDevice, n: int = 50) -> float:
    client = sync_client_module.ServerClient(url, dev.context)
    client.health()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        client.health()
        times.append(time.perf_counter() - t)
    client.close()
    return statistics.median(times)


def server_times(server: ServerProcess, skip: int) -> dict[str, list[float]]:
    """The server's own timings of the pushes and pulls it logged after its first ``skip`` events."""
    out: dict[str, list[float]] = {"push": [], "pull": []}
    for e in server.events()[skip:]:
        if e.get("event") == "request" and e.get("path") == "/v1/envelopes":
            out["push" if e.get("method") == "POST" else "pull"].append(float(str(e["ms"])) / 1000)
    return out


def bench_load(engine: Engine, server: ServerProcess, devices: list[SimDevice], team: str, sizes: list[int],
               envelopes: int, concurrency: list[int]) -> list[str]:
    global _ENVELOPES, _URL, _SINCE
    url = server.url
    _DEVICES[:] = devices
    _URL = url
    base = health_baseline(url, devices[0])
    lines = [f"baseline: GET /health on a kept-alive connection, idle: median {ms(base)}"]
    rng = random.Random(15)
    for n in concurrency:
        _ENVELOPES = [[sim_envelope(dev, team, [dev.encryption_id, devices[(d + 1) % len(devices)].encryption_id],
                                    rng.choice(sizes)) for _ in range(envelopes)] for d, dev in enumerate(devices)]
        _SINCE = db.last_seq(engine)
        logged = len(server.events())
        started = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(n) as pool:
            results = [r for part in pool.map(_client_process, [(i, n) for i in range(n)]) for r in part]
        took = time.perf_counter() - started
        when = load()
        assert len(results) == 2 * len(devices) * envelopes
        line = [f"load at concurrency {n:>3} ({len(devices)} devices, {n} client processes, {n} requests in "
                f"flight): {len(results)} requests in {took:.1f} s = {len(results) / took:.0f}/s;"]
        for kind in ("push", "pull"):
            times = [s for k, s in results if k == kind]
            p95 = pct(times, 0.95)
            inside = server_times(server, logged)[kind]
            line.append(f"  {kind}: p50 {ms(statistics.median(times))}, p95 {ms(p95)} "
                        f"(x{p95 / base:.0f} of /health; {'met' if p95 <= 0.1 else 'MISSED'}: p95 <= 100 ms); "
                        f"inside the server p50 {ms(statistics.median(inside))}, p95 {ms(pct(inside, 0.95))}")
        line.append(f"  ({when})")
        lines.append("\n".join(line))
        print(lines[-1], flush=True)
    return lines


# --- part 2: pull since N --------------------------------------------------------------------


def bulk_fill(engine: Engine, n: int, key_ids: list[str]) -> None:
    """Grow the store to ``n`` items, each for one of ``key_ids`` in turn (set-based, fast)."""
    with engine.begin() as conn:
        last = conn.execute(text("SELECT last FROM sequence_counter WHERE id = 1 FOR UPDATE")).scalar_one()
        if n <= last:
            return
        conn.execute(text(
            "INSERT INTO items (seq, item_id, kind, team, routing, device, size, data) "
            "SELECT g, 'bulk-' || g, 'envelope', 'team', 'routing', 'device', 1024, "
            "decode(repeat('ab', 1024), 'hex') FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) g"),
            {"a": last + 1, "b": n})
        conn.execute(text("INSERT INTO item_recipients (key_id, seq) SELECT (CAST(:keys AS text[]))[g % :k + 1], g "
                          "FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) g"),
                     {"a": last + 1, "b": n, "k": len(key_ids), "keys": key_ids})
        conn.execute(text("UPDATE sequence_counter SET last = :b WHERE id = 1"), {"b": n})
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))


def bench_pull_since(engine: Engine, url: str, devices: list[SimDevice], sizes: list[int]) -> list[str]:
    readers = devices[:BULK_KEYS]  # fewer in a toy run
    keys_ = [d.encryption_id for d in readers]
    lines, base = [], {}
    client = sync_client_module.ServerClient(url, readers[0].context)
    client.health()
    for n in sizes:
        bulk_fill(engine, n, keys_)
        last = db.last_seq(engine)
        for returned in (PAGE, 10):
            since = max(0, last - returned * len(readers))
            times, got = [], 0
            for _ in range(15):
                t = time.perf_counter()
                page = client.pull(since, PAGE)
                times.append(time.perf_counter() - t)
                got = len(page.items)
            med = statistics.median(times)
            base.setdefault(returned, med)
            lines.append(f"pull since N through HTTPS, {n:>9,} stored, {got:>3} returned: median {ms(med)}, "
                         f"p95 {ms(pct(times, 0.95))}, x{med / base[returned]:.2f} of the {sizes[0]:,} baseline "
                         f"({load()})")
            print(lines[-1], flush=True)
    client.close()
    with engine.connect() as conn:
        since = max(0, db.last_seq(engine) - PAGE * len(readers))
        plan = conn.execute(text("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + db.PULL.text),
                            {"keys": keys_[:1], "since": since, "limit": PAGE}).scalars().all()
    lines.append(f"plan of the pull at {sizes[-1]:,} stored (the (key_id, seq) primary key index):\n  "
                 + "\n  ".join(plan))
    print(lines[-1], flush=True)
    return lines


# --- part 3: catch-up end to end -------------------------------------------------------------



def prepare_catch_up(team: Team, server: ServerProcess, catalogue: Any, send: int, receive: int,
                     cases: int) -> list[int]:
    """``cases`` shared cases; Bea's ``receive`` changes on the server (synced as she went); Alex's
    ``send`` changes made while away. The payload sizes of the real envelopes, for part 1."""
    alex, bea = team.members["alex"], team.members["bea"]
    for lap in (alex, bea):
        enrol_for_server(team, lap)
    ca, cb = sync_client(alex, server), sync_client(bea, server)
    mine, theirs = [], []
    numbers = fictional_nhs_numbers(cases, start=999_200_000)
    for i in range(cases):
        cid, _cuuid = new_case(alex.store, nhs=numbers[i], given=f"Fictional{i}", family="Benchperson")
        mine.append(start(alex.store, catalogue, cid, "risk", {"self_present": True, "self_history": "start"}).id)
        care_team.share_case(alex.store, catalogue, cid, bea.me, basis="safeguarding",
                             reason="Fictional safeguarding concern, authorised by a fictional lead")
    sync_engine.sync(alex.store, ca, catalogue=catalogue)
    sync_engine.sync(bea.store, cb, catalogue=catalogue)
    with bea.store.read() as s:
        bea_cases = list(s.scalars(select(CaseRecord.id).order_by(CaseRecord.id)))
    for cid in bea_cases:
        theirs.append(start(bea.store, catalogue, cid, "risk", {"self_present": True, "self_history": "b"}).id)
    sync_engine.sync(bea.store, cb, catalogue=catalogue)
    sync_engine.sync(alex.store, ca, catalogue=catalogue)  # in step before leaving
    t = time.perf_counter()
    for n in range(receive):  # Bea works and syncs every 100 changes
        case_changes.save_draft(bea.store, theirs[n % len(theirs)],
                                {"self_present": True, "self_history": f"Fictional history, version {n}"})
        if n % 100 == 99:
            sync_engine.sync(bea.store, cb, catalogue=catalogue)
    sync_engine.sync(bea.store, cb, catalogue=catalogue)
    for n in range(send):
        case_changes.save_draft(alex.store, mine[n % len(mine)],
                                {"self_present": True, "self_history": f"Fictional away history, version {n}"})
    print(f"set-up: {receive} + {send} changes made through the services in {time.perf_counter() - t:.0f} s",
          flush=True)
    ca.close()
    cb.close()
    with bea.store.read() as s:
        return [envelope.parse(data).header.size for data in s.scalars(select(EnvelopeRecord.data))]


def bench_catch_up(team: Team, server: ServerProcess, catalogue: Any, send: int, receive: int) -> list[str]:
    alex = team.members["alex"]
    client = sync_client(alex, server)
    t = time.perf_counter()
    report = sync_engine.sync(alex.store, client, catalogue=catalogue)
    took = time.perf_counter() - t
    when = load()
    client.close()
    assert report.refused == [] and report.sealed >= send and report.applied >= receive, report
    client = sync_client(alex, server)
    t = time.perf_counter()
    again = sync_engine.sync(alex.store, client, catalogue=catalogue)
    idle = time.perf_counter() - t
    client.close()
    assert (again.pushed, again.applied) == (0, 0), again
    line = (f"catch-up end to end: Alex's {report.sealed} changes sent ({report.pushed} items pushed), "
            f"{report.applied} of Bea's changes received and applied ({report.pulled} items, {report.pages} pages): "
            f"{took:.2f} s, x{took / idle:.1f} of a sync with nothing to move ({ms(idle)}) "
            f"({'met' if took <= 3 else 'MISSED'}: in step within 3 s) ({when})")
    print(line, flush=True)
    return [line]


def bench_roster_sync(team: Team, server: ServerProcess, catalogue: Any, devices: int) -> list[str]:
    """A sync with nothing to move once the team has ``devices`` more laptops: the roster
    travels and is verified on every sync (the first adopts it)."""
    alex = team.members["alex"]
    times = []
    for _ in range(3):
        client = sync_client(alex, server)
        t = time.perf_counter()
        sync_engine.sync(alex.store, client, catalogue=catalogue)
        times.append(time.perf_counter() - t)
        client.close()
    line = (f"a sync with nothing to move, team of {devices + 3} laptops: first (adopts the roster) "
            f"{times[0]:.2f} s, then {ms(times[1])}, {ms(times[2])} ({load()})")
    print(line, flush=True)
    return [line]


# --- the run -----------------------------------------------------------------------------------


def run(cluster: Cluster, root: Path, *, devices: int, envelopes: int, concurrency: list[int], sizes: list[int],
        send: int, receive: int, cases: int = 20, workers: int = 2) -> list[str]:
    """The three parts against ``cluster``; the lines of the report."""
    from ddassess.formengine import load_catalogue

    catalogue = load_catalogue(ROOT / "forms")
    url = cluster.fresh_database("bench_" + uuid.uuid4().hex[:8])
    engine = db.make_engine(url, pool_size=2)
    db.init_db(engine)
    team = make_team(root / "team")
    try:
        server = ServerProcess(root, url, team, workers=workers)
        try:
            t = time.perf_counter()
            payload_sizes = prepare_catch_up(team, server, catalogue, send, receive, cases)
            lines = [f"real envelopes' payloads: {len(payload_sizes)} envelopes, median "
                     f"{statistics.median(payload_sizes):.0f} B, largest {max(payload_sizes)} B"]
            print("\n".join(lines), flush=True)
            lines += bench_catch_up(team, server, catalogue, send, receive)
            t = time.perf_counter()
            sims, entries = make_devices(team, devices)
            team_id, version, document = roster_with(team, entries)
            db.keep_roster(engine, team_id, version, document.decode("utf-8"))
            lines.append(f"set-up: {devices} devices with their own certificates, roster v{version} "
                         f"({len(document) // 1024} kB), in {time.perf_counter() - t:.1f} s")
            print(lines[-1], flush=True)
            lines += bench_roster_sync(team, server, catalogue, devices)
            lines += bench_pull_since(engine, server.url, sims, sizes)
            lines += bench_load(engine, server, sims, team_id, payload_sizes, envelopes, concurrency)
        finally:
            server.stop()
    finally:
        for lap in [team.lead, *team.members.values()]:
            lap.store.close()
        engine.dispose()
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a smaller run (about a minute or two)")
    ap.add_argument("--devices", type=int)
    ap.add_argument("--envelopes", type=int)
    ap.add_argument("--concurrency")
    ap.add_argument("--sizes")
    ap.add_argument("--send", type=int)
    ap.add_argument("--receive", type=int)
    args = ap.parse_args()
    quick = {"devices": 50, "envelopes": 10, "concurrency": "8,32", "sizes": "10000,100000", "send": 500,
             "receive": 2000}
    full = {"devices": 200, "envelopes": 50, "concurrency": "4,16,64", "sizes": "10000,100000,1000000",
            "send": 500, "receive": 2000}
    chosen = {k: getattr(args, k) if getattr(args, k) is not None else (quick if args.quick else full)[k]
              for k in full}
    print(f"bench_server: {chosen} ({load()}; {os.cpu_count()} CPUs)", flush=True)
    cluster = Cluster()
    try:
        with tempfile.TemporaryDirectory(prefix="ddassess-bench-server-") as folder:
            run(cluster, Path(folder), devices=chosen["devices"], envelopes=chosen["envelopes"],
                concurrency=[int(c) for c in str(chosen["concurrency"]).split(",")],
                sizes=[int(s) for s in str(chosen["sizes"]).split(",")], send=chosen["send"],
                receive=chosen["receive"])
    finally:
        cluster.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
