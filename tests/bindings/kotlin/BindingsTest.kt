// The generated Kotlin bindings and the idiomatic layer (android/gridwalk), on the JVM, against
// the real library and a real server on loopback. Run by scripts/bindings-test; prints
// "N passed, M failed" and exits non-zero on a failure.
import java.io.File
import java.nio.file.Files
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeoutOrNull
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.gridwalk.RecordChange
import org.gridwalk.SyncEvent
import org.gridwalk.changes
import org.gridwalk.states
import org.gridwalk.io
import org.gridwalk.syncWithProgress
import org.gridwalk.ffi.*

const val PASSWORD = "binding-test-pw"
val root: File = File(System.getProperty("gridwalk.root") ?: ".").absoluteFile
val photos = File(root, "../shared/data/photos")

class Server(private val env: Map<String, String> = emptyMap()) {
    val dir: File = Files.createTempDirectory("gridwalk-kt").toFile()
    private val exe = File(root, "target/debug/gridwalk-server").path
    private lateinit var process: Process
    lateinit var url: String

    private fun run(vararg args: String) {
        val p = ProcessBuilder(exe, "--data-dir", dir.path, *args).redirectErrorStream(true).start()
        p.inputStream.readAllBytes()
        check(p.waitFor() == 0) { "gridwalk-server ${args.toList()} failed" }
    }

    private fun serve(listen: String) {
        val builder = ProcessBuilder(exe, "--data-dir", dir.path, "serve", "--listen", listen)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
        builder.environment().putAll(env)
        process = builder.start()
        val reader = process.inputStream.bufferedReader()
        url = generateSequence { reader.readLine() }
            .mapNotNull { Regex("listening on (http://\\S+)").find(it)?.groupValues?.get(1) }
            .first()
    }

    init {
        run("admin", "add-community", "--code", "C01", "--name", "阳光社区")
        run("admin", "add-grid", "--code", "C01-G01", "--name", "第一网格", "--parent", "C01")
        run("admin", "add-compound", "--code", "Q1", "--name", "阳光花园", "--parent", "C01", "--grid", "C01-G01")
        run("admin", "add-building", "--code", "B1", "--name", "1号楼", "--parent", "Q1")
        for (user in listOf("worker.a", "worker.b")) {
            run("admin", "add-user", "--username", user, "--name", user, "--role", "grid_worker",
                "--password", PASSWORD, "--scope", "grid:C01-G01")
        }
        serve("127.0.0.1:0")
    }

    /** Kills the server (SIGKILL), keeping its data and port for [restart]. */
    fun kill() {
        process.destroyForcibly().waitFor()
    }

    /** Starts it again on the same data and port. */
    fun restart() = serve(url.removePrefix("http://"))

    fun revokeTokens(user: String) = run("admin", "revoke-tokens", "--username", user)

    fun stop() {
        process.destroyForcibly().waitFor()
        dir.deleteRecursively()
    }
}

fun now() = System.currentTimeMillis()
fun address(room: String) = Address("C01", "C01-G01", "Q1", "B1", "1", room)
fun resident(name: String, id: String? = null, phone: String? = null) =
    NewResident(name, id, phone, "head", "local", emptyList())
fun newHousehold(room: String, vararg residents: NewResident) =
    NewHousehold(address(room), "owner_occupied", "", residents.toList())

var passed = 0
var failed = 0

fun test(name: String, body: () -> Unit) {
    try {
        body()
        passed++
        println("ok   $name")
    } catch (e: Throwable) {
        failed++
        println("FAIL $name: $e")
        e.printStackTrace()
    }
}

