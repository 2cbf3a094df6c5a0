/// `time_wait`: a server port piles up TIME_WAIT — the server closes its connections first.
///
/// Observes TIME_WAIT sockets per port; only listening (server) ports raise it, a client's
/// TIME_WAIT being normal. Judged by `[alert]` and the port's `[ports.N]` override.
public struct TimeWaitAlertFigures: AlertKindRules {
    /// ESTABLISHED sockets on the port.
    public var established: Int
    /// Who listens on the port (the cgroup of its LISTEN socket), when known.
    public var owner: PortOwner?
    /// The port's active closes per second, from the TIME_WAIT timers; nil when unknown.
    public var recentCloses: RecentCloses?
    /// The port's top TIME_WAIT remote addresses, when the scan tallied them (`alert.top_peers`):
    /// the scan after a port comes near its threshold tallies them, so an alert raised by the
    /// first scan over it names its peers from its next reminder at the latest.
    public var topPeers: [PeerCount]
    /// The processes that closed first on the port, most closes first, when the close-event
    /// source counts them; empty otherwise.
    public var closers: [Closer]

    public init(established: Int, owner: PortOwner? = nil, recentCloses: RecentCloses? = nil, topPeers: [PeerCount] = [], closers: [Closer] = []) {
        self.established = established
        self.owner = owner
        self.recentCloses = recentCloses
        self.topPeers = topPeers
        self.closers = closers
    }

    /// ` closed by nginx[812]`: the top closer, escaped for people; "" when none is known.
    var closedBy: String {
        closers.first.map { ", closed by \(TerminalText.name($0.comm))[\($0.pid)]" } ?? ""
    }

    public static let kind = AlertKind.timeWait
    public static let countName = "time_wait"
    public static let countLabel = "TIME_WAIT"
    public static let raisedMessageID = "b409c94814fd48d4b7a71e21b7432752"
    public static let clearedMessageID = "a779194c3e234e67b1716dd035ad43b6"
    public static let listingOrder = 2
    public static let subjectShape = AlertSubject.Shape.port
    public static let interfaceSummary = ["a server port piles up TIME_WAIT (the server closes first)"]
    public static let interfaceMembers = [
        AlertInterfaceMember("established: ?int", "ESTABLISHED sockets on the port."),
        AlertInterfaceMember("closes_per_second: ?[string]float", "active closes per second on the port, keys \"10s\" and \"60s\"", "(as in Port)."),
        AlertInterfaceMember("closes_source: ?string", "\"ebpf\" when closes_per_second comes from close events (as in Port)."),
        AlertInterfaceMember("closers: ?[]Closer", "the processes that closed first on the port, most closes first, with", "[events] source = \"ebpf\" (as in Port)."),
        AlertInterfaceMember("unit: ?string", "the owner of the port's LISTEN socket, when known (as in Port)."),
        AlertInterfaceMember("cgroup: ?string"),
        AlertInterfaceMember("container: ?Container"),
    ]

    public static func observations(in scan: ScanFindings, _ context: AlertObservationContext) -> [AlertObservation]? {
        scan.table.ports.compactMap { stats in
            guard (stats.listening && stats.timeWait > 0) || context.tracked.contains(.port(stats.port)) else { return nil }
            return AlertObservation(subject: .port(stats.port), count: stats.timeWait, mayRaise: stats.listening, figures: TimeWaitAlertFigures(
                established: stats.states[.established], owner: stats.owner, recentCloses: stats.recentCloses,
                topPeers: scan.peers[stats.port] ?? [], closers: stats.closers))
        }
    }

    public static func limits(for subject: AlertSubject, in netns: NetworkNamespace, configuration: Configuration, counters: NamespaceCounters?) -> AlertLimits? {
        guard case .port(let port) = subject else { return nil }
        return configuration.limits(for: port, in: netns.name)
    }

