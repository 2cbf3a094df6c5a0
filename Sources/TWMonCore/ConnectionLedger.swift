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
/// - Output queued for all connections together stays under `outputLimit` bytes (counted per
///   connection, as if no reply were shared): a reply that would pass it first drops the
///   connections whose output has waited longest, the slowest readers.
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

    private struct Connection {
        var user: UInt32
        /// When it was admitted or last completed a request (monotonic seconds).
        var lastActive: Double
        /// Bytes of replies queued and not yet written.
        var queuedBytes = 0
        /// When its oldest unwritten reply was queued.
        var queuedSince = 0.0
    }

    /// The limits in force.
    public let limits: Limits
    private var connections: [ID: Connection] = [:]
    private var perUser: [UInt32: Int] = [:]
    /// Bytes queued, all connections together.
    public private(set) var queuedBytes = 0

    public init(limits: Limits) {
        self.limits = limits
    }

    /// Connections open now.
    public var count: Int { connections.count }

    /// Connections of `user` open now.
    public func count(of user: UInt32) -> Int { perUser[user] ?? 0 }

    /// Decides about a new connection `id` from `user` at monotonic time `now`; an admitted one
    /// (and none other) is recorded, an evicted one forgotten.
    public mutating func admit(_ id: ID, user: UInt32, now: Double) -> Admission {
        var evicted: ID?
        if count(of: user) >= limits.perUserLimit {
            guard let idle = leastRecentlyActiveIdle(of: user) else { return .refuse }
            remove(idle)
            evicted = idle
        } else if connections.count >= limits.totalLimit {
            return .refuse
        }
        connections[id] = Connection(user: user, lastActive: now)
        perUser[user, default: 0] += 1
        return evicted.map(Admission.admitEvicting) ?? .admit
    }

    /// `id` completed a request at `now`: it is the most recently active of its UID.
    public mutating func touch(_ id: ID, now: Double) {
        connections[id]?.lastActive = now
    }

    /// `id` queues a reply of `bytes` at `now`. Returns the connections to drop (their output
    /// forgotten here) so that the total stays within `outputLimit`; `id` itself is never
    /// dropped, so a single reply larger than the limit still goes out.
    public mutating func queue(_ bytes: Int, for id: ID, now: Double) -> [ID] {
        guard connections[id] != nil, bytes > 0 else { return [] }
        var dropped: [ID] = []
        while queuedBytes + bytes > limits.outputLimit, let slowest = slowestReader(excluding: id) {
            remove(slowest)
            dropped.append(slowest)
        }
        if connections[id]!.queuedBytes == 0 { connections[id]!.queuedSince = now }
        connections[id]!.queuedBytes += bytes
        queuedBytes += bytes
        return dropped
    }

    /// `bytes` queued for `id` were written (or failed to be).
    public mutating func written(_ bytes: Int, for id: ID) {
        guard let connection = connections[id] else { return }
        let done = min(bytes, connection.queuedBytes)
        connections[id]!.queuedBytes -= done
        queuedBytes -= done
    }

    /// Forgets `id` (closed), with whatever output it had queued.
    public mutating func remove(_ id: ID) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        queuedBytes -= connection.queuedBytes
        let left = (perUser[connection.user] ?? 1) - 1
        perUser[connection.user] = left > 0 ? left : nil
    }

    private func leastRecentlyActiveIdle(of user: UInt32) -> ID? {
        connections.lazy.filter { $0.value.user == user && $0.value.queuedBytes == 0 }
            .min { ($0.value.lastActive, $0.key) < ($1.value.lastActive, $1.key) }?.key
    }

    private func slowestReader(excluding id: ID) -> ID? {
        connections.lazy.filter { $0.key != id && $0.value.queuedBytes > 0 }
            .min { ($0.value.queuedSince, $0.key) < ($1.value.queuedSince, $1.key) }?.key
    }
}
