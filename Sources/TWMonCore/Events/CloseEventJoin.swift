/// Turns successive reads of the close-event source into what a scan's ports show: per server
/// port, exact close rates over 10 and 60 s, the top closers and the exact total of active
/// closes, joined to a namespace by the inode of its /proc/PID/net/tcp (`NetworkNamespace.key`).
///
/// The source counts per interval (one read per scan); a window of W seconds is the shortest
/// run of whole intervals ending now that covers W seconds, or everything since the source was
/// opened when that is shorter: with a 5 s scan interval exactly the last 10 and 60 s. Monotonic
/// time is injected.
public struct CloseEventJoin: Sendable {
    private var tally: CloseEventTally
    private let openedAt: Duration
    /// Per port, (time, active closes since opened) at each read still needed for the 60 s window.
    private var history: [CloseEventPort: [(time: Duration, total: UInt64)]] = [:]

    public init(openedAt: Duration) {
        tally = CloseEventTally(openedAt: openedAt)
        self.openedAt = openedAt
    }

    /// Records one read at `now` (monotonic) and returns the figures to join to this scan's tables.
    public mutating func record(_ counts: CloseEventCounts, at now: Duration) -> CloseEventScan {
        let interval = tally.record(counts, at: now)
        var rates: [CloseEventPort: RecentCloses] = [:]
        for (key, port) in interval.ports where key.side == .local {
            // The counts start at zero when the source is opened.
            var samples = history[key] ?? [(openedAt, 0)]
            samples.append((now, port.total.activeCloses))
            rates[key] = RecentCloses(
                last10Seconds: Self.count(in: .seconds(10), samples, now: now),
                last60Seconds: Self.count(in: .seconds(60), samples, now: now), source: .ebpf)
            // Keep the latest sample at or before now - 60 s and everything after it.
            if let keep = samples.lastIndex(where: { $0.time <= now - .seconds(60) }) { samples.removeFirst(keep) }
            history[key] = samples
        }
        history = history.filter { interval.ports[$0.key] != nil }
        return CloseEventScan(counts: counts, interval: interval, rates: rates)
    }

    /// Closes in a window of `window`, scaled to exactly `window` (so that `RecentCloses`'s
    /// per-second figures divide back to the measured rate), from the shortest run of samples
    /// ending now that covers it.
    private static func count(in window: Duration, _ samples: [(time: Duration, total: UInt64)], now: Duration) -> Int {
        guard let last = samples.last else { return 0 }
        let base = samples.last(where: { $0.time <= now - window }) ?? samples[0]
        let seconds = Self.seconds(last.time - base.time)
        guard seconds > 0, last.total >= base.total else { return 0 }
        let value = (Double(last.total - base.total) / seconds * Self.seconds(window)).rounded()
        return value < Double(Int32.max) ? Int(value) : Int(Int32.max)
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// The close-event figures of one scan (`CloseEventJoin.record`).
public struct CloseEventScan: Sendable {
    /// The read they come from.
    public var counts: CloseEventCounts
    public var interval: CloseEventInterval
    /// Close rates of each local (server) port.
    public var rates: [CloseEventPort: RecentCloses]

    /// Closers shown per port (JSON `closers`, the alert).
    public static let shownClosers = 3

    public init(counts: CloseEventCounts, interval: CloseEventInterval, rates: [CloseEventPort: RecentCloses]) {
        self.counts = counts
        self.interval = interval
        self.rates = rates
    }

    /// Gives the listening ports of `table`, in the namespace whose /proc/PID/net/tcp has inode
    /// `key`, their exact close rates, closers and active-close totals (in `activeCloses`).
    /// Ports the source has not counted, and every port of a namespace it has not seen yet
    /// (no TCP state changed there since it was opened), keep the table walk's figures.
    public func join(into table: inout PortTable, activeCloses: inout [UInt16: Int], namespaceKey key: UInt64) {
        guard key != 0, let namespace = counts.namespaceInode(procTCPInode: key) else { return }
        for index in table.ports.indices where table.ports[index].listening {
            let port = CloseEventPort(namespaceInode: namespace, port: table.ports[index].port, side: .local)
            guard let figures = interval.ports[port] else { continue }
            table.ports[index].recentCloses = rates[port] ?? RecentCloses(source: .ebpf)
            table.ports[index].closers = Array(figures.closers.prefix(Self.shownClosers))
            activeCloses[port.port] = figures.total.activeCloses < UInt64(Int.max) ? Int(figures.total.activeCloses) : .max
        }
    }

    /// The CLOSE_WAIT figures the events give the ports of the namespace whose
    /// /proc/PID/net/tcp has inode `key` (see `CloseEventCounts.closeWaitFigures`); empty for a
    /// namespace the source has not seen.
    public func closeWait(namespaceKey key: UInt64, minAge: Double) -> [UInt16: CloseWaitFigures] {
        guard key != 0, let namespace = counts.namespaceInode(procTCPInode: key) else { return [:] }
        return counts.closeWaitFigures(namespaceInode: namespace, minAge: minAge)
    }
}
