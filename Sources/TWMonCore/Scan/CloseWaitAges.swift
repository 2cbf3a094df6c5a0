/// How long each CLOSE_WAIT socket has been in CLOSE_WAIT, tracked from scan to scan by its
/// inode (which CLOSE_WAIT sockets have in /proc and in netlink alike: the application still
/// holds them). A socket first seen in a scan is age zero then; the age is therefore at most
/// one scan interval short, never longer.
public struct CloseWaitAges: Sendable {
    /// When each socket (inode and port) was first seen, monotonic.
    private var firstSeen: [UInt64: Duration] = [:]

    public init() {}

    /// Sockets tracked now.
    public var count: Int { firstSeen.count }

    /// Takes the CLOSE_WAIT sockets of one scan and returns, per port, how many there are and
    /// how many are at least `minAge` seconds old. Sockets gone since the last scan are forgotten.
    public mutating func update(_ sockets: [CloseWaitSocket], now: Moment, minAge: Double) -> [UInt16: CloseWaitFigures] {
        var next: [UInt64: Duration] = [:]
        next.reserveCapacity(sockets.count)
        var figures: [UInt16: CloseWaitFigures] = [:]
        let threshold = Duration.seconds(min(max(minAge, 0), 1e9))
        for socket in sockets {
            var age = Duration.zero
            if socket.inode != 0 {
                let key = socket.inode << 16 | UInt64(socket.port)
                let first = firstSeen[key] ?? next[key] ?? now.monotonic
                next[key] = first
                age = now.monotonic - first
            }
            var port = figures[socket.port] ?? CloseWaitFigures()
            port.total += 1
            if age >= threshold {
                port.old += 1
            }
            port.oldestAgeSeconds = max(port.oldestAgeSeconds, Int(age.components.seconds))
            figures[socket.port] = port
        }
        firstSeen = next
        return figures
    }
}

/// One CLOSE_WAIT socket of a scan.
public struct CloseWaitSocket: Sendable, Equatable {
    public var port: UInt16
    /// The socket's inode (0 when the source did not give one).
    public var inode: UInt64

    @inlinable
    public init(port: UInt16, inode: UInt64) {
        self.port = port
        self.inode = inode
    }
}

/// The CLOSE_WAIT sockets of one port.
public struct CloseWaitFigures: Sendable, Equatable {
    /// All of them.
    public var total = 0
    /// Those in CLOSE_WAIT for at least `close_wait.min_age`.
    public var old = 0
    /// The oldest one's age, whole seconds.
    public var oldestAgeSeconds = 0

    public init(total: Int = 0, old: Int = 0, oldestAgeSeconds: Int = 0) {
        self.total = total
        self.old = old
        self.oldestAgeSeconds = oldestAgeSeconds
    }
}

extension CloseWaitFigures {
    /// Per port, the larger of the table walk's figures and the close events' (each figure
    /// separately): the events see a socket's age from its entry into CLOSE_WAIT, the walk from
    /// the first scan that found it, and only the walk sees sockets that entered before the
    /// events were on, so a leak shows at the first scan after it ages and the walk stays the check.
    public static func larger(_ walk: [UInt16: CloseWaitFigures], _ events: [UInt16: CloseWaitFigures]) -> [UInt16: CloseWaitFigures] {
        walk.merging(events) { walk, events in
            CloseWaitFigures(total: max(walk.total, events.total), old: max(walk.old, events.old),
                             oldestAgeSeconds: max(walk.oldestAgeSeconds, events.oldestAgeSeconds))
        }
    }
}
