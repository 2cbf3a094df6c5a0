/// What one scan step of the daemon found and decided: the value every sink consumes (the
/// journal, sd_notify STATUS, the snapshot store, a metrics exporter). Nothing in it refers
/// back to the engine.
public struct ScanOutcome: Sendable {
    /// The per-port table.
    public var table: PortTable
    /// The namespace's counters, when readable.
    public var counters: NamespaceCounters?
    /// The transitions of this scan, each one journal entry (a time_wait alert's peers ride
    /// in its figures).
    public var actions: [AlertAction]
    /// The alerts active after this scan.
    public var alerts: [Alert]
    /// When the scan started (wall clock) and how long the socket table took to read.
    public var scannedAt: Double
    public var duration: Duration
    /// Successful scans since start, this one included.
    public var scanCount: Int
    /// `proc` or `netlink`.
    public var source: String
    /// The problems in force (unreadable counters, a refused reload), as one line.
    public var problem: String?
    /// Active closes counted per server port since twmond started (`ActiveCloseCounter`):
    /// every TIME_WAIT socket once, in the scan that first saw it.
    public var activeCloses: [UInt16: Int]
    /// twmond's own namespace, whose figures are `table` and `counters`.
    public var ownNamespace: NetworkNamespace
    /// Every other namespace watched (`scan.namespaces = "all"`), by name.
    public var otherNamespaces: [NamespaceScan]

    public init(
        table: PortTable, counters: NamespaceCounters?, actions: [AlertAction],
        alerts: [Alert], scannedAt: Double, duration: Duration, scanCount: Int, source: String,
        problem: String?, activeCloses: [UInt16: Int] = [:],
        ownNamespace: NetworkNamespace = .ownHost, otherNamespaces: [NamespaceScan] = []
    ) {
        self.table = table
        self.counters = counters
        self.actions = actions
        self.alerts = alerts
        self.scannedAt = scannedAt
        self.duration = duration
        self.scanCount = scanCount
        self.source = source
        self.problem = problem
        self.activeCloses = activeCloses
        self.ownNamespace = ownNamespace
        self.otherNamespaces = otherNamespaces
    }

    /// The scan's duration in whole milliseconds.
    public var milliseconds: Int {
        Int(duration.inWholeMilliseconds)
    }
}