    public var gone: TimeWaitAlertFigures {
        TimeWaitAlertFigures(established: 0, owner: owner, recentCloses: recentCloses.map { RecentCloses(source: $0.source) }, closers: closers)
    }

    public func message(_ event: AlertEvent, _ alert: Alert, active: String) -> String {
        switch event {
        case .raised, .reminder:
            let still = event == .reminder ? "still " : ""
            let age = event == .reminder ? ", alert active for \(active)" : ""
            let rate = recentCloses.map { ", ≈ \(RecentCloses.rateText($0.perSecond60)) closes/s by the server" } ?? ""
            return "\(AlertJournal.portName(alert)): \(still)\(alert.count) sockets in TIME_WAIT\(rate) (threshold \(alert.limits.threshold)\(age)) — the server is closing connections first\(closedBy)"
        case .cleared:
            let rate = recentCloses.map { ", ≈ \(RecentCloses.rateText($0.perSecond60)) closes/s" } ?? ""
            return "\(AlertJournal.portName(alert)): TIME_WAIT down to \(alert.count) (below \(alert.limits.clearBelow))\(rate); alert cleared after \(active), peak \(alert.peak)"
        }
    }

    public func journalFields(_ alert: Alert) -> [(String, String)] {
        [("TWMON_ESTABLISHED", String(established))] + AlertJournal.ownerFields(owner, recentCloses: recentCloses)
            + [("TWMON_TOP_PEERS", AlertJournal.peerList(topPeers))]
            + (closers.first.map { [("TWMON_CLOSER_COMM", $0.comm), ("TWMON_CLOSER_PID", String($0.pid))] } ?? [])
    }

    public func listingDetail(_ alert: Alert) -> String {
        (recentCloses.map { ", ≈ \(RecentCloses.rateText($0.perSecond60)) closes/s" } ?? "") + ", clears below \(alert.limits.clearBelow)"
    }

    /// CRITICAL at `MonitoringCheck.criticalFactor` times the threshold, WARNING below.
    public func verdict(_ alert: Alert) -> (state: MonitoringCheck.State, finding: String) {
        let critical = alert.count >= MonitoringCheck.criticalLevel(alert.limits.threshold)
        let rate = recentCloses.map { " at \(RecentCloses.rateText($0.perSecond60)) closes/s" } ?? ""
        return (critical ? .critical : .warning,
                "\(alert.subject)\(PortOwner.suffix(owner)) TIME_WAIT \(alert.count) ≥ \(alert.limits.threshold)\(critical ? " (×\(MonitoringCheck.criticalFactor))" : "")\(rate)")
    }

    /// `established`, `closes_per_second` when known, the owner members when known. The peers
    /// are not part of the Varlink `Alert`.
    public func write(into json: inout JSONWriter) {
        json.member("established", established)
        if let recentCloses {
            json.key("closes_per_second"); ScanReport.writeCloseRates(recentCloses, into: &json)
            ScanReport.writeCloseSource(recentCloses, closers: closers, into: &json)
        }
        if let owner { ScanReport.writeOwner(owner, into: &json) }
    }

    public init(from decoder: any Decoder) throws {
        let members = try decoder.container(keyedBy: WireKey.self)
        self.init(established: try members.decode(Int.self, forKey: "established"), owner: try members.owner(), recentCloses: try members.recentCloses(),
                  closers: try members.closers())
    }
}

extension AlertPolicy {
    /// Ports of the namespace named `netns` whose TIME_WAIT peers are worth tallying in the
    /// next scan (they become the `topPeers` of the alert): active TIME_WAIT alerts and ports
    /// on their way to one.
    public func portsNearAlert(in netns: String) -> [UInt16] {
        busySubjects(of: .timeWait, in: netns).compactMap(\.port)
    }

    /// `portsNearAlert` of every namespace that has some, by namespace name.
    public var portsNearAlertByNamespace: [String: [UInt16]] {
        busySubjectsByNamespace(of: .timeWait).mapValues { $0.compactMap(\.port) }
    }
}
