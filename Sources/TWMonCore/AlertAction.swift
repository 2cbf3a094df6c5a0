/// What the alert policy decided after one scan: each is one journal entry.
public enum AlertAction: Sendable, Equatable {
    /// A server port's TIME_WAIT count stayed at or above its threshold for `sustain` scans.
    case portRaised(PortAlert)
    /// The port's alert is still active; a reminder with the current count.
    case portReminder(PortAlert)
    /// The port's count stayed below the clear level for `sustain` scans.
    case portCleared(PortAlert)
    /// The namespace's TIME_WAIT total approaches `net.ipv4.tcp_max_tw_buckets`.
    case namespaceRaised(NamespaceAlert)
    case namespaceReminder(NamespaceAlert)
    case namespaceCleared(NamespaceAlert)
}

/// A TIME_WAIT alert on one server port, with the figures of the scan that produced it.
public struct PortAlert: Sendable, Equatable {
    public var port: UInt16
    /// TIME_WAIT sockets on the port now.
    public var timeWait: Int
    /// ESTABLISHED sockets on the port now.
    public var established: Int
    /// The port's threshold and clear level.
    public var limits: AlertLimits
    /// When the alert was raised (wall clock, seconds since the epoch).
    public var since: Double
    /// The highest TIME_WAIT count seen while the alert was active.
    public var peak: Int
    /// Who listens on the port, when known.
    public var owner: PortOwner?
    /// The port's active closes in the last 10 and 60 s, at the scan that produced the alert.
    public var recentCloses = RecentCloses()

    public init(port: UInt16, timeWait: Int, established: Int, limits: AlertLimits, since: Double, peak: Int) {
        self.port = port
        self.timeWait = timeWait
        self.established = established
        self.limits = limits
        self.since = since
        self.peak = peak
    }
}

/// The namespace-wide TIME_WAIT alert.
public struct NamespaceAlert: Sendable, Equatable {
    /// TIME_WAIT sockets in the namespace (`tw` in /proc/net/sockstat).
    public var timeWait: Int
    /// `net.ipv4.tcp_max_tw_buckets`.
    public var maxBuckets: Int
    /// The configured share of `maxBuckets` that raises the alert.
    public var ratio: Double
    /// The count that raises the alert.
    public var threshold: Int
    /// When the alert was raised (wall clock).
    public var since: Double

    public init(timeWait: Int, maxBuckets: Int, ratio: Double, threshold: Int, since: Double) {
        self.timeWait = timeWait
        self.maxBuckets = maxBuckets
        self.ratio = ratio
        self.threshold = threshold
        self.since = since
    }
}

/// The namespace's TIME_WAIT total and its limit, read from /proc.
public struct NamespaceTimeWait: Sendable, Equatable {
    /// `tw` in /proc/net/sockstat.
    public var timeWait: Int
    /// `net.ipv4.tcp_max_tw_buckets`.
    public var maxBuckets: Int

    public init(timeWait: Int, maxBuckets: Int) {
        self.timeWait = timeWait
        self.maxBuckets = maxBuckets
    }
}