fun main() {
    val server = Server()
    val tmp = Files.createTempDirectory("gridwalk-stores").toFile()
    // Every store of these tests is encrypted, as the apps open theirs (android/README.md).
    fun newKey() = ByteArray(32).also { java.security.SecureRandom().nextBytes(it) }
    fun store(name: String) = GridwalkStore.openEncrypted(File(tmp, "$name.db").path, newKey())
    val worker = Actor("worker.a", Role.GRID_WORKER, null)

    test("households are created, listed and found by pinyin initials") {
        val s = store("list")
        val id = s.createHousehold(worker, newHousehold("301", resident("张三", "110101198503070013", "13800138000")), now())
        s.createHousehold(worker, newHousehold("302"), now())
        val page = s.listHouseholds(HouseholdScope.Building("B1"), 0u, 50u)
        check(page.householdCount == 2u) { "count ${page.householdCount}" }
        check(s.searchResidents("zs", 10u).map { it.name } == listOf("张三"))
        check(s.household(id).residents[0].idNumberMasked == "110101********0013")
    }

    test("a bad ID number is a typed exception") {
        val s = store("bad")
        try {
            s.createHousehold(worker, newHousehold("303", resident("李四", "110105194912310021")), now())
            error("no exception")
        } catch (e: GridwalkException.InvalidIdNumber) {
            check(e.code == "id_number.check_digit") { e.code }
            check(e.reason.contains("校验位")) { e.reason }
            check(renderMessage(e.code, e.params, Language.EN).contains("check digit"))
        }
    }

    test("a photo from the camera folder is imported upright") {
        val s = store("photo")
        val id = s.createHousehold(worker, newHousehold("304"), now())
        val here = Location(39.9087, 116.3975)
        val photo = s.importPhoto(id, File(photos, "landscape_6.jpg").path, now(), here)
        check(photo.width == 1600u && photo.height == 1067u) { "${photo.width}x${photo.height}" }
        s.recordVisit(worker, id, NewVisit(now(), "routine", "楼道堆物", here, listOf(photo)), now())
        val onDisk = File(s.photoPath(photo.full)!!).readBytes()
        check(!(onDisk[0] == 0xFF.toByte() && onDisk[1] == 0xD8.toByte())) { "the photo file is a JPEG" }
        val jpeg = s.photoBytes(photo.full)!!
        check(jpeg[0] == 0xFF.toByte() && jpeg[1] == 0xD8.toByte()) { "photoBytes is the JPEG" }
        val sha = java.security.MessageDigest.getInstance("SHA-256").digest(jpeg).joinToString("") { "%02x".format(it) }
        check(sha == photo.full) { "decrypts to the photo itself" }
        check(s.household(id).visits[0].photos[0].location == here) { "the place is in the record" }
        try {
            s.importPhoto(id, File(photos, "phone_iphone13.heic").path, null, null)
            error("HEIC accepted")
        } catch (e: GridwalkException.BadPhoto) {
            check(e.code == "photo.unsupported_format") { e.code }
            check(e.reason.contains("HEIC"))
        }
    }

    test("two devices sync through the server and the second hears the first as a Flow") {
        runBlocking {
            val a = store("a")
            val b = store("b")
            val sessionA = SyncSession(server.url, null)
            val sessionB = SyncSession(server.url, null)
            val actorA = sessionA.login("worker.a", PASSWORD, a.deviceId()).actor
            sessionB.login("worker.b", PASSWORD, b.deviceId())
            val id = a.io { createHousehold(actorA, newHousehold("401"), now()) }
            val events = sessionA.syncWithProgress(a).toList()
            val done = events.last() as SyncEvent.Done
            check(done.report.pending == 0u)
            check(events.any { it is SyncEvent.Progress })
            sessionB.sync(b, null)
            check(b.household(id).address.room == "401")

            a.io { setNotes(actorA, id, "A 的备注", now()) }
            sessionA.sync(a, null)
            // The Flow registers its listener when collection starts, on another coroutine:
            // wait until it hears a local write (made until heard, with a deadline), rather
            // than for a fixed time a loaded machine could outrun.
            val heard = Channel<RecordChange>(Channel.UNLIMITED)
            val collecting = launch { b.changes().collect { heard.send(it) } }
            val actorB = Actor("worker.b", Role.GRID_WORKER, null)
            val probe = b.io { createHousehold(actorB, newHousehold("402"), now()) }
            withTimeout(10_000) {
                while (withTimeoutOrNull(50) { heard.receive() } == null) {
                    b.io { setNotes(actorB, probe, "probe ${now()}", now()) }
                }
            }
            while (heard.tryReceive().isSuccess) {}
            sessionB.sync(b, null)
            val change: RecordChange = withTimeout(10_000) {
                var c = heard.receive()
                while (!c.merged || id !in c.recordIds) c = heard.receive()
                c
            }
            collecting.cancel()
            check(change.merged) { change.toString() }
            check(b.household(id).notes == "A 的备注")
        }
    }

    test("a listener that throws never fails a write") {
        val s = store("throwing")
        var thrown = 0
        val heard = mutableListOf<List<String>>()
        val throwing = s.subscribe(object : ChangeListener {
            override fun onChange(recordIds: List<String>, merged: Boolean) {
                thrown += 1
                throw IllegalStateException("a bug in the app's listener")
            }
        })
        val after = s.subscribe(object : ChangeListener {
            override fun onChange(recordIds: List<String>, merged: Boolean) {
                heard.add(recordIds)
            }
        })
        val id = s.createHousehold(worker, newHousehold("305"), now())
        s.setNotes(worker, id, "写入不受影响", now())
        check(thrown == 2) { "the throwing listener was called for each write: $thrown" }
        check(heard == listOf(listOf(id), listOf(id))) { "the listener after it heard both: $heard" }
        check(s.household(id).notes == "写入不受影响")
        throwing.cancel()
        after.cancel()
    }

    test("a wrong password is a typed exception") {
        runBlocking {
            try {
                SyncSession(server.url, null).login("worker.a", "wrong", "device")
                error("signed in")
            } catch (e: GridwalkException.Unauthorized) {
            }
        }
    }

    // The sync engine, each test with a server of its own.
    test("an encrypted store opens only with its key, and rekeys") {
        val path = File(tmp, "keyed.db").path
        val key = newKey()
        val s = GridwalkStore.openEncrypted(path, key)
        check(s.isEncrypted())
        val id = s.createHousehold(worker, newHousehold("305", resident("张三", "110101198503070013")), now())
        s.destroy()
        // Plain SQLite: the file does not even start as one.
        val head = File(path).inputStream().use { it.readNBytes(16) }
        check(!String(head, Charsets.ISO_8859_1).startsWith("SQLite format 3")) { "a plain SQLite file" }
        try {
            GridwalkStore.openEncrypted(path, newKey())
            error("a wrong key opened the store")
        } catch (e: GridwalkException.StoreKey) {
            check(e.code == "store.wrong_key") { e.code }
        }
        val again = GridwalkStore.openEncrypted(path, key)
        val rotated = newKey()
        again.rekey(rotated)
        again.destroy()
        check(GridwalkStore.openEncrypted(path, rotated).household(id).address.room == "305")
    }

    val quick = SyncEngineConfig(debounceMs = 300uL, intervalMs = 3_600_000uL, backoffFirstMs = 200uL,
        backoffMaxMs = 2000uL, jitter = 0.25)
    class Phone(val store: GridwalkStore, val session: SyncSession, val actor: Actor)
    fun phone(s: Server, name: String, user: String): Phone = runBlocking {
        val st = store(name)
        val session = SyncSession(s.url, null)
        Phone(st, session, session.login(user, PASSWORD, st.deviceId()).actor)
    }
    /** Collects the engine's states, with when each arrived, until [block] ends. */
    fun <T> watching(engine: SyncEngine, block: suspend (MutableList<Pair<Long, SyncEngineStatus>>) -> T): T =
        runBlocking {
            val seen = java.util.Collections.synchronizedList(mutableListOf<Pair<Long, SyncEngineStatus>>())
            val job = launch(Dispatchers.Default) {
                engine.states().collect { seen.add(System.nanoTime() to it) }
            }
            try { block(seen) } finally { job.cancel(); engine.stop() }
        }
    /** Waits (at most a minute) for a state from index [after] on that satisfies [pred]. */
    suspend fun waitFor(seen: List<Pair<Long, SyncEngineStatus>>, what: String, after: Int = 0,
                        pred: (SyncEngineStatus) -> Boolean): Int {
        val deadline = System.nanoTime() + 60_000_000_000L
        while (System.nanoTime() < deadline) {
            val i = synchronized(seen) { (after until seen.size).firstOrNull { pred(seen[it].second) } }
            if (i != null) return i
            kotlinx.coroutines.delay(10)
        }
        error("no $what within a minute: ${synchronized(seen) { seen.lastOrNull() }}")
    }
    fun idleAfter(since: Long) = { s: SyncEngineStatus ->
        s.state is SyncState.Idle && (s.lastSuccessAt ?: 0) >= since
    }

    test("the sync engine retries through a server that is down, waiting longer each time") {
        val s = Server()
        try {
            val p = phone(s, "engine-down", "worker.a")
            val id = p.store.createHousehold(p.actor, newHousehold("601"), now())
            s.kill()
            val started = now()
            val engine = runBlocking { p.session.startEngine(p.store, quick) }
            watching(engine) { seen ->
                val tries = mutableListOf<Pair<Long, Long>>()
                var at = 0
                while (tries.size < 5) {
                    val i = waitFor(seen, "a failed try", at) {
                        val st = it.state
                        st is SyncState.Offline && (tries.isEmpty() || st.retryAt != tries.last().second)
                    }
                    tries.add(seen[i].first to (seen[i].second.state as SyncState.Offline).retryAt)
                    check(seen[i].second.pending == 1u) { "the write waits" }
                    at = i + 1
                }
                val gaps = tries.zipWithNext { a, b -> b.first - a.first }
                check(gaps.zipWithNext().all { (a, b) -> b > a }) { "the waits grow: $gaps" }
                check(gaps[3] > gaps[0] * 4) { "backoff doubles: $gaps" }
                s.restart()
                val i = waitFor(seen, "a sync once the server is back", at, idleAfter(started))
                check(seen[i].second.pending == 0u)
            }
            val other = phone(s, "engine-down-b", "worker.b")
            runBlocking { other.session.sync(other.store, null) }
            check(other.store.household(id).address.room == "601")
        } finally { s.stop() }
    }

    test("the sync engine reports a first download's progress with totals, and calls join it") {
        val s = Server(mapOf("GRIDWALK_PULL_BUDGET_BYTES" to "20000"))
        try {
            val a = phone(s, "engine-seed", "worker.a")
            for (i in 0 until 300) a.store.createHousehold(a.actor, newHousehold("7$i"), now())
            check(runBlocking { a.session.sync(a.store, null) }.pending == 0u)
            val b = phone(s, "engine-new", "worker.b")
            val started = now()
            val engine = runBlocking { b.session.startEngine(b.store, quick) }
            watching(engine) { seen ->
                waitFor(seen, "the download under way") {
                    val st = it.state
                    st is SyncState.Syncing && st.recordsDone > 0uL
                }
                // Calls made while it runs join it: each gets the first download's report.
                val reports = kotlinx.coroutines.coroutineScope {
                    (0 until 6).map { async { engine.syncNow() } }.also {
                        engine.networkAvailable()
                        engine.foreground()
                    }.awaitAll()
                }
                check(reports.all { it.progress.recordsDown >= 300uL }) { reports.map { it.progress.recordsDown } }
                waitFor(seen, "the download done", 0, idleAfter(started))
                val downloads = synchronized(seen) { seen.map { it.second.state } }
                    .filterIsInstance<SyncState.Syncing>().filter { it.phase == SyncPhase.DOWNLOADING }
                check(downloads.size >= 3) { "progress during the download: $downloads" }
                check(downloads.all { it.recordsTotal == 300uL && it.bytesTotal != null }) { downloads.toString() }
                check(downloads.first().recordsDone < 300uL && downloads.last().recordsDone == 300uL)
            }
        } finally { s.stop() }
    }

    test("the sync engine stops on a revoked token and says signed out") {
        val s = Server()
        try {
            val p = phone(s, "engine-revoked", "worker.a")
            val started = now()
            val engine = runBlocking { p.session.startEngine(p.store, quick) }
            watching(engine) { seen ->
                waitFor(seen, "the first sync", 0, idleAfter(started))
                s.revokeTokens("worker.a")
                engine.foreground()
                val i = waitFor(seen, "signed out") {
                    it.state is SyncState.SignedOut || it.state is SyncState.Stopped
                }
                val st = seen[i].second.state
                check(st is SyncState.SignedOut && st.message.code == "sync.signed_out") { st.toString() }
                p.store.createHousehold(p.actor, newHousehold("602"), now())
                try {
                    engine.syncNow()
                    error("synced after the token was revoked")
                } catch (e: GridwalkException.Unauthorized) {
                }
                check(p.store.syncStatus().pending == 1u) { "the write is kept" }
            }
        } finally { s.stop() }
    }

    test("the sync engine syncs a local write after the debounce") {
        val s = Server()
        try {
            val p = phone(s, "engine-write", "worker.a")
            val started = now()
            val engine = runBlocking { p.session.startEngine(p.store, quick) }
            watching(engine) { seen ->
                val at = waitFor(seen, "the first sync", 0, idleAfter(started)) + 1
                // Before the write: the debounce starts when it commits, before it returns.
                val wrote = System.nanoTime()
                p.store.createHousehold(p.actor, newHousehold("603"), now())
                val written = now()
                val i = waitFor(seen, "a sync", at) { it.state is SyncState.Syncing }
                check(seen[i].first - wrote >= 300_000_000L) { "synced before the debounce" }
                val j = waitFor(seen, "the write synced", i, idleAfter(written))
                check(seen[j].second.pending == 0u)
            }
        } finally { s.stop() }
    }

    server.stop()
    tmp.deleteRecursively()
    println("$passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
