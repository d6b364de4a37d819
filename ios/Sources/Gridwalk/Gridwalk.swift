// The thin Swift layer over the generated bindings: listeners become AsyncStreams. It decides
// nothing; every call goes to the core.
import GridwalkFFI

/// Records changed by one committed write; `merged` when it came from a sync.
public struct RecordChange: Sendable {
    public let recordIds: [String]
    public let merged: Bool
}

private final class StreamListener: ChangeListener, @unchecked Sendable {
    let continuation: AsyncStream<RecordChange>.Continuation
    init(_ continuation: AsyncStream<RecordChange>.Continuation) { self.continuation = continuation }
    func onChange(recordIds: [String], merged: Bool) {
        continuation.yield(RecordChange(recordIds: recordIds, merged: merged))
    }
}

public extension GridwalkStore {
    /// Every committed change while iterated; ending the iteration ends the subscription.
    func changes() -> AsyncStream<RecordChange> {
        AsyncStream { continuation in
            let handle = self.subscribe(listener: StreamListener(continuation))
            continuation.onTermination = { _ in handle.cancel() }
        }
    }
}
