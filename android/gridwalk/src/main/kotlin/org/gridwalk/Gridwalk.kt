// The idiomatic Kotlin layer over the generated bindings (package org.gridwalk.ffi):
// listeners become Flows (store changes, sync progress, the sync engine's state), blocking store
// calls become suspend functions on Dispatchers.IO.
// It decides nothing; every call goes to the core.
package org.gridwalk

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.channelFlow
import kotlinx.coroutines.withContext
import org.gridwalk.ffi.ChangeListener
import org.gridwalk.ffi.GridwalkStore
import org.gridwalk.ffi.SyncProgress
import org.gridwalk.ffi.SyncProgressListener
import org.gridwalk.ffi.SyncReport
import org.gridwalk.ffi.SyncEngine
import org.gridwalk.ffi.SyncEngineStatus
import org.gridwalk.ffi.SyncSession
import org.gridwalk.ffi.SyncStateListener

/** Records changed by one committed write; [merged] when it came from a sync. */
data class RecordChange(val recordIds: List<String>, val merged: Boolean)

/**
 * Every committed change to the store while collected; collection ends the subscription.
 * Unbounded, so that a slow collector (a screen in the background while a sync merges
 * thousands of records) still learns of every record: a dropped change is a stale screen.
 */
fun GridwalkStore.changes(): Flow<RecordChange> = callbackFlow {
    val handle = subscribe(object : ChangeListener {
        override fun onChange(recordIds: List<String>, merged: Boolean) {
            trySend(RecordChange(recordIds, merged))
        }
    })
    awaitClose { handle.cancel() }
}.buffer(Channel.UNLIMITED)

/** A step of a running sync. */
sealed interface SyncEvent {
    /** Totals after a round trip. */
    data class Progress(val progress: SyncProgress) : SyncEvent

    /** The sync finished. */
    data class Done(val report: SyncReport) : SyncEvent
}

/**
 * Syncs [store], emitting progress after every round trip and then the report. Every step
 * is kept for a slow collector: there is one a round trip, so the buffer stays small.
 */
fun SyncSession.syncWithProgress(store: GridwalkStore): Flow<SyncEvent> = channelFlow {
    val report = sync(store, object : SyncProgressListener {
        override fun onProgress(progress: SyncProgress) {
            trySend(SyncEvent.Progress(progress))
        }
    })
    send(SyncEvent.Done(report))
}.buffer(Channel.UNLIMITED)

/**
 * The sync engine's state while collected: the state now, then every change (idle, syncing
 * with progress and totals, offline, failed, signed out, stopped), with pending count, last
 * success and clock offset. Collection ends the subscription; the engine runs on.
 */
fun SyncEngine.states(): Flow<SyncEngineStatus> = callbackFlow {
    val handle = subscribe(object : SyncStateListener {
        override fun onState(status: SyncEngineStatus) {
            trySend(status)
        }
    })
    awaitClose { handle.cancel() }
}.buffer(Channel.UNLIMITED)

/** Runs a blocking store call off the caller's thread (SQLite writes fsync). */
suspend fun <T> GridwalkStore.io(block: GridwalkStore.() -> T): T = withContext(Dispatchers.IO) { block() }
