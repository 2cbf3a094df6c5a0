/// `tw_overflow`: the kernel destroyed TIME_WAIT sockets past `tcp_max_tw_buckets` (TcpExt
/// TCPTimeWaitOverflow) — those connections lost TIME_WAIT's protection.
///
/// Observes the counter's increase since the previous scan: one increase raises it, `sustain`
/// scans without one clear it. Switched by `tw_overflow.enabled`.
public struct TWOverflowAlertFigures: AlertKindRules {
    /// TIME_WAIT sockets destroyed since twmond started.
    public var overflowSinceStart: Int
    /// Connections that reused a TIME_WAIT 4-tuple since twmond started (TWRecycled).
    public var twRecycledSinceStart: Int

    public init(overflowSinceStart: Int, twRecycledSinceStart: Int) {
        self.overflowSinceStart = overflowSinceStart
        self.twRecycledSinceStart = twRecycledSinceStart
    }

    public static let kind = AlertKind.twOverflow
    public static let countName = "overflow"
    public static let countLabel = "overflow"
    public static let raisedMessageID = "4407f9bba2bf452092f5791b8eea272a"
    public static let clearedMessageID = "a96f1a891d95426282d8711988025ccb"
    /// Connections losing TIME_WAIT's protection is an error.
    public static let raisedPriority = JournalEntry.Priority.error
    public static let listingOrder = 0
    public static let subjectShape = AlertSubject.Shape.namespace
    public static let interfaceSummary = ["the kernel destroyed TIME_WAIT sockets past that limit"]
    public static let interfaceMembers = [
        AlertInterfaceMember("overflow_since_start: ?int", "sockets destroyed, and connect() calls that reused a", "TIME_WAIT 4-tuple (TWRecycled), since twmond started."),
        AlertInterfaceMember("tw_recycled_since_start: ?int"),
    ]

    public static func observations(in scan: ScanFindings, _ context: AlertObservationContext) -> [AlertObservation]? {
        guard let events = scan.counters?.timeWaitEvents else { return nil }
        // The first scan sets the baseline; a counter that went down (a new namespace
        // behind the proc root) starts a new one.
        let previous = context.previousEvents.flatMap { $0.overflow <= events.overflow ? $0 : nil } ?? events
        let first = context.firstEvents.flatMap { $0.overflow <= events.overflow ? $0 : nil } ?? events
        return [AlertObservation(subject: .namespace, count: events.overflow - previous.overflow, figures: TWOverflowAlertFigures(
            overflowSinceStart: events.overflow - first.overflow,
            twRecycledSinceStart: max(0, events.recycled - first.recycled)))]
    }

    public static func limits(for subject: AlertSubject, in netns: NetworkNamespace, configuration: Configuration, counters: NamespaceCounters?) -> AlertLimits? {
        guard subject == .namespace, configuration.twOverflow.enabled else { return nil }
        return AlertLimits(threshold: 1, clearRatio: 1, sustain: 1, clearSustain: configuration.alert.sustain)
    }

    public var gone: TWOverflowAlertFigures { self }

    public func message(_ event: AlertEvent, _ alert: Alert, active: String) -> String {
        switch event {
        case .raised, .reminder:
            let still = event == .reminder ? "still " : ""
            return "\(AlertJournal.namespaceName(alert)): the kernel \(still)destroyed \(alert.count) TIME_WAIT sockets past net.ipv4.tcp_max_tw_buckets since the last scan (\(overflowSinceStart) since twmond started) — those connections lost TIME_WAIT's protection"
        case .cleared:
            return "\(AlertJournal.namespaceName(alert)): no TIME_WAIT overflow for \(alert.limits.scansToClear) scans (\(overflowSinceStart) TIME_WAIT sockets destroyed since twmond started, peak \(alert.peak) in one interval); alert cleared after \(active)"
        }
    }

    public func journalFields(_ alert: Alert) -> [(String, String)] {
        [("TWMON_OVERFLOW_SINCE_START", String(overflowSinceStart)), ("TWMON_TW_RECYCLED_SINCE_START", String(twRecycledSinceStart))]
    }

    public func listingDetail(_ alert: Alert) -> String { ", \(overflowSinceStart) destroyed since twmond started" }

    /// Always CRITICAL: connections lost TIME_WAIT's protection.
    public func verdict(_ alert: Alert) -> (state: MonitoringCheck.State, finding: String) {
        (.critical, "TIME_WAIT overflow: \(overflowSinceStart) sockets destroyed past tcp_max_tw_buckets")
    }

    public func write(into json: inout JSONWriter) {
        json.member("overflow_since_start", overflowSinceStart)
        json.member("tw_recycled_since_start", twRecycledSinceStart)
    }

    public init(from decoder: any Decoder) throws {
        let members = try decoder.container(keyedBy: WireKey.self)
        self.init(overflowSinceStart: try members.decode(Int.self, forKey: "overflow_since_start"),
                  twRecycledSinceStart: try members.decode(Int.self, forKey: "tw_recycled_since_start"))
    }
}
