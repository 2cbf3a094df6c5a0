/// One alert of any kind, with the figures of the scan that produced it.
public struct Alert: Sendable, Equatable {
    /// What the alert is about: the kind of its figures.
    public var kind: AlertKind { type(of: figures).kind }
    /// Which port, destination or namespace.
    public var subject: AlertSubject
    /// The network namespace the subject is in.
    public var netns: NetworkNamespace
    /// The counted figure now (`kind.countName`).
    public var count: Int
    /// The threshold, clear level and sustain in force.
    public var limits: AlertLimits
    /// When the alert was raised (wall clock, seconds since the epoch).
    public var since: Double
    /// The highest count seen while the alert was active.
    public var peak: Int
    /// What else the kind reports: a value of the kind's own type (`TimeWaitAlertFigures`, …),
    /// which also carries the kind's rules.
    public var figures: any AlertKindRules

    public init(subject: AlertSubject, count: Int, limits: AlertLimits, since: Double, peak: Int, figures: any AlertKindRules, netns: NetworkNamespace = .ownHost) {
        self.subject = subject
        self.netns = netns
        self.count = count
        self.limits = limits
        self.since = since
        self.peak = peak
        self.figures = figures
    }

    /// The port, for the per-port kinds.
    public var port: UInt16? { subject.port }

    public static func == (lhs: Alert, rhs: Alert) -> Bool {
        lhs.subject == rhs.subject && lhs.netns == rhs.netns && lhs.count == rhs.count && lhs.limits == rhs.limits && lhs.since == rhs.since
            && lhs.peak == rhs.peak && lhs.figures.isEqual(to: rhs.figures)
    }
}
