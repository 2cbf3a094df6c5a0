
/// Everything the daemon knows after its latest scan: what the control socket and the status
/// line report. A value; the poll loop publishes a new one after every scan.
public struct MonitorSnapshot: Sendable {
    /// The per-port table of the latest scan.
    public var table: PortTable
    /// When the latest scan started (wall clock, seconds since the epoch).
    public var scannedAt: Double
    /// How long it took.
    public var scanDuration: Duration
    /// `proc` or `netlink`.
    public var source: String
    /// Scans done since the daemon started.
    public var scanCount: Int
    /// Active alerts of every kind, by kind and subject.
    public var alerts: [Alert]
    /// The namespace's counters, when readable.
    public var namespace: NamespaceCounters?
    /// Recent raised/cleared transitions, oldest first.
    public var history: [AlertEventRecord]
    /// The configuration in force.
    public var configuration: Configuration
    /// When the daemon started (wall clock).
    public var startedAt: Double
    /// The latest problem worth showing (a failed scan or reload), if any.
    public var problem: String?
    /// twmond's own namespace, whose figures are `table` and `namespace`.
    public var ownNamespace: NetworkNamespace
    /// Every other namespace watched, by name.
    public var otherNamespaces: [NamespaceScan]

    public init(
        table: PortTable, scannedAt: Double, scanDuration: Duration, source: String, scanCount: Int,
        alerts: [Alert], namespace: NamespaceCounters?,
        history: [AlertEventRecord], configuration: Configuration, startedAt: Double, problem: String?,
        ownNamespace: NetworkNamespace = .ownHost, otherNamespaces: [NamespaceScan] = []
    ) {
        self.table = table
        self.scannedAt = scannedAt
        self.scanDuration = scanDuration
        self.source = source
        self.scanCount = scanCount
        self.alerts = alerts
        self.namespace = namespace
        self.history = history
        self.configuration = configuration
        self.startedAt = startedAt
        self.problem = problem
        self.ownNamespace = ownNamespace
        self.otherNamespaces = otherNamespaces
    }
}

extension AlertEventRecord {
    /// What the transition was about, in a listing: `:8080`, `:8080 in docker 3f2a9c1b7d0e`.
    public var place: String {
        netns.own ? subject.description : "\(subject) in \(netns.shownName)"
    }
}

/// One raised, reminder or cleared transition as `ListAlerts` keeps it (the Varlink
/// `AlertEvent`): the event, its alert's kind and subject, the figures that decided it, when.
public struct AlertEventRecord: Sendable, Equatable {
    public var event: AlertEvent
    public var kind: AlertKind
    public var subject: AlertSubject
    /// The namespace of the subject.
    public var netns: NetworkNamespace
    /// Why a cleared alert ended, when not because its count fell.
    public var reason: AlertAction.Reason?
    /// The counted figure at the transition.
    public var count: Int
    /// The threshold in force.
    public var threshold: Int
    /// When it happened (wall clock).
    public var at: Double

    public init(
        event: AlertEvent, kind: AlertKind, subject: AlertSubject, count: Int, threshold: Int, at: Double,
        netns: NetworkNamespace = .ownHost, reason: AlertAction.Reason? = nil
    ) {
        self.event = event
        self.netns = netns
        self.reason = reason
        self.kind = kind
        self.subject = subject
        self.count = count
        self.threshold = threshold
        self.at = at
    }

    /// The record of `action`, at `at`.
    public init(_ action: AlertAction, at: Double) {
        self.init(event: action.event, kind: action.alert.kind, subject: action.alert.subject, count: action.alert.count,
                  threshold: action.alert.limits.threshold, at: at, netns: action.alert.netns, reason: action.reason)
    }
}
