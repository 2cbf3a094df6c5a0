/// `close_wait`: CLOSE_WAIT sockets older than `close_wait.min_age` pile up on a port — the
/// application never closes connections its peers closed.
///
/// Observes the old CLOSE_WAIT sockets per port (any port). Judged by `[close_wait]` and the
/// port's `[ports.N]` override.
public struct CloseWaitAlertFigures: AlertKindRules {
    /// The age of the oldest CLOSE_WAIT socket on the port, in whole seconds.
    public var oldestAgeSeconds: Int
    /// The age from which a CLOSE_WAIT socket counts (`close_wait.min_age`).
    public var minAgeSeconds: Double
    /// Who listens on the port, when known.
    public var owner: PortOwner?

    public init(oldestAgeSeconds: Int, minAgeSeconds: Double, owner: PortOwner? = nil) {
        self.oldestAgeSeconds = oldestAgeSeconds
        self.minAgeSeconds = minAgeSeconds
        self.owner = owner
    }

    public static let kind = AlertKind.closeWait
    public static let countName = "close_wait"
    public static let countLabel = "CLOSE_WAIT"
    public static let raisedMessageID = "bf85ef4af5964014aa8d9ddc8f43ea03"
    public static let clearedMessageID = "d8771f3ca1614d318362a1e6e93d4b7e"
    public static let listingOrder = 3
    public static let subjectShape = AlertSubject.Shape.port
    public static let interfaceSummary = ["old CLOSE_WAIT sockets pile up on a port (the application", "never closes connections its peers closed)"]
    public static let interfaceMembers = [
        AlertInterfaceMember("oldest_age_seconds: ?int", "age of the oldest CLOSE_WAIT socket on the port, and the", "configured min_age, in seconds."),
        AlertInterfaceMember("min_age: ?float"),
        AlertInterfaceMember("unit: ?string"), AlertInterfaceMember("cgroup: ?string"), AlertInterfaceMember("container: ?Container"),
    ]

    public static func observations(in scan: ScanFindings, _ context: AlertObservationContext) -> [AlertObservation]? {
        scan.closeWait.compactMap { port, figures in
            guard figures.old > 0 || context.tracked.contains(.port(port)) else { return nil }
            return AlertObservation(subject: .port(port), count: figures.old, figures: CloseWaitAlertFigures(
                oldestAgeSeconds: figures.oldestAgeSeconds, minAgeSeconds: context.configuration.closeWait.minAge,
                owner: scan.table[port: port]?.owner))
        }
    }

    public static func limits(for subject: AlertSubject, in netns: NetworkNamespace, configuration: Configuration, counters: NamespaceCounters?) -> AlertLimits? {
        guard case .port(let port) = subject else { return nil }
        return configuration.closeWaitLimits(for: port, in: netns.name)
    }

    public var gone: CloseWaitAlertFigures {
        CloseWaitAlertFigures(oldestAgeSeconds: 0, minAgeSeconds: minAgeSeconds, owner: owner)
    }

    public func message(_ event: AlertEvent, _ alert: Alert, active: String) -> String {
        let minAge = AlertJournal.seconds(minAgeSeconds)
        switch event {
        case .raised, .reminder:
            let still = event == .reminder ? "still " : ""
            return "\(AlertJournal.portName(alert)): \(still)\(alert.count) sockets in CLOSE_WAIT for \(minAge) or more (threshold \(alert.limits.threshold), oldest \(UTCTimestamp.span(Double(oldestAgeSeconds)))) — the application does not close connections its peers closed"
        case .cleared:
            return "\(AlertJournal.portName(alert)): CLOSE_WAIT sockets older than \(minAge) down to \(alert.count) (below \(alert.limits.clearBelow)); alert cleared after \(active), peak \(alert.peak)"
        }
    }

    public func journalFields(_ alert: Alert) -> [(String, String)] {
        [("TWMON_OLDEST_AGE_SECONDS", String(oldestAgeSeconds)), ("TWMON_MIN_AGE", AlertJournal.number(minAgeSeconds))]
            + AlertJournal.ownerFields(owner, recentCloses: nil)
    }

    public func listingDetail(_ alert: Alert) -> String {
        ", oldest \(UTCTimestamp.span(Double(oldestAgeSeconds)))"
    }

    /// Always WARNING.
    public func verdict(_ alert: Alert) -> (state: MonitoringCheck.State, finding: String) {
        (.warning, "\(alert.subject)\(PortOwner.suffix(owner)) CLOSE_WAIT \(alert.count) ≥ \(alert.limits.threshold)")
    }

    public func write(into json: inout JSONWriter) {
        json.member("oldest_age_seconds", oldestAgeSeconds)
        json.member("min_age", minAgeSeconds)
        if let owner { ScanReport.writeOwner(owner, into: &json) }
    }

    public init(from decoder: any Decoder) throws {
        let members = try decoder.container(keyedBy: WireKey.self)
        self.init(oldestAgeSeconds: try members.decode(Int.self, forKey: "oldest_age_seconds"), minAgeSeconds: try members.decode(Double.self, forKey: "min_age"),
                  owner: try members.owner())
    }
}
