/// Everything that differs between alert kinds, provided by one type per kind (one file each in
/// `Alerts/Kinds/`). A value of the type is an alert's figures: what the kind reports besides its
/// count. `AlertKind.rules` finds a kind's type; the policy, the journal, listings, the check and
/// the wire coding call these members and never switch over kinds.
public protocol AlertKindRules: Sendable, Equatable, Decodable {
    /// The kind these rules are for.
    static var kind: AlertKind { get }
    /// The JSON member (and, upper-cased after `TWMON_`, the journal field) of the counted figure.
    static var countName: String { get }
    /// The counted figure as people read it in tables: `TIME_WAIT`, `sockets`, …
    static var countLabel: String { get }
    /// MESSAGE_ID of a raised alert and its reminders (explained in `systemd/twmond.catalog`).
    static var raisedMessageID: String { get }
    /// MESSAGE_ID of the alert's clearing.
    static var clearedMessageID: String { get }
    /// The priority of raised and reminder entries (cleared entries are notices).
    static var raisedPriority: JournalEntry.Priority { get }
    /// Position in listings, lowest first.
    static var listingOrder: Int { get }
    /// What the kind's alerts are about.
    static var subjectShape: AlertSubject.Shape { get }
    /// The kind in the comment of the Varlink `Alert` type: what it means, in lines of words.
    static var interfaceSummary: [String] { get }
    /// The members `write(into:)` adds to the Varlink `Alert` type, in order (a member another
    /// kind declared first is declared once).
    static var interfaceMembers: [AlertInterfaceMember] { get }

    /// What a scan shows of the kind: one observation per subject, or nil when the scan shows
    /// nothing about it (unreadable counters) and its trackers must stay as they are.
    static func observations(in scan: ScanFindings, _ context: AlertObservationContext) -> [AlertObservation]?
    /// The limits `subject` in `netns` is judged by now, or nil when it must not alert (an
    /// ignored port, the kind switched off, a limit that cannot be read).
    static func limits(for subject: AlertSubject, in netns: NetworkNamespace, configuration: Configuration, counters: NamespaceCounters?) -> AlertLimits?

    /// The figures of a subject whose sockets are gone: socket counts zero, settings kept.
    var gone: Self { get }
    /// Who listens on the alert's port, for the port kinds; always nil for the others.
    var owner: PortOwner? { get set }

    /// The journal MESSAGE of `event` on `alert` (whose figures are `self`); `active` is how
    /// long the alert has been active, in words.
    func message(_ event: AlertEvent, _ alert: Alert, active: String) -> String
    /// The journal fields of the figures, in order, between the limits and `TWMON_PEAK`.
    func journalFields(_ alert: Alert) -> [(String, String)]
    /// What `twmonctl alerts` adds after the common part of the alert's line.
    func listingDetail(_ alert: Alert) -> String
    /// The `twmonctl check` state the active alert calls for, and how the output names it.
    func verdict(_ alert: Alert) -> (state: MonitoringCheck.State, finding: String)
    /// Writes the figures as members of the Varlink `Alert` object.
    func write(into json: inout JSONWriter)
    /// Decodes the figures from a Varlink `Alert` object (`Alert.init(from:)`).
    init(from decoder: any Decoder) throws
}

extension AlertKindRules {
    public static var raisedPriority: JournalEntry.Priority { .warning }

    public var owner: PortOwner? {
        get { nil }
        set {}
    }

    /// True when `other` is figures of the same kind with the same values.
    func isEqual(to other: any AlertKindRules) -> Bool {
        (other as? Self) == self
    }
}

/// One figure a kind observed in a scan.
public struct AlertObservation: Sendable {
    /// What it is about.
    public var subject: AlertSubject
    /// The counted figure.
    public var count: Int
    /// False for values that must never raise the alert (a port that is not listening);
    /// they still count towards clearing it.
    public var mayRaise: Bool
    /// What else the kind reports.
    public var figures: any AlertKindRules

    public init(subject: AlertSubject, count: Int, mayRaise: Bool = true, figures: any AlertKindRules) {
        self.subject = subject
        self.count = count
        self.mayRaise = mayRaise
        self.figures = figures
    }
}

/// What a kind may know, besides the scan, when it observes: the configuration, the subjects
/// it already tracks and the namespace's TIME_WAIT event counters at earlier scans.
public struct AlertObservationContext: Sendable {
    /// The configuration the policy judges by.
    public var configuration: Configuration
    /// The kind's subjects with a tracker (active or on the way to a change).
    public var tracked: Set<AlertSubject>
    /// The counters at the previous scan that had them.
    public var previousEvents: TimeWaitEventCounters?
    /// The counters at the first scan that had them (since twmond started, or since they went down).
    public var firstEvents: TimeWaitEventCounters?
}
