/// `ephemeral_ports`: the client sockets of one (local address, remote address, remote port)
/// hold most of the usable ephemeral range — `connect()` to that destination fails with
/// EADDRNOTAVAIL when it runs out.
///
/// Observes sockets per client destination against `ip_local_port_range` minus
/// `ip_local_reserved_ports`. Judged by `[ephemeral_ports]` and `[alert]`.
public struct EphemeralPortsAlertFigures: AlertKindRules {
    /// The configured share of the usable range that raises the alert.
    public var ratio: Double
    /// The TIME_WAIT sockets among the destination's sockets.
    public var timeWait: Int
    /// Local ports usable for connections (`ip_local_port_range` minus `ip_local_reserved_ports`).
    public var usablePorts: Int
    /// `ip_local_port_range` as `LOW-HIGH`.
    public var portRange: String
    /// `net.ipv4.tcp_tw_reuse` (0 off, 1 on, 2 loopback only), when readable.
    public var twReuse: Int?

    public init(ratio: Double, timeWait: Int, usablePorts: Int, portRange: String, twReuse: Int?) {
        self.ratio = ratio
        self.timeWait = timeWait
        self.usablePorts = usablePorts
        self.portRange = portRange
        self.twReuse = twReuse
    }

    public static let kind = AlertKind.ephemeralPorts
    public static let countName = "sockets"
    public static let countLabel = "sockets"
    public static let raisedMessageID = "31a2334cf9a444ceaf7c6cb4bc0919b6"
    public static let clearedMessageID = "dae1633df57b4a83be163f59e0c1f315"
    public static let listingOrder = 4
    public static let subjectShape = AlertSubject.Shape.clientTuple
    public static let interfaceSummary = ["one (local address, remote address, remote port) holds most", "of the usable ephemeral range (time_wait: the TIME_WAIT share of its sockets)"]
    public static let interfaceMembers = [
        AlertInterfaceMember("ratio: ?float", "the configured share of the usable range that raises the alert."),
        AlertInterfaceMember("time_wait: ?int"),
        AlertInterfaceMember("usable_ports: ?int", "usable ports of the range, the range, tcp_tw_reuse."),
        AlertInterfaceMember("port_range: ?string"),
        AlertInterfaceMember("tw_reuse: ?int"),
    ]

    public static func observations(in scan: ScanFindings, _ context: AlertObservationContext) -> [AlertObservation]? {
        guard let range = scan.counters?.ephemeralPorts else { return nil }
        return scan.clientTuples.map { tally in
            AlertObservation(subject: .clientTuple(tally.tuple), count: tally.sockets, figures: EphemeralPortsAlertFigures(
                ratio: context.configuration.ephemeralPorts.ratio, timeWait: tally.timeWait, usablePorts: range.usable,
                portRange: range.text, twReuse: scan.counters?.twReuse))
        }
    }

    public static func limits(for subject: AlertSubject, in netns: NetworkNamespace, configuration: Configuration, counters: NamespaceCounters?) -> AlertLimits? {
        guard case .clientTuple = subject else { return nil }
        return limits(configuration, range: counters?.ephemeralPorts)
    }

    /// `ephemeral_ports.ratio` of the usable range, or nil when the alert is off or the range unknown.
    static func limits(_ configuration: Configuration, range: EphemeralPortRange?) -> AlertLimits? {
        let ratio = configuration.ephemeralPorts.ratio
        guard ratio > 0, let range, range.usable > 0 else { return nil }
        return AlertLimits(threshold: max(1, wholeCeiling(range.usable, times: ratio)),
                           clearRatio: configuration.alert.clearRatio, sustain: configuration.alert.sustain)
    }

    public var gone: EphemeralPortsAlertFigures {
        var figures = self
        figures.timeWait = 0
        return figures
    }

    private var twReuseText: String { twReuse.map(String.init) ?? "?" }

    public func message(_ event: AlertEvent, _ alert: Alert, active: String) -> String {
        switch event {
        case .raised, .reminder:
            let still = event == .reminder ? "still " : ""
            return "\(alert.subject): \(still)\(alert.count) sockets hold local ports, \(AlertJournal.percent(alert.count, of: usablePorts)) of the \(usablePorts) usable ephemeral ports (\(portRange), \(timeWait) in TIME_WAIT, tcp_tw_reuse=\(twReuseText)) — connect() to this destination fails with EADDRNOTAVAIL when they run out"
        case .cleared:
            return "\(alert.subject): down to \(alert.count) sockets (below \(alert.limits.clearBelow)) of \(usablePorts) usable ephemeral ports; alert cleared after \(active), peak \(alert.peak)"
        }
    }

    public func journalFields(_ alert: Alert) -> [(String, String)] {
        var fields = [("TWMON_RATIO", AlertJournal.ratioText(ratio)), ("TWMON_TIME_WAIT", String(timeWait)),
                      ("TWMON_USABLE_PORTS", String(usablePorts)), ("TWMON_PORT_RANGE", portRange)]
        if let twReuse { fields.append(("TWMON_TW_REUSE", String(twReuse))) }
        return fields
    }

    public func listingDetail(_ alert: Alert) -> String {
        " of \(usablePorts) usable ports (\(portRange)), \(timeWait) TIME_WAIT, tcp_tw_reuse=\(twReuseText)"
    }

    /// CRITICAL from `MonitoringCheck.criticalEphemeralShare` of the usable range, WARNING below.
    public func verdict(_ alert: Alert) -> (state: MonitoringCheck.State, finding: String) {
        let critical = usablePorts > 0 && Double(alert.count) >= MonitoringCheck.criticalEphemeralShare * Double(usablePorts)
        return (critical ? .critical : .warning, "\(alert.subject) \(alert.count) of \(usablePorts) ephemeral ports\(critical ? " (≥ 95 %)" : "")")
    }

    public func write(into json: inout JSONWriter) {
        json.member("ratio", ratio)
        json.member("time_wait", timeWait)
        json.member("usable_ports", usablePorts)
        json.member("port_range", portRange)
        if let twReuse { json.member("tw_reuse", twReuse) }
    }

    public init(from decoder: any Decoder) throws {
        let members = try decoder.container(keyedBy: WireKey.self)
        self.init(ratio: try members.decode(Double.self, forKey: "ratio"), timeWait: try members.decode(Int.self, forKey: "time_wait"),
                  usablePorts: try members.decode(Int.self, forKey: "usable_ports"), portRange: try members.decode(String.self, forKey: "port_range"),
                  twReuse: try members.decodeIfPresent(Int.self, forKey: "tw_reuse"))
    }
}

extension AlertPolicy {
    /// The fewest sockets on one client destination that can matter to `ephemeral_ports`
    /// (its clear level), or nil when the alert is off; a scan need not report fewer. While
    /// a destination is tracked, every destination is reported, so that its figures stay
    /// true however far it falls.
    public func clientTupleFloor(_ range: EphemeralPortRange?) -> Int? {
        if isTracking(.ephemeralPorts) { return 1 }
        guard let limits = EphemeralPortsAlertFigures.limits(configuration, range: range) else { return nil }
        return max(1, min(limits.threshold, limits.clearBelow))
    }
}
