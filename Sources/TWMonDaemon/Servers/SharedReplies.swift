import NIOCore
import NIOPosix
import Synchronization
import TWMonCore

/// Replies encoded once per snapshot and shared: every connection asking the same thing
/// (`SharedReplyKey`) of the same snapshot is sent the same bytes, one buffer referenced by
/// all their pending writes. Sixty-four clients asking for a 6 MB `ListPorts` cost one
/// encoding and 6 MB, not sixty-four of each. The cache holds at most `budget` bytes for the
/// current snapshot (calls with rarer parameters are encoded for their caller only) and is
/// dropped when the next snapshot is published. A reply that may be large (`mayBeLarge`) is
/// encoded on a thread pool, once however many connections wait for it, so the event loops
/// keep answering everyone else meanwhile.
final class SharedReplies: Sendable {
    /// A reply and its buffer's number (the same for everyone sharing it; numbers grow, so
    /// a lower one is an older buffer).
    struct Reply: Sendable {
        var bytes: ByteBuffer
        var buffer: ConnectionLedger.BufferID
    }

    /// Bytes of encoded replies kept for one snapshot: a ListPorts of every possible port
    /// (≈ 6.5 MB) fits.
    static let defaultBudget = 8 << 20

    /// A reply now, or once encoded.
    enum Answer {
        case ready(Reply)
        case pending(EventLoopFuture<Reply>)
    }

    private struct Cache {
        var generation: UInt64 = 0
        var replies: [SharedReplyKey: Reply] = [:]
        var encoding: [SharedReplyKey: EventLoopFuture<Reply>] = [:]
        var bytes = 0
        var lastBuffer: ConnectionLedger.BufferID = 0
    }

    private let store: SnapshotStore
    private let budget: Int
    private let threadPool: NIOThreadPool
    private let cache = Mutex(Cache())

    init(store: SnapshotStore, budget: Int = SharedReplies.defaultBudget, threadPool: NIOThreadPool = .singleton) {
        self.store = store
        self.budget = budget
        self.threadPool = threadPool
    }

    /// The reply to `call` at wall-clock time `now`: at once, or (a large one not encoded yet)
    /// a future completed on `eventLoop`.
    func answer(_ call: VarlinkCall, now: Double, on eventLoop: any EventLoop) -> Answer {
        let (snapshot, generation) = store.current
        guard let key = MonitorService.sharedReplyKey(for: call, now: now),
              key.mayBeLarge(portCount: snapshot?.listablePortCount ?? 0) else {
            return .ready(reply(to: call, now: now))
        }
        let future = cache.withLock { cache -> EventLoopFuture<Reply>? in
            if generation > cache.generation { cache = Cache(generation: generation, lastBuffer: cache.lastBuffer) }
            guard generation == cache.generation, cache.replies[key] == nil else { return nil }
            if let encoding = cache.encoding[key] { return encoding }
            let encoding = threadPool.runIfActive(eventLoop: eventLoop) { [self] in reply(to: call, now: now) }
            cache.encoding[key] = encoding
            return encoding
        }
        guard let future else { return .ready(reply(to: call, now: now)) }
        return .pending(future.hop(to: eventLoop))
    }

    /// The NUL-terminated reply to `call` at wall-clock time `now`, from the cache when
    /// another connection asked the same of the latest snapshot.
    func reply(to call: VarlinkCall, now: Double) -> Reply {
        let (snapshot, generation) = store.current
        let key = MonitorService.sharedReplyKey(for: call, now: now)
        if let key, let cached = cache.withLock({ $0.generation == generation ? $0.replies[key] : nil }) {
            return cached
        }
        let bytes = Self.encode(MonitorService.reply(to: call, snapshot: snapshot, now: now))
        return cache.withLock { cache in
            cache.lastBuffer += 1
            let reply = Reply(bytes: bytes, buffer: cache.lastBuffer)
            guard let key else { return reply }
            if generation > cache.generation { cache = Cache(generation: generation, lastBuffer: cache.lastBuffer) }
            if let raced = cache.replies[key], generation == cache.generation { return raced }
            if generation == cache.generation { cache.encoding[key] = nil }
            if generation == cache.generation, cache.bytes + bytes.readableBytes <= budget {
                cache.replies[key] = reply
                cache.bytes += bytes.readableBytes
            }
            return reply
        }
    }

    /// `bytes` as a reply of its own, with a buffer number of its own.
    func unshared(_ bytes: [UInt8]) -> Reply {
        cache.withLock { cache in
            cache.lastBuffer += 1
            return Reply(bytes: ByteBuffer(bytes: bytes), buffer: cache.lastBuffer)
        }
    }

    /// `MonitorService.encode`, written straight into one buffer of the exact size.
    private static func encode(_ result: Result<[UInt8], VarlinkError>) -> ByteBuffer {
        guard case .success(let parameters) = result else { return ByteBuffer(bytes: MonitorService.encode(result)) }
        var buffer = ByteBufferAllocator().buffer(
            capacity: MonitorService.replyPrefix.count + parameters.count + MonitorService.replySuffix.count
        )
        buffer.writeBytes(MonitorService.replyPrefix)
        buffer.writeBytes(parameters)
        buffer.writeBytes(MonitorService.replySuffix)
        return buffer
    }
}
