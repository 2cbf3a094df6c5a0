/// The namespace's TIME_WAIT total and its limit, read from /proc.
public struct NamespaceTimeWait: Sendable, Equatable {
    /// `tw` in /proc/net/sockstat.
    public var timeWait: Int
    /// `net.ipv4.tcp_max_tw_buckets`; nil when it cannot be read (another namespace's sysctls
    /// cannot be read from outside it).
    public var maxBuckets: Int?

    public init(timeWait: Int, maxBuckets: Int?) {
        self.timeWait = timeWait
        self.maxBuckets = maxBuckets
    }
}
