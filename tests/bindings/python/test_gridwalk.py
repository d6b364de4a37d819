"""The generated Python bindings against the real library and a real server on loopback:
the same scenarios as the Kotlin tests. Run by scripts/bindings-test."""

import asyncio
import hashlib
import os
import pathlib
import sqlite3
import sys
import tempfile
import threading
import time
import unittest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, os.environ.get("GRIDWALK_PY_BINDINGS", str(HERE.parents[2] / "target" / "bindings" / "python")))
sys.path.insert(0, str(HERE.parent))

import gridwalk_ffi as gw  # noqa: E402
from server import PASSWORD, TestServer  # noqa: E402

PHOTOS = HERE.parents[3] / "shared" / "data" / "photos"


def now_ms():
    return int(time.time() * 1000)


def address(room):
    return gw.Address(community="C01", grid="C01-G01", compound="Q1", building="B1", unit="1", room=room)


def resident(name, id_number=None, phone=None):
    return gw.NewResident(name=name, id_number=id_number, phone=phone, relation="head",
                          registration="local", tags=[])


def household(room, residents=()):
    return gw.NewHousehold(address=address(room), house_use="owner_occupied", notes="",
                           residents=list(residents))


class Recorder(gw.ChangeListener):
    def __init__(self):
        self.events = []
        self.changed = threading.Event()

    def on_change(self, record_ids, merged):
        self.events.append((list(record_ids), merged))
        self.changed.set()


class Throwing(gw.ChangeListener):
    """A listener whose code has a bug: it raises on every change."""

    def __init__(self):
        self.calls = 0

    def on_change(self, record_ids, merged):
        self.calls += 1
        raise RuntimeError("a bug in the app's listener")


class Progress(gw.SyncProgressListener):
    def __init__(self):
        self.seen = []

    def on_progress(self, progress):
        self.seen.append(progress)


class Logs(gw.Logger):
    def __init__(self):
        self.lines = []

    def log(self, level, target, message):
        self.lines.append((level, target, message))


LOGS = Logs()
gw.set_logger(LOGS)


class BindingsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = TestServer()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def store(self, name):
        # Every store of these tests is encrypted, as the apps open theirs.
        return gw.GridwalkStore.open_encrypted(os.path.join(self.tmp.name, f"{name}.db"), os.urandom(32))

    def test_an_encrypted_store_is_unreadable_without_its_key_and_photos_are_not_jpegs(self):
        path = os.path.join(self.tmp.name, "enc.db")
        key = os.urandom(32)
        store = gw.GridwalkStore.open_encrypted(path, key)
        self.assertTrue(store.is_encrypted())
        actor = gw.Actor(user_id="worker.a", role=gw.Role.GRID_WORKER, company=None)
        hid = store.create_household(actor, household("501", [resident("张三", "110101198503070013", None)]), now_ms())
        photo = store.import_photo(hid, str(PHOTOS / "landscape_0.jpg"), None, None)
        with open(store.photo_path(photo.full), "rb") as f:
            self.assertNotEqual(f.read(2), b"\xff\xd8", "the photo file is a JPEG")
        jpeg = store.photo_bytes(photo.full)
        self.assertEqual(jpeg[:3], b"\xff\xd8\xff")
        self.assertEqual(hashlib.sha256(jpeg).hexdigest(), photo.full)
        del store
        # Plain SQLite (Python's own sqlite3) cannot read it.
        with self.assertRaises(sqlite3.DatabaseError) as caught:
            sqlite3.connect(path).execute("SELECT count(*) FROM sqlite_master").fetchone()
        self.assertIn("file is not a database", str(caught.exception))
        with self.assertRaises(gw.GridwalkError.StoreKey) as caught:
            gw.GridwalkStore.open_encrypted(path, os.urandom(32))
        self.assertEqual(caught.exception.code, "store.wrong_key")
        with self.assertRaises(gw.GridwalkError.StoreKey) as caught:
            gw.GridwalkStore.open_encrypted(path, b"short")
        self.assertEqual(caught.exception.code, "store.key_invalid")
        # Rotation: the new key opens it, the old one no longer does.
        store = gw.GridwalkStore.open_encrypted(path, key)
        new = os.urandom(32)
        store.rekey(new)
        del store
        with self.assertRaises(gw.GridwalkError.StoreKey):
            gw.GridwalkStore.open_encrypted(path, key)
        self.assertEqual(gw.GridwalkStore.open_encrypted(path, new).household(hid).address.room, "501")

    def sign_in(self, store, user):
        session = gw.SyncSession(self.server.url, None)
        signed = asyncio.run(session.login(user, PASSWORD, store.device_id()))
        return session, signed.actor

    def test_households_are_created_listed_and_found(self):
        store = self.store("a")
        actor = gw.Actor(user_id="worker.a", role=gw.Role.GRID_WORKER, company=None)
        hid = store.create_household(actor, household("301", [resident("张三", "110101198503070013", "+86 138-0013-8000")]), now_ms())
        store.create_household(actor, household("302"), now_ms())
        page = store.list_households(gw.HouseholdScope.BUILDING(building="B1"), 0, 50)
        self.assertEqual(page.household_count, 2)
        self.assertEqual([h.room for h in page.households], ["301", "302"])
        unit = store.list_households(gw.HouseholdScope.UNIT(building="B1", unit="1"), 0, 50)
        self.assertEqual(unit.household_count, 2)
        hits = store.search_residents("zs", 10)
        self.assertEqual([h.name for h in hits], ["张三"])
        self.assertEqual(hits[0].id_number_masked, "110101********0013")
        detail = store.household(hid)
        self.assertEqual(detail.residents[0].phone_masked, "138****8000")

    def test_residents_are_edited_tagged_and_moved_out(self):
        store = self.store("a")
        actor = gw.Actor(user_id="worker.a", role=gw.Role.GRID_WORKER, company=None)
        hid = store.create_household(actor, household("305", [resident("王五", "11010519491231002X")]), now_ms())
        rid = store.household(hid).residents[0].id
        store.update_resident(actor, hid, rid, gw.ResidentPatch(name=None, id_number=None, phone="139 1234 5678", relation=None, registration=None), now_ms())
        store.tag_resident(actor, hid, rid, "elderly_alone", True, now_ms())
        store.move_out_resident(actor, hid, rid, now_ms())
        r = store.household(hid).residents[0]
        self.assertEqual((r.phone_masked, r.tags, r.moved_out), ("139****5678", ["elderly_alone"], True))
        with self.assertRaises(gw.GridwalkError.InvalidPhone):
            store.update_resident(actor, hid, rid, gw.ResidentPatch(name=None, id_number=None, phone="12345", relation=None, registration=None), now_ms())

    def test_a_bad_id_number_is_a_typed_exception(self):
        store = self.store("a")
        actor = gw.Actor(user_id="worker.a", role=gw.Role.GRID_WORKER, company=None)
        with self.assertRaises(gw.GridwalkError.InvalidIdNumber) as caught:
            store.create_household(actor, household("303", [resident("李四", "110105194912310021")]), now_ms())
        self.assertEqual(caught.exception.code, "id_number.check_digit")
        self.assertEqual(caught.exception.params["expected"], "X")
        self.assertIn("校验位", caught.exception.reason)
        self.assertIn("check digit", gw.render_message(caught.exception.code, caught.exception.params, gw.Language.EN))
        with self.assertRaises(gw.GridwalkError.NotFound):
            store.household("no-such-household")

    def test_a_photo_is_imported_upright_and_heic_is_refused(self):
        store = self.store("a")
        actor = gw.Actor(user_id="worker.a", role=gw.Role.GRID_WORKER, company=None)
        hid = store.create_household(actor, household("304"), now_ms())
        here = gw.Location(lat=39.9087, lon=116.3975)
        photo = store.import_photo(hid, str(PHOTOS / "portrait_6.jpg"), now_ms(), here)
        self.assertEqual((photo.width, photo.height), (1067, 1600))
        self.assertTrue(os.path.exists(store.photo_path(photo.full)))
        store.record_visit(actor, hid, gw.NewVisit(at=now_ms(), purpose="routine", notes="楼道堆物", location=here, photos=[photo]), now_ms())
        kept = store.household(hid).visits[0].photos[0]
        self.assertEqual(kept.full, photo.full)
        self.assertEqual(kept.location, here, "the place the app gave is in the record")
        with self.assertRaises(gw.GridwalkError.BadPhoto) as caught:
            store.import_photo(hid, str(PHOTOS / "phone_iphone13.heic"), None, None)
        self.assertEqual(caught.exception.code, "photo.unsupported_format")
        self.assertIn("HEIC", caught.exception.reason)

    def test_two_devices_sync_and_the_second_hears_the_first(self):
        a, b = self.store("a"), self.store("b")
        session_a, actor_a = self.sign_in(a, "worker.a")
        session_b, actor_b = self.sign_in(b, "worker.b")
        hid = a.create_household(actor_a, household("401"), now_ms())
        progress = Progress()
        report = asyncio.run(session_a.sync(a, progress))
        self.assertEqual(report.pending, 0)
        self.assertGreaterEqual(report.progress.records_up, 1)
        self.assertTrue(progress.seen, "progress reported")
        asyncio.run(session_b.sync(b, None))
        self.assertEqual(b.household(hid).address.room, "401")

        recorder = Recorder()
        handle = b.subscribe(recorder)
        a.set_notes(actor_a, hid, "A 的备注", now_ms())
        asyncio.run(session_a.sync(a, None))
        asyncio.run(session_b.sync(b, None))
        self.assertTrue(recorder.changed.wait(5))
        self.assertIn(([hid], True), recorder.events, "a merged change of the household")
        self.assertEqual(b.household(hid).notes, "A 的备注")
        handle.cancel()
        count = len(recorder.events)
        b.set_notes(actor_b, hid, "B", now_ms())
        self.assertEqual(len(recorder.events), count, "a cancelled listener hears nothing")

    def test_a_listener_that_raises_never_fails_a_write_or_a_sync(self):
        a, b = self.store("throw-a"), self.store("throw-b")
        session_a, actor_a = self.sign_in(a, "worker.a")
        session_b, _ = self.sign_in(b, "worker.b")
        throwing, after = Throwing(), Recorder()
        handles = [a.subscribe(throwing), a.subscribe(after), b.subscribe(Throwing())]
        hid = a.create_household(actor_a, household("411"), now_ms())
        a.set_notes(actor_a, hid, "写入不受影响", now_ms())
        self.assertEqual(throwing.calls, 2, "the raising listener was called for each write")
        self.assertEqual(len(after.events), 2, "the listener after it still heard both")
        self.assertEqual(a.household(hid).notes, "写入不受影响", "both writes stand")
        # A sync whose merge calls a raising listener still completes and stores what it pulled.
        self.assertEqual(asyncio.run(session_a.sync(a, None)).pending, 0)
        asyncio.run(session_b.sync(b, None))
        self.assertEqual(b.household(hid).notes, "写入不受影响")
        for h in handles:
            h.cancel()

    def test_an_order_goes_through_its_lifecycle_and_refuses_what_it_must(self):
        store = self.store("orders")
        inspector = gw.Actor(user_id="zhao", role=gw.Role.INSPECTOR, company=None)
        company = gw.Actor(user_id="liu", role=gw.Role.COMPANY_STAFF, company="P01")
        hid = store.create_household(gw.Actor(user_id="w", role=gw.Role.GRID_WORKER, company=None), household("601"), now_ms())
        photo = store.import_photo(hid, str(PHOTOS / "landscape_3.jpg"), None, None)
        item = gw.NewOrderItem(description="消防通道堆物", severity=gw.Severity.CRITICAL, before_photos=[photo])
        oid = store.create_order(inspector, gw.NewOrder(title="整改", compound="Q1", company="P01",
                                                          deadline=now_ms() + 86_400_000, items=[item]), now_ms())
        store.act_on_order(inspector, oid, gw.OrderAction.ISSUE(), now_ms())
        with self.assertRaises(gw.GridwalkError.Refused) as caught:
            store.act_on_order(company, oid, gw.OrderAction.VERIFY(), now_ms())
        self.assertEqual(caught.exception.code, "order.inspector_only")
        self.assertIn("督查员", caught.exception.reason)
        store.act_on_order(company, oid, gw.OrderAction.ACKNOWLEDGE(), now_ms())
        store.act_on_order(company, oid, gw.OrderAction.ANSWER(items=["item-1"], note="已清理", photos=[photo]), now_ms())
        self.assertEqual([t.kind for t in store.my_todos(inspector)], ["verify_order"])
        store.act_on_order(inspector, oid, gw.OrderAction.VERIFY(), now_ms())
        detail = store.order(oid, now_ms())
        self.assertEqual(detail.status, gw.OrderStatus.VERIFIED)
        self.assertEqual((detail.company, detail.overdue, detail.items[0].severity),
                         ("P01", False, gw.Severity.CRITICAL))
        self.assertEqual([h.kind for h in detail.history], ["issue", "acknowledge", "answer", "verify"])
        self.assertEqual(detail.history[2].photos[0].full, photo.full, "the after-photo is in the history")
        verified = store.list_orders(inspector, gw.OrderFilter.STATUS(status=gw.OrderStatus.VERIFIED), now_ms(), 10)
        self.assertEqual([o.id for o in verified], [oid])
        rating = store.company_ratings(now_ms())[0]
        self.assertEqual((rating.company, rating.orders, rating.on_time_rate, rating.overdue, rating.color),
                         ("P01", 1, 1.0, 0, gw.RatingColor.GREEN), "answered on time, verified: green")

    def test_a_report_is_escalated_and_a_visit_sent_back(self):
        store = self.store("reports")
        worker = gw.Actor(user_id="w", role=gw.Role.GRID_WORKER, company=None)
        inspector = gw.Actor(user_id="zhao", role=gw.Role.INSPECTOR, company=None)
        supervisor = gw.Actor(user_id="s", role=gw.Role.SUPERVISOR, company=None)
        here = gw.Location(lat=39.9, lon=116.4)
        rid = store.create_report(worker, gw.NewReport(category="fire_safety", description="消防通道堆物", grid="C01-G01",
                                                        compound="Q1", location=here, photos=[]), now_ms())
        self.assertEqual(store.report(rid).location, here)
        listed = store.list_reports(gw.ReportFilter.CATEGORY(category="fire_safety"), 10)
        self.assertEqual([(r.id, r.status) for r in listed], [(rid, gw.ReportStatus.REPORTED)])
        item = gw.NewOrderItem(description="消防通道堆物", severity=gw.Severity.MAJOR, before_photos=[])
        oid = store.escalate_report(inspector, rid, gw.NewOrder(title="整改", compound="Q1", company="P01",
                                                                deadline=now_ms() + 86_400_000, items=[item]), now_ms())
        self.assertEqual(store.report(rid).escalated_to, oid)
        self.assertEqual(store.order(oid, now_ms()).from_report, rid)

        hid = store.create_household(worker, household("602"), now_ms())
        vid = store.record_visit(worker, hid, gw.NewVisit(at=now_ms(), purpose="routine", notes="", location=None, photos=[]), now_ms())
        store.send_back_visit(supervisor, hid, vid, "没有记录走访内容", now_ms())
        todos = store.my_todos(worker)
        self.assertIn(("visit_sent_back", "没有记录走访内容"), [(t.kind, t.note) for t in todos])

    def test_a_wrong_password_is_a_typed_exception(self):
        session = gw.SyncSession(self.server.url, None)
        with self.assertRaises(gw.GridwalkError.Unauthorized):
            asyncio.run(session.login("worker.a", "wrong", "device"))

    def test_rust_logs_reach_the_foreign_logger(self):
        store = self.store("c")
        actor = gw.Actor(user_id="worker.a", role=gw.Role.GRID_WORKER, company=None)
        hid = store.create_household(actor, household("501"), now_ms())
        store.import_photo(hid, str(PHOTOS / "landscape_0.jpg"), None, None)
        self.assertTrue(any("photo taken in" in line[2] for line in LOGS.lines), LOGS.lines[-5:])


