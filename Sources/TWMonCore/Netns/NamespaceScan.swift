/// What one scan knows of one network namespace other than twmond's own: its table and its
/// counters, read in full this scan or, when nothing in it has changed since, kept from the
/// last full read (`OtherNamespaces`).
public struct NamespaceScan: Sendable {
    /// Which namespace.
    public var netns: NetworkNamespace
    /// The per-port table; its listening ports are owned by the namespace's owner.
    public var table: PortTable
    /// Its `tw` (sockstat) and TIME_WAIT event counters (netstat); its sysctls cannot be read
    /// from outside, so `timeWait.maxBuckets`, `ephemeralPorts` and `twReuse` are nil.
    public var counters: NamespaceCounters?
    /// Active closes counted per server port since twmond first saw the namespace.
    public var activeCloses: [UInt16: Int]
    /// When the table was read in full (wall clock, seconds since the epoch): this scan, or an
    /// earlier one when the namespace's TCP counters had not moved since.
    public var readAt: Double

    public init(netns: NetworkNamespace, table: PortTable, counters: NamespaceCounters?, activeCloses: [UInt16: Int] = [:], readAt: Double) {
        self.netns = netns
        self.table = table
        self.counters = counters
        self.activeCloses = activeCloses
        self.readAt = readAt
    }
}
