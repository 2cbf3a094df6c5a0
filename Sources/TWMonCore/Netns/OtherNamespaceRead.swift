/// One namespace other than twmond's own as one `OtherNamespaces.scan` saw it: its table (read
/// in full this scan, or kept from the last full read when its activity has not moved since,
/// or empty when it holds no socket) and its counters.
public struct OtherNamespaceRead: Sendable, Equatable {
    /// Which namespace, named for this scan.
    public var netns: NetworkNamespace
    /// The table and its by-products. Its listening ports are owned by `netns.owner` (the
    /// cgroup of a socket is not known without privilege). A kept table keeps its CLOSE_WAIT
    /// sockets and top peers, and has no `newActiveCloses` (there were none since).
    public var result: ScanResult
    /// `tw` of its sockstat and the TcpExt TIME_WAIT counters of its netstat (nil when those
    /// could not be read); its sysctls cannot be read from outside, so `maxBuckets`,
    /// `ephemeralPorts` and `twReuse` are nil.
    public var counters: NamespaceCounters
    /// What its sockstat and dev said this scan.
    public var activity: NamespaceActivity
    /// True when the table was read in full this scan.
    public var readInFull: Bool
    /// When the table was last known exact (wall clock, seconds since the epoch): the full read
    /// it comes from, or this scan for an empty namespace.
    public var readAt: Double

    public init(netns: NetworkNamespace, result: ScanResult, counters: NamespaceCounters, activity: NamespaceActivity, readInFull: Bool, readAt: Double) {
        self.netns = netns
        self.result = result
        self.counters = counters
        self.activity = activity
        self.readInFull = readInFull
        self.readAt = readAt
    }
}
