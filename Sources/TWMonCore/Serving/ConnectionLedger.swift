/// The bookkeeping of a served socket (the control socket, the metrics endpoint), as pure
/// logic: which connections are open and whose they are (the peer: a UID, or a remote
/// address), which of them have output queued, and what to do with a new connection or a new
/// reply. The server owns one, behind a lock, and acts on what it returns.
///
/// Fairness rules:
/// - A peer holds at most `perPeerLimit` connections and all peers together `totalLimit`, so
///   one peer (a local user, or an address) cannot take the socket away from another.
/// - A peer at its own limit that asks for one more loses its least recently active *idle*
///   connection (no reply being written) instead of being refused: a peer that floods itself
///   (root's scripts around root's `twmonctl check`) starves only its own stale connections,
///   and the newest caller, the one waiting for an answer, gets in.
/// - When all `totalLimit` connections are taken, a new one from a peer under its own limit
///   takes the place of an idle connection of the peer holding the most (its least recently
///   active one; among equals, the least recently active of theirs): many peers together (a
///   local user binding 127.0.0.2, .3, .4 …) cannot lock a newcomer out with connections they
///   only hold, and a peer that reconnects as fast as it is evicted only ever evicts its own
///   connections while it holds more than the newcomer. A new connection is refused only when
///   every connection it could replace is busy writing.
/// - Reply bytes queued and not yet written stay under `outputLimit`, counting a reply buffer
///   shared by many connections once (it is in memory once). A reply that would pass the
///   limit first drops the slowest readers: every other connection still holding the oldest
///   queued reply buffer, then the next oldest, until the new one fits. A client that reads
///   finishes its reply long before newer ones are queued; one that does not read keeps an
///   ever older buffer and is the first to go.
///
/// Admitting, touching and finishing a reply cost O(1): idle connections are kept in order of
/// activity twice, per peer and all together (`RecencyOrder`).
public struct ConnectionLedger: Sendable {
    /// A connection, numbered by the server.
    public typealias ID = UInt64

    /// The limits the ledger enforces.
    public struct Limits: Sendable, Equatable {
        /// Connections open at once, all peers together.
        public var totalLimit: Int
        /// Connections open at once per peer.
        public var perPeerLimit: Int
        /// Bytes of replies queued and not yet written, all connections together.
        public var outputLimit: Int

        public init(totalLimit: Int, perPeerLimit: Int, outputLimit: Int) {
            self.totalLimit = max(1, totalLimit)
            self.perPeerLimit = max(1, min(perPeerLimit, totalLimit))
            self.outputLimit = max(1, outputLimit)
        }
    }

    /// What to do with a new connection.
    public enum Admission: Sendable, Equatable {
        /// Serve it.
        case admit
        /// Serve it, and close this idle connection of the same peer: the peer is at its limit.
        case admitEvicting(ID)
        /// Serve it, and close this idle connection of `peer`, the least recently active of
        /// all: every connection is taken.
        case admitEvictingAcrossPeers(ID, peer: ConnectionPeer)
        /// Close it at once: its peer (or the server) is full of busy connections.
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
    /// Connections open per peer.
    private var perPeerCount: [ConnectionPeer: Int] = [:]
    /// Each peer's idle connections (no output queued), least recently active first.
    private var perPeerIdle: [ConnectionPeer: RecencyOrder] = [:]
    /// All idle connections, least recently active first.
    private var idle = RecencyOrder()
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
    public func count(of peer: ConnectionPeer) -> Int { perPeerCount[peer] ?? 0 }

    /// Decides about a new connection `id` from `peer` (a UID, or a remote address); an
    /// admitted one (and none other) is recorded as its peer's most recently active, an
    /// evicted one forgotten.
    public mutating func admit(_ id: ID, peer: ConnectionPeer) -> Admission {
        let admission: Admission
        if count(of: peer) >= limits.perPeerLimit {
            guard let victim = perPeerIdle[peer]?.first else { return .refuse }
            admission = .admitEvicting(victim)
            remove(victim)
        } else if connections.count >= limits.totalLimit {
            guard let victim = idleOfTheLargestPeer(), let victimPeer = connections[victim]?.peer else { return .refuse }
            admission = .admitEvictingAcrossPeers(victim, peer: victimPeer)
            remove(victim)
        } else {
            admission = .admit
        }
        connections[id] = Connection(peer: peer)
        perPeerCount[peer, default: 0] += 1
        markIdle(id, of: peer)
        return admission
    }

    /// The least recently active idle connection among the peers that hold the most
    /// connections and have an idle one: O(peers + connections), paid only when the server is
    /// full (and accepting is throttled then).
    private func idleOfTheLargestPeer() -> ID? {
        var largest = 0
        for (peer, count) in perPeerCount where count > largest && perPeerIdle[peer]?.first != nil { largest = count }
        guard largest > 0 else { return nil }
        var cursor = idle.first
        while let id = cursor {
            if let peer = connections[id]?.peer, perPeerCount[peer] == largest { return id }
            cursor = idle.next(after: id)
        }
        return nil
    }

    /// `id` completed a request: it is the most recently active of its peer and of all.
    public mutating func touch(_ id: ID) {
        guard let connection = connections[id], connection.pending.isEmpty else { return }
        markIdle(id, of: connection.peer)
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
        markBusy(id, of: connections[id]!.peer)
        return dropped
    }

    /// `bytes` queued for `id` were written (or failed to be), oldest reply first. A
    /// connection whose output is all written is idle again, the most recently active.
    public mutating func written(_ bytes: Int, for id: ID) {
        guard let peer = connections[id]?.peer, connections[id]?.pending.isEmpty == false else { return }
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
        if connections[id]?.pending.isEmpty == true { markIdle(id, of: peer) }
    }

    /// Forgets `id` (closed), with whatever output it had queued.
    public mutating func remove(_ id: ID) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        for pending in connection.pending { release(pending.buffer) }
        markBusy(id, of: connection.peer)
        let left = count(of: connection.peer) - 1
        perPeerCount[connection.peer] = left > 0 ? left : nil
    }

    /// `id` (open) has no output queued: the most recently active idle connection.
    private mutating func markIdle(_ id: ID, of peer: ConnectionPeer) {
        idle.append(id)
        perPeerIdle[peer, default: RecencyOrder()].append(id)
    }

    /// `id` has output queued, or is gone: no longer a candidate for eviction.
    private mutating func markBusy(_ id: ID, of peer: ConnectionPeer) {
        idle.remove(id)
        guard var order = perPeerIdle.removeValue(forKey: peer) else { return }
        order.remove(id)
        if !order.isEmpty { perPeerIdle[peer] = order }
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
