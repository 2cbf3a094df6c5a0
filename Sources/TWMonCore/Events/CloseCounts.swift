/// The four figures the close-event source keeps for a port (or one socket cgroup on it), as
/// counts (`CloseCounts`) or per second (`CloseRates`).
///
/// Which kernel transition is which (the BPF program's header says why):
/// active close `→ FIN_WAIT1`; reset `ESTABLISHED/SYN_RECV/FIN_WAIT1/CLOSE_WAIT → CLOSE`;
/// passive close `→ CLOSE_WAIT`; CLOSE_WAIT end `CLOSE_WAIT → LAST_ACK`.
public struct CloseFigures<Value: Numeric & Sendable>: Sendable, Equatable {
    /// The local side sent the first FIN: the socket will pass through TIME_WAIT (unless reset later).
    /// Per second, the exact figure behind `closes_per_second`.
    public var activeCloses: Value
    /// Reset or aborted (RST sent or received, `SO_LINGER` 0, unread data at close): no TIME_WAIT.
    public var resets: Value
    /// The peer closed first: the socket entered CLOSE_WAIT.
    public var passiveCloses: Value
    /// The local application closed a socket in CLOSE_WAIT.
    public var closeWaitEnds: Value

    public init(activeCloses: Value = 0, resets: Value = 0, passiveCloses: Value = 0, closeWaitEnds: Value = 0) {
        self.activeCloses = activeCloses
        self.resets = resets
        self.passiveCloses = passiveCloses
        self.closeWaitEnds = closeWaitEnds
    }

    public static var zero: Self { Self() }

    /// The four figures in declaration order (what the arithmetic below works on).
    var figures: [Value] { [activeCloses, resets, passiveCloses, closeWaitEnds] }

    init(figures: [Value]) {
        self.init(activeCloses: figures[0], resets: figures[1], passiveCloses: figures[2], closeWaitEnds: figures[3])
    }
}

/// Transitions counted since the source was opened, or in one interval.
public typealias CloseCounts = CloseFigures<UInt64>
/// `CloseCounts` per second over one interval.
public typealias CloseRates = CloseFigures<Double>

extension CloseFigures where Value == UInt64 {
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
        CloseRates(figures: figures.map { seconds > 0 ? Double($0) / seconds : 0 })
    }
}
