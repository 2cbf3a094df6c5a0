/// Turns successive cumulative reads of the close-event source into figures per interval.
///
/// The source's counters start at zero when it is opened and only grow, so the first read's
/// interval runs from `openedAt`. A figure that went down (the source was reopened) starts
/// over from that read. Monotonic time is injected.
public struct CloseEventTally: Sendable {
    private var previous: CloseEventCounts
    private var previousTime: Duration

    /// A tally for a source opened at `openedAt` (monotonic).
    public init(openedAt: Duration) {
        previous = CloseEventCounts()
        previousTime = openedAt
    }

    /// The figures of the interval that ends with `counts`, read at `now` (monotonic).
    public mutating func record(_ counts: CloseEventCounts, at now: Duration) -> CloseEventInterval {
        let seconds = max(0, Self.seconds(now - previousTime))
        var interval = CloseEventInterval(seconds: seconds)
        for (key, port) in counts.ports {
            let earlier = previous.ports[key]
            let added = port.counts.subtracting(earlier?.counts ?? .zero) ?? port.counts
            interval.ports[key] = PortCloseInterval(
                total: port.counts, interval: added, perSecond: added.perSecond(over: seconds),
                closers: port.closers, intervalClosers: Self.intervalClosers(port.closers, earlier?.closers ?? []))
        }
        interval.lostCounts = Self.difference(counts.statistics.lostCounts, previous.statistics.lostCounts)
        interval.unsampledCloses = Self.difference(counts.statistics.closersFull, previous.statistics.closersFull)
        interval.statistics = counts.statistics
        previous = counts
        previousTime = now
        return interval
    }

    /// Per closer, the closes of this interval: the growth of its count when it was sampled
    /// before, else its certain closes; closers without closes in the interval left out.
    private static func intervalClosers(_ now: [Closer], _ before: [Closer]) -> [Closer] {
        now.compactMap { closer in
            var added = closer
            if let earlier = before.first(where: { $0.pid == closer.pid }) {
                added.closes = difference(closer.closes, earlier.closes)
                added.certainCloses = difference(closer.certainCloses, earlier.certainCloses)
            } else {
                added.closes = closer.certainCloses
            }
            return added.closes > 0 ? added : nil
        }
        .sorted { ($0.closes, $1.pid) > ($1.closes, $0.pid) }
    }

    private static func difference(_ now: UInt64, _ before: UInt64) -> UInt64 { now >= before ? now - before : now }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// The close-event figures of one interval (what `CloseEventTally.record` returns).
public struct CloseEventInterval: Sendable, Equatable {
    /// The interval's length.
    public var seconds: Double
    /// Every port the source has counted since it was opened (also ports quiet in this interval).
    public var ports: [CloseEventPort: PortCloseInterval]
    /// Transitions lost in this interval (map full, or the program busy on that CPU).
    public var lostCounts: UInt64
    /// Active closes in this interval whose closer was not sampled (closer map full).
    public var unsampledCloses: UInt64
    /// The program's cumulative counters at the end of the interval.
    public var statistics: CloseEventStatistics

    public init(seconds: Double, ports: [CloseEventPort: PortCloseInterval] = [:], lostCounts: UInt64 = 0,
                unsampledCloses: UInt64 = 0, statistics: CloseEventStatistics = CloseEventStatistics()) {
        self.seconds = seconds
        self.ports = ports
        self.lostCounts = lostCounts
        self.unsampledCloses = unsampledCloses
        self.statistics = statistics
    }
}

/// One port's figures for an interval.
public struct PortCloseInterval: Sendable, Equatable {
    /// Since the source was opened (`twmon_port_active_closes_total` and friends).
    public var total: CloseCounts
    /// In this interval.
    public var interval: CloseCounts
    /// `interval` per second (`closes_per_second`, exact).
    public var perSecond: CloseRates
    /// The top closers since the source was opened, most closes first.
    public var closers: [Closer]
    /// The top closers of this interval, most closes first.
    public var intervalClosers: [Closer]

    public init(total: CloseCounts, interval: CloseCounts, perSecond: CloseRates, closers: [Closer], intervalClosers: [Closer]) {
        self.total = total
        self.interval = interval
        self.perSecond = perSecond
        self.closers = closers
        self.intervalClosers = intervalClosers
    }
}
