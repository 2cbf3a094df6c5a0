import NIOCore
import Synchronization
import TWMonCore

/// Replies encoded once per snapshot and shared: every connection asking the same thing
/// (`SharedReplyKey`) of the same snapshot is sent the same bytes, one buffer referenced by
/// all their pending writes. Sixty-four clients asking for a 6 MB `ListPorts` cost one
/// encoding and 6 MB, not sixty-four of each. The cache holds at most `budget` bytes for the
/// current snapshot (calls with rarer parameters are encoded for their caller only) and is
/// dropped when the next snapshot is published.
final class SharedReplies: Sendable {
    /// Bytes of encoded replies kept for one snapshot.
    static let defaultBudget = 16 << 20

    private struct Cache {
        var generation: UInt64 = 0
        var replies: [SharedReplyKey: ByteBuffer] = [:]
        var bytes = 0
    }

    private let store: SnapshotStore
    private let budget: Int
    private let cache = Mutex(Cache())

    init(store: SnapshotStore, budget: Int = SharedReplies.defaultBudget) {
        self.store = store
        self.budget = budget
    }

    /// The NUL-terminated reply to `call` at wall-clock time `now`, from the cache when
    /// another connection asked the same of the latest snapshot.
    func reply(to call: VarlinkCall, now: Double) -> ByteBuffer {
        let (snapshot, generation) = store.current
        let key = MonitorService.sharedReplyKey(for: call, now: now)
        if let key, let cached = cache.withLock({ $0.generation == generation ? $0.replies[key] : nil }) {
            return cached
        }
        let reply = ByteBuffer(bytes: MonitorService.encode(MonitorService.reply(to: call, snapshot: snapshot, now: now)))
        if let key {
            cache.withLock { cache in
                if generation > cache.generation { cache = Cache(generation: generation) }
                guard generation == cache.generation, cache.replies[key] == nil,
                      cache.bytes + reply.readableBytes <= budget else { return }
                cache.replies[key] = reply
                cache.bytes += reply.readableBytes
            }
        }
        return reply
    }
}
