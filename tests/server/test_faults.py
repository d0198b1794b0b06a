"""Faults against the real PostgreSQL and a real server process: concurrent pushers, the
server killed mid-batch, PostgreSQL restarted during a pull, a connection dropped
mid-page, duplicate and out-of-order pushes, clock skew, a member removed from a case."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
import uuid

import pytest
from exchange_helpers import case_id, new_case, response_id, start, visible
from server_helpers import enrol_for_server, sync_client
from sqlalchemy import func, select

from ddassess.domain.nhs import fictional_nhs_numbers
from ddassess.server import db
from ddassess.server.schema import items
from ddassess.services import care_team, case_changes
from ddassess.services import exchange as ex
from ddassess.sync import client as sync_client_module
from ddassess.sync import engine
from ddassess.sync.client import ServerUnavailable

pytestmark = pytest.mark.postgres


def shared_cases(team, catalogue, n: int, first: int = 0):
    alex, bea = team.members["alex"], team.members["bea"]
    out = []
    numbers = fictional_nhs_numbers(first + n, start=999_100_000)
    for i in range(first, first + n):
        cid, cuuid = new_case(alex.store, nhs=numbers[i], given=f"Fictional{i}", family="Person")
        r = start(alex.store, catalogue, cid, "risk", {"self_present": True, "self_history": f"history {i}"})
        care_team.share_case(alex.store, catalogue, cid, bea.me, basis="safeguarding",
                             reason="Fictional safeguarding concern")
        out.append((cid, cuuid, r))
    return out


def test_concurrent_pushers_never_let_a_reader_go_backwards_or_miss_an_item(database):
    """Sequence numbers are committed in order: a reader following its cursor while eight
    writers push at once receives every item exactly once, in increasing order."""
    engine_ = db.make_engine(database, pool_size=12)
    pushed: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def writer(w: int) -> None:
        for n in range(25):
            batch = [db.Item(f"{w}-{n}-{k}-{uuid.uuid4()}", "envelope", "t", "r", "d", ("key",), b"x" * 50)
                     for k in range(3)]
            db.push(engine_, batch)
            with lock:
                pushed.extend(i.item_id for i in batch)

    seen: list[int] = []
    ids_seen: list[bytes] = []

    def reader() -> None:
        since = 0
        while True:
            finished = done.is_set()
            page, _more = db.pull(engine_, ["key"], since=since, limit=7)
            for p in page:
                assert p.seq > since
                seen.append(p.seq)
                since = p.seq
            if finished and not page:
                return

    writers = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    r = threading.Thread(target=reader)
    r.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    r.join(120)
    assert not r.is_alive()
    assert len(pushed) == 8 * 25 * 3
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert len(seen) == len(pushed), "the reader missed items committed below its cursor"
    del ids_seen
    engine_.dispose()


def test_server_killed_mid_sync_then_retried_loses_nothing_and_doubles_nothing(serve, team, catalogue, database):
    server = serve()
    alex, bea = team.members["alex"], team.members["bea"]
    for lap in (alex, bea):
        enrol_for_server(team, lap)
    made = shared_cases(team, catalogue, 6)
    ca = sync_client(alex, server)
    batches: list[int] = []

    def kill_after_first(n: int, what: str) -> None:
        batches.append(n)
        if len(batches) == 1:
            server.kill()

    with pytest.raises(ServerUnavailable):
        engine.sync(alex.store, ca, push_items=4, catalogue=catalogue, progress=kill_after_first)
    server.start()
    ca.close()
    again = engine.sync(alex.store, sync_client(alex, server), push_items=4, catalogue=catalogue)
    assert again.refused == []
    got = engine.sync(bea.store, sync_client(bea, server), catalogue=catalogue)
    assert got.refused == [] and got.skipped == 0
    for _cid, cuuid, r in made:
        case_id(bea.store, cuuid)
        response_id(bea.store, r.uuid)
    assert visible(alex.store) == visible(bea.store)
    engine_ = db.make_engine(database, pool_size=1)
    with engine_.connect() as conn:
        envelopes = conn.execute(select(func.count()).select_from(items).where(items.c.kind == "envelope")).scalar()
    engine_.dispose()
    with alex.store.read() as s:
        from ddassess.store.records import EnvelopeRecord

        kept = s.scalar(select(func.count()).select_from(EnvelopeRecord))
    assert envelopes == kept  # each envelope once on the server, none lost


def test_a_push_killed_in_flight_is_kept_whole_or_not_at_all(serve, team, catalogue, database):
    server = serve()
    alex = team.members["alex"]
    enrol_for_server(team, alex)
    shared_cases(team, catalogue, 3)
    with alex.store.write() as s:
        ex.seal_pending(s, alex.store, ex.audiences(s))
    batch = [(k, d) for b in engine._outgoing(alex.store, engine.SyncReport(), 1000) for k, _i, d in b]
    c = sync_client(alex, server)
    errors: list[BaseException] = []

    def push() -> None:
        try:
            c.push(batch)
        except ServerUnavailable as e:
            errors.append(e)

    t = threading.Thread(target=push)
    t.start()
    time.sleep(0.05)
    server.kill()
    t.join(60)
    engine_ = db.make_engine(database, pool_size=1)
    with engine_.connect() as conn:
        held = conn.execute(select(func.count()).select_from(items)).scalar()
    engine_.dispose()
    assert held in (0, len(batch)), held


def test_postgresql_restarted_during_a_pull_and_the_sync_completes(serve, team, catalogue, postgres):
    server = serve()
    alex, bea = team.members["alex"], team.members["bea"]
    for lap in (alex, bea):
        enrol_for_server(team, lap)
    made = shared_cases(team, catalogue, 5)
    engine.sync(alex.store, sync_client(alex, server), catalogue=catalogue)
    pages: list[int] = []

    def restart_after_first_page(n: int, what: str) -> None:
        if what == "received":
            pages.append(n)
            if len(pages) == 1:
                postgres.restart()

    cb = sync_client(bea, server)
    try:
        first = engine.sync(bea.store, cb, page_size=2, catalogue=catalogue, progress=restart_after_first_page)
    except ServerUnavailable as e:  # the one request in flight while PostgreSQL came back: 503
        assert e.status == 503
        first = None
    # Whatever was applied stays; the next sync picks up from the stored cursor.
    rest = engine.sync(bea.store, cb, page_size=2, catalogue=catalogue)
    assert rest.refused == [] and (first is None or first.refused == [])
    for _cid, cuuid, r in made:
        case_id(bea.store, cuuid)
        response_id(bea.store, r.uuid)
    assert visible(alex.store) == visible(bea.store)


class CuttingProxy:
    """A TCP proxy that cuts the connection after ``cut`` bytes from the server (once)."""

    def __init__(self, port: int, cut: int) -> None:
        self.target, self.cut, self.cuts = port, cut, 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(conn,), daemon=True).start()

    def _pipe(self, conn: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target))
        budget = [self.cut if self.cuts == 0 else 1 << 40]
        self.cuts += 1

        def up() -> None:
            try:
                while data := conn.recv(65536):
                    upstream.sendall(data)
            except OSError:
                pass

        threading.Thread(target=up, daemon=True).start()
        try:
            while data := upstream.recv(65536):
                if len(data) >= budget[0]:
                    conn.sendall(data[:budget[0]])
                    break
                budget[0] -= len(data)
                conn.sendall(data)
        except OSError:
            pass
        for s in (conn, upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.sock.close()


def test_a_connection_dropped_mid_page_changes_nothing_and_the_next_sync_completes(serve, team, catalogue):
    server = serve()
    alex, bea = team.members["alex"], team.members["bea"]
    for lap in (alex, bea):
        enrol_for_server(team, lap)
    made = shared_cases(team, catalogue, 4)
    engine.sync(alex.store, sync_client(alex, server), catalogue=catalogue)
    before = visible(bea.store)
    ident = __import__("ddassess.sync.identity", fromlist=["tls_identity"]).tls_identity(bea.store)
    ctx = sync_client_module.tls_context(ident.authority_pem, ident.cert_pem, ident.key)
    # Roster requests first, then the page: cut the stream a few kilobytes into the first
    # connection's answers (the handshake and the roster pass, the page is cut short).
    proxy = CuttingProxy(server.port, cut=12000)
    through = sync_client_module.ServerClient(f"https://127.0.0.1:{proxy.port}", ctx)
    with pytest.raises(ServerUnavailable):
        engine.sync(bea.store, through, catalogue=catalogue)
    proxy.close()
    assert engine.cursor(bea.store) == 0
    assert visible(bea.store) == before  # nothing of the cut page was applied
    done = engine.sync(bea.store, sync_client(bea, server), catalogue=catalogue)
    assert done.refused == []
    for _cid, cuuid, _r in made:
        case_id(bea.store, cuuid)
    assert visible(alex.store) == visible(bea.store)


def test_duplicate_and_out_of_order_pushes_and_days_of_clock_skew_converge(serve, team, catalogue):
    server = serve()
    alex, bea = team.members["alex"], team.members["bea"]
    for lap in (alex, bea):
        enrol_for_server(team, lap)
    [(cid, cuuid, r)] = shared_cases(team, catalogue, 1)
    ca, cb = sync_client(alex, server), sync_client(bea, server)
    engine.sync(alex.store, ca, catalogue=catalogue)
    engine.sync(bea.store, cb, catalogue=catalogue)
    rb = response_id(bea.store, r.uuid)
    # Bea's laptop clock runs five days fast; Alex edits later in real time.
    skewed = dt.datetime.now(dt.UTC) + dt.timedelta(days=5)
    case_changes.save_draft(bea.store, rb, {"self_present": True, "self_history": "history 0",
                                            "self_triggers": "Fictional triggers"}, at=skewed)
    case_changes.save_draft(alex.store, r.id, {"self_present": True, "self_history": "history 0",
                                               "self_protective": "Fictional protective factors"})
    case_changes.save_draft(alex.store, r.id, {"self_present": True, "self_history": "history 0",
                                               "self_protective": "Fictional protective factors",
                                               "self_plan": "Fictional plan"})
    # Alex's two changes go up as two envelopes, pushed newest first, each twice.
    with alex.store.write() as s:
        ex.seal_pending(s, alex.store, ex.audiences(s))
    case_changes.save_draft(alex.store, r.id, {"self_present": True, "self_history": "history 0",
                                               "self_protective": "Fictional protective factors",
                                               "self_plan": "Fictional plan, revised"})
    with alex.store.write() as s:
        ex.seal_pending(s, alex.store, ex.audiences(s))
    batches = engine._outgoing(alex.store, engine.SyncReport(), 1000)
    flat = [(k, d) for b in batches for k, _i, d in b]
    wraps = [x for x in flat if x[0] == "wrap"]
    envs = [x for x in flat if x[0] == "envelope"]
    assert len(envs) >= 2
    ca.push(wraps + list(reversed(envs)))
    ca.push(wraps + envs)
    engine.sync(alex.store, ca, catalogue=catalogue)
    engine.sync(bea.store, cb, catalogue=catalogue)
    engine.sync(alex.store, ca, catalogue=catalogue)
    assert visible(alex.store) == visible(bea.store)
    answers = visible(alex.store)[r.uuid]["answers"]
    assert answers["self_triggers"] == "Fictional triggers" and answers["self_plan"] == "Fictional plan, revised"
    del cid, cuuid


def test_a_member_removed_from_a_case_gets_nothing_new_of_it(serve, team, catalogue, database):
    server = serve()
    alex, bea = team.members["alex"], team.members["bea"]
    for lap in (alex, bea):
        enrol_for_server(team, lap)
    [(cid, cuuid, r)] = shared_cases(team, catalogue, 1)
    ca, cb = sync_client(alex, server), sync_client(bea, server)
    engine.sync(alex.store, ca, catalogue=catalogue)
    engine.sync(bea.store, cb, catalogue=catalogue)
    care_team.remove_from_case(alex.store, cid, bea.me, "Fictional: no longer involved")
    case_changes.save_draft(alex.store, r.id, {"self_present": True, "self_history": "history 0",
                                               "self_plan": "Fictional plan after removal"})
    engine.sync(alex.store, ca, catalogue=catalogue)
    cursor = engine.cursor(bea.store)
    page = cb.pull(cursor)
    assert page.items == [], "the server offered a removed member something new of the case"
    engine.sync(bea.store, cb, catalogue=catalogue)
    assert "self_plan" not in visible(bea.store)[r.uuid]["answers"]
    del cuuid


def test_a_server_restored_from_an_older_backup_loses_nothing(serve, team, catalogue, postgres, database):
    """The restored database counts from an older number and lacks later pushes: after
    ``ddassess-server restored`` every laptop pushes again and pulls from the start."""
    server = serve()
    alex, bea = team.members["alex"], team.members["bea"]
    for lap in (alex, bea):
        enrol_for_server(team, lap)
    ca, cb = sync_client(alex, server), sync_client(bea, server)
    first = shared_cases(team, catalogue, 1)
    engine.sync(alex.store, ca, catalogue=catalogue)
    engine.sync(bea.store, cb, catalogue=catalogue)
    name = database.rsplit("/", 1)[1]
    backup = postgres.dump(name)
    [(cid2, cuuid2, r2)] = shared_cases(team, catalogue, 1, first=1)
    engine.sync(alex.store, ca, catalogue=catalogue)
    engine.sync(bea.store, cb, catalogue=catalogue)
    server.stop()
    postgres.restore(name, backup)
    engine_ = db.make_engine(database, pool_size=1)
    db.new_generation(engine_)
    engine_.dispose()
    server.start()
    ca.close()
    cb.close()
    # After the restore Alex edits the second case; Bea, far ahead of the restored counter, still gets it.
    case_changes.save_draft(alex.store, r2.id, {"self_present": True, "self_history": "history 1",
                                                "self_plan": "Fictional plan after the restore"})
    again = engine.sync(alex.store, ca, catalogue=catalogue)
    assert again.server_restored and again.pushed > 0
    got = engine.sync(bea.store, cb, catalogue=catalogue)
    assert got.server_restored and got.refused == []
    assert visible(bea.store)[r2.uuid]["answers"]["self_plan"] == "Fictional plan after the restore"
    assert visible(alex.store) == visible(bea.store)
    del first, cid2, cuuid2
