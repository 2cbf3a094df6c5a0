/// What an alert is about. Each kind's rules — what it observes, its limits, figures, journal
/// entries, listing line, monitoring verdict and wire coding — live in one file under
/// `Alerts/Kinds/`; `rules` finds them.
public enum AlertKind: String, Sendable, Equatable, Hashable, CaseIterable, Comparable {
    case timeWait = "time_wait"
    case closeWait = "close_wait"
    case ephemeralPorts = "ephemeral_ports"
    case twBuckets = "tw_buckets"
    case twOverflow = "tw_overflow"

    /// The type that holds the kind's rules and whose values are its alerts' figures.
    public var rules: any AlertKindRules.Type {
        switch self {
        case .timeWait: TimeWaitAlertFigures.self
        case .closeWait: CloseWaitAlertFigures.self
        case .ephemeralPorts: EphemeralPortsAlertFigures.self
        case .twBuckets: TWBucketsAlertFigures.self
        case .twOverflow: TWOverflowAlertFigures.self
        }
    }

    /// The JSON member (and, upper-cased after `TWMON_`, the journal field) of the counted figure.
    public var countName: String { rules.countName }

    /// The counted figure as people read it in tables: `TIME_WAIT`, `CLOSE_WAIT`, `sockets`, `overflow`.
    public var countLabel: String { rules.countLabel }

    /// The journal field of the counted figure: `TWMON_TIME_WAIT`, `TWMON_CLOSE_WAIT`, …
    public var countField: String { "TWMON_" + countName.uppercased() }

    /// MESSAGE_ID of a raised alert and its reminders (explained in `systemd/twmond.catalog`).
    public var raisedMessageID: String { rules.raisedMessageID }

    /// MESSAGE_ID of the alert's clearing.
    public var clearedMessageID: String { rules.clearedMessageID }

    /// The priority of raised and reminder entries. Cleared entries are notices.
    public var raisedPriority: JournalEntry.Priority { rules.raisedPriority }

    /// Order in listings (`listingOrder`): namespace-wide first, then per port, then per destination.
    public static func < (lhs: AlertKind, rhs: AlertKind) -> Bool { lhs.rules.listingOrder < rhs.rules.listingOrder }
}