# Short waits, so a test sees several of each in a few seconds.
QUICK = gw.SyncEngineConfig(debounce_ms=300, interval_ms=3_600_000, backoff_first_ms=200,
                            backoff_max_ms=2000, jitter=0.25)


class States(gw.SyncStateListener):
    """Every state the engine reports, with when it arrived."""

    def __init__(self):
        self.seen = []
        self.cond = threading.Condition()

    def on_state(self, status):
        with self.cond:
            self.seen.append((time.monotonic(), status))
            self.cond.notify_all()

    def wait(self, what, pred, after=0, timeout=60):
        """Waits for a state from index `after` on that satisfies `pred`; returns its index."""
        def found():
            return next((i for i in range(after, len(self.seen)) if pred(self.seen[i][1])), None)
        with self.cond:
            if not self.cond.wait_for(lambda: found() is not None, timeout):
                raise AssertionError(f"no {what} within {timeout} s: {self.seen[-1:]}")
            return found()


def idle_after(since_ms):
    return lambda s: s.state.is_idle() and s.last_success_at is not None and s.last_success_at >= since_ms


class SyncEngineTest(unittest.TestCase):
    """The sync engine through the bindings, each test with a server of its own."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()
        self.tmp.cleanup()

    def server(self, env=None):
        s = TestServer(env)
        self.servers.append(s)
        return s

    def phone(self, server, name, user):
        store = gw.GridwalkStore.open_encrypted(os.path.join(self.tmp.name, f"{name}.db"), os.urandom(32))
        session = gw.SyncSession(server.url, None)
        actor = asyncio.run(session.login(user, PASSWORD, store.device_id())).actor
        return store, session, actor

    def start(self, session, store):
        engine = asyncio.run(session.start_engine(store, QUICK))
        states = States()
        handle = engine.subscribe(states)
        self.addCleanup(engine.stop)
        self.addCleanup(handle.cancel)
        return engine, states

    def test_the_engine_retries_through_a_server_that_is_down(self):
        server = self.server()
        store, session, actor = self.phone(server, "down", "worker.a")
        hid = store.create_household(actor, household("601"), now_ms())
        server.kill()
        started = now_ms()
        engine, states = self.start(session, store)
        tries, at = [], 0
        while len(tries) < 5:
            i = states.wait("a failed try", lambda s: s.state.is_offline()
                            and (not tries or s.state.retry_at != tries[-1][1]), after=at)
            arrived, status = states.seen[i]
            tries.append((arrived, status.state.retry_at))
            self.assertEqual(status.pending, 1, "the write waits")
            at = i + 1
        gaps = [b[0] - a[0] for a, b in zip(tries, tries[1:])]
        for a, b in zip(gaps, gaps[1:]):
            self.assertGreater(b, a, f"the waits grow: {gaps}")
        self.assertGreater(gaps[3], gaps[0] * 4, f"backoff doubles: {gaps}")
        server.restart()
        i = states.wait("a sync once the server is back", idle_after(started), after=at)
        self.assertEqual(states.seen[i][1].pending, 0)
        other, other_session, _ = self.phone(server, "down-b", "worker.b")
        asyncio.run(other_session.sync(other, None))
        self.assertEqual(other.household(hid).address.room, "601")

    def test_a_first_download_reports_progress_with_totals_and_calls_join_it(self):
        server = self.server({"GRIDWALK_PULL_BUDGET_BYTES": "20000"})
        a, session_a, actor_a = self.phone(server, "seed", "worker.a")
        for i in range(300):
            a.create_household(actor_a, household(f"7{i:03}"), now_ms())
        self.assertEqual(asyncio.run(session_a.sync(a, None)).pending, 0)

        b, session_b, _ = self.phone(server, "new", "worker.b")
        started = now_ms()
        engine, states = self.start(session_b, b)
        states.wait("the download under way", lambda s: s.state.is_syncing() and s.state.records_done > 0)
        # Calls made while it runs join it: each gets the first download's report.
        reports = [None] * 6

        def call(k):
            reports[k] = asyncio.run(engine.sync_now())
        threads = [threading.Thread(target=call, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        engine.network_available()
        engine.foreground()
        for t in threads:
            t.join(60)
        self.assertTrue(all(r is not None and r.progress.records_down >= 300 for r in reports),
                        [r and r.progress.records_down for r in reports])
        states.wait("the download done", idle_after(started))

        downloads = [s.state for _, s in states.seen
                     if s.state.is_syncing() and s.state.phase == gw.SyncPhase.DOWNLOADING]
        self.assertGreaterEqual(len(downloads), 3, "progress during the download")
        for d in downloads:
            self.assertEqual(d.records_total, 300, "the total is known from the first answer on")
            self.assertIsNotNone(d.bytes_total)
        self.assertLess(downloads[0].records_done, 300)
        self.assertEqual(downloads[-1].records_done, 300)
        self.assertEqual(len(b.list_households(gw.HouseholdScope.GRID(grid="C01-G01"), 0, 1000).households), 300)

    def test_the_engine_stops_on_a_revoked_token(self):
        server = self.server()
        store, session, actor = self.phone(server, "revoked", "worker.a")
        started = now_ms()
        engine, states = self.start(session, store)
        states.wait("the first sync", idle_after(started))
        server.revoke_tokens("worker.a")
        engine.foreground()
        i = states.wait("signed out", lambda s: s.state.is_signed_out() or s.state.is_stopped())
        state = states.seen[i][1].state
        self.assertTrue(state.is_signed_out(), state)
        self.assertEqual(state.message.code, "sync.signed_out")
        store.create_household(actor, household("602"), now_ms())
        with self.assertRaises(gw.GridwalkError.Unauthorized):
            asyncio.run(engine.sync_now())
        self.assertTrue(engine.status().state.is_signed_out())
        self.assertEqual(store.sync_status().pending, 1, "the write is kept")

    def test_a_local_write_is_synced_after_the_debounce(self):
        server = self.server()
        store, session, actor = self.phone(server, "write", "worker.a")
        started = now_ms()
        engine, states = self.start(session, store)
        at = states.wait("the first sync", idle_after(started)) + 1
        # Before the write: the engine's debounce starts when the write is committed, which is
        # before create_household returns.
        wrote = time.monotonic()
        hid = store.create_household(actor, household("603"), now_ms())
        written = now_ms()
        i = states.wait("a sync", lambda s: s.state.is_syncing(), after=at)
        self.assertGreaterEqual(states.seen[i][0] - wrote, 0.3, "not before the debounce")
        i = states.wait("the write synced", idle_after(written), after=i)
        self.assertEqual(states.seen[i][1].pending, 0)


if __name__ == "__main__":
    result = unittest.main(exit=False).result
    # Leave without finalising the interpreter: the library's threads (its async runtime, a
    # stopping sync engine) may still log through the Python logger, and a thread calling into
    # an interpreter that is shutting down is ended by pthread_exit, which aborts the process
    # ("FATAL: exception not rethrown") as it unwinds through Rust.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0 if result.wasSuccessful() else 1)
