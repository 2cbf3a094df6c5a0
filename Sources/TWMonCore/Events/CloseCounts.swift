/// TCP transitions counted by the close-event source for one port (or one socket cgroup on it).
///
/// Which kernel transition is which (the BPF program's header says why):
/// active close `→ FIN_WAIT1`; reset `ESTABLISHED/SYN_RECV/FIN_WAIT1/CLOSE_WAIT → CLOSE`;
/// passive close `→ CLOSE_WAIT`; CLOSE_WAIT end `CLOSE_WAIT → LAST_ACK`.
public struct CloseCounts: Sendable, Equatable {
    /// The local side sent the first FIN: the socket will pass through TIME_WAIT (unless reset later).
    public var activeCloses: UInt64
    /// Reset or aborted (RST sent or received, `SO_LINGER` 0, unread data at close): no TIME_WAIT.
    public var resets: UInt64
    /// The peer closed first: the socket entered CLOSE_WAIT.
    public var passiveCloses: UInt64
    /// The local application closed a socket in CLOSE_WAIT.
    public var closeWaitEnds: UInt64

    public init(activeCloses: UInt64 = 0, resets: UInt64 = 0, passiveCloses: UInt64 = 0, closeWaitEnds: UInt64 = 0) {
        self.activeCloses = activeCloses
        self.resets = resets
        self.passiveCloses = passiveCloses
        self.closeWaitEnds = closeWaitEnds
    }

    public static let zero = CloseCounts()

    /// The four figures in declaration order (what the arithmetic below works on).
    var figures: [UInt64] { [activeCloses, resets, passiveCloses, closeWaitEnds] }

    init(figures: [UInt64]) {
        self.init(activeCloses: figures[0], resets: figures[1], passiveCloses: figures[2], closeWaitEnds: figures[3])
    }

    /// The sum, or nil when a figure would pass `UInt64.max`.
    func adding(_ other: CloseCounts) -> CloseCounts? {
        var sums: [UInt64] = []
        for (mine, theirs) in zip(figures, other.figures) {
            let (sum, overflow) = mine.addingReportingOverflow(theirs)
            if overflow { return nil }
            sums.append(sum)
        }
        return CloseCounts(figures: sums)
    }

    /// What was added since `earlier`, or nil when a figure went down (the counters restarted).
    func subtracting(_ earlier: CloseCounts) -> CloseCounts? {
        guard zip(figures, earlier.figures).allSatisfy({ $0 >= $1 }) else { return nil }
        return CloseCounts(figures: zip(figures, earlier.figures).map { $0 - $1 })
    }

    /// Each figure per second over `seconds` (0 for an empty interval).
    func perSecond(over seconds: Double) -> CloseRates {
        let rate = { (count: UInt64) in seconds > 0 ? Double(count) / seconds : 0 }
        return CloseRates(activeCloses: rate(activeCloses), resets: rate(resets),
                          passiveCloses: rate(passiveCloses), closeWaitEnds: rate(closeWaitEnds))
    }
}

/// `CloseCounts` per second over one interval.
public struct CloseRates: Sendable, Equatable {
    /// Active closes per second (the exact figure behind `closes_per_second`).
    public var activeCloses: Double
    /// Resets and aborts per second.
    public var resets: Double
    /// Passive closes (entries into CLOSE_WAIT) per second.
    public var passiveCloses: Double
    /// CLOSE_WAIT sockets closed by their application per second.
    public var closeWaitEnds: Double

    public init(activeCloses: Double = 0, resets: Double = 0, passiveCloses: Double = 0, closeWaitEnds: Double = 0) {
        self.activeCloses = activeCloses
        self.resets = resets
        self.passiveCloses = passiveCloses
        self.closeWaitEnds = closeWaitEnds
    }
}
