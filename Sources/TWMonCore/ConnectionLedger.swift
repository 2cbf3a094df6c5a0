/// The control socket's bookkeeping, as pure logic: which connections are open and whose they
/// are (the peer's UID), which of them have output queued, and what to do with a new
/// connection or a new reply. The server owns one, behind a lock, and acts on what it returns.
///
/// Fairness rules:
/// - A UID holds at most `perUserLimit` connections and all UIDs together `totalLimit`, so one
///   local user cannot take the socket away from another.
/// - A UID at its own limit that asks for one more loses its least recently active *idle*
///   connection (no reply being written) instead of being refused: a UID that floods itself
///   (root's scripts around root's `twmonctl check`) starves only its own stale connections,
///   and the newest caller, the one waiting for an answer, gets in. Only when every connection
///   of that UID is busy writing is the new one refused.
/// - Reply bytes queued and not yet written stay under `outputLimit`, counting a reply buffer
///   shared by many connections once (it is in memory once). A reply that would pass the
///   limit first drops the slowest readers: every other connection still holding the oldest
///   queued reply buffer, then the next oldest, until the new one fits. A client that reads
///   finishes its reply long before newer ones are queued; one that does not read keeps an
///   ever older buffer and is the first to go.
public struct ConnectionLedger: Sendable {
    /// A connection, numbered by the server.
    public typealias ID = UInt64

    /// The limits the ledger enforces.
    public struct Limits: Sendable, Equatable {
        /// Connections open at once, all UIDs together.
        public var totalLimit: Int
        /// Connections open at once per peer UID.
        public var perUserLimit: Int
        /// Bytes of replies queued and not yet written, all connections together.
        public var outputLimit: Int

        public init(totalLimit: Int, perUserLimit: Int, outputLimit: Int) {
            self.totalLimit = max(1, totalLimit)
            self.perUserLimit = max(1, min(perUserLimit, totalLimit))
            self.outputLimit = max(1, outputLimit)
        }
    }

    /// What to do with a new connection.
    public enum Admission: Sendable, Equatable {
        /// Serve it.
        case admit
        /// Serve it, and close this idle connection of the same UID to make room.
        case admitEvicting(ID)
        /// Close it at once: its UID (or the server) is full of busy connections.
        case refuse
    }

    /// A reply buffer, numbered in the order buffers were made.
    public typealias BufferID = UInt64

    private struct Pending {
        var buffer: BufferID
        var remaining: Int
    }

    private struct Connection {
        var peer: ConnectionPeer
        /// Replies queued and not yet written, oldest first.
        var pending: [Pending] = []
    }

    private struct Buffer {
        var bytes: Int
        var holders: Int
    }

    /// The limits in force.
    public let limits: Limits
    private var connections: [ID: Connection] = [:]
    /// Each UID's connections, least recently active first.
    private var perUser: [ConnectionPeer: [ID]] = [:]
    /// Reply buffers some connection still has to write.
    private var buffers: [BufferID: Buffer] = [:]
    /// Bytes of the reply buffers queued, each counted once.
    public private(set) var queuedBytes = 0

    public init(limits: Limits) {
        self.limits = limits
    }

    /// Connections open now.
    public var count: Int { connections.count }

    /// Connections of `peer` open now.
    public func count(of peer: ConnectionPeer) -> Int { perUser[peer]?.count ?? 0 }

    /// Decides about a new connection `id` from `peer` (a UID, or a remote address); an admitted one (and none other) is
    /// recorded as its UID's most recently active, an evicted one forgotten.
    public mutating func admit(_ id: ID, peer user: ConnectionPeer) -> Admission {
        var evicted: ID?
        if count(of: user) >= limits.perUserLimit {
            guard let idle = leastRecentlyActiveIdle(of: user) else { return .refuse }
            remove(idle)
            evicted = idle
        } else if connections.count >= limits.totalLimit {
            return .refuse
        }
        connections[id] = Connection(peer: user)
        perUser[user, default: []].append(id)
        return evicted.map(Admission.admitEvicting) ?? .admit
    }

    /// `id` completed a request: it is the most recently active of its UID.
    public mutating func touch(_ id: ID) {
        guard let user = connections[id]?.peer, var order = perUser[user], let index = order.lastIndex(of: id) else { return }
        if index != order.count - 1 {
            order.remove(at: index)
            order.append(id)
            perUser[user] = order
        }
    }

    /// `id` queues reply buffer `buffer` of `bytes` (a buffer shared by several connections
    /// has one ID and is counted once). Returns the connections to drop, forgotten here, so
    /// that the total stays within `outputLimit`; `id` itself is never dropped, so a single
    /// reply larger than the limit still goes out.
    public mutating func queue(_ buffer: BufferID, bytes: Int, for id: ID) -> [ID] {
        guard connections[id] != nil, bytes > 0 else { return [] }
        var dropped: [ID] = []
        while buffers[buffer] == nil, queuedBytes + bytes > limits.outputLimit {
            let held = Set(connections[id]!.pending.map(\.buffer))
            guard let oldest = buffers.keys.filter({ !held.contains($0) }).min() else { break }
            let holders = connections.filter { $0.key != id && $0.value.pending.contains { $0.buffer == oldest } }.map(\.key).sorted()
            for victim in holders { remove(victim) }
            dropped += holders
        }
        if buffers[buffer] == nil {
            buffers[buffer] = Buffer(bytes: bytes, holders: 0)
            queuedBytes += bytes
        }
        buffers[buffer]!.holders += 1
        connections[id]!.pending.append(Pending(buffer: buffer, remaining: bytes))
        return dropped
    }

    /// `bytes` queued for `id` were written (or failed to be), oldest reply first.
    public mutating func written(_ bytes: Int, for id: ID) {
        var left = bytes
        while left > 0, let first = connections[id]?.pending.first {
            let done = min(left, first.remaining)
            left -= done
            connections[id]!.pending[0].remaining -= done
            if connections[id]!.pending[0].remaining == 0 {
                connections[id]!.pending.removeFirst()
                release(first.buffer)
            }
        }
    }

    /// Forgets `id` (closed), with whatever output it had queued.
    public mutating func remove(_ id: ID) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        for pending in connection.pending { release(pending.buffer) }
        guard var order = perUser.removeValue(forKey: connection.peer) else { return }
        if let index = order.firstIndex(of: id) { order.remove(at: index) }
        if !order.isEmpty { perUser[connection.peer] = order }
    }

    private func leastRecentlyActiveIdle(of user: ConnectionPeer) -> ID? {
        perUser[user]?.first { connections[$0]?.pending.isEmpty == true }
    }

    private mutating func release(_ buffer: BufferID) {
        guard let held = buffers[buffer] else { return }
        if held.holders > 1 {
            buffers[buffer]!.holders -= 1
        } else {
            buffers.removeValue(forKey: buffer)
            queuedBytes -= held.bytes
        }
    }
}
