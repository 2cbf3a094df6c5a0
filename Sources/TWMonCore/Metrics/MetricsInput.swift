/// Everything the Prometheus exposition is rendered from: a plain value the daemon fills after
/// every scan (and after a failed one), so `MetricsRenderer` stays a pure function tested with
/// values. The fields after `twBucketsMax` are optional inputs that only some sources can fill;
/// what is nil (or empty) is left out of the exposition.
///
/// The figures of twmond's own namespace are `own`; those of every other namespace watched are
/// `others`, each series labelled `netns` with the namespace's name.
public struct MetricsInput: Sendable {
    /// An alert active now.
    public struct ActiveAlert: Sendable, Equatable {
        /// Its kind, as `twmon_alert_active{kind}` names it (`time_wait`, `tw_buckets`, …).
        public var kind: String
        /// The port it is about; nil for a namespace-wide alert.
        public var port: UInt16?
        /// The name of the namespace it is in (`netns` label).
        public var netns: String

        public init(kind: String, port: UInt16?, netns: String = NetworkNamespace.hostName) {
            self.kind = kind
            self.port = port
            self.netns = netns
        }

        /// `alert` as `twmon_alert_active` shows it: its kind, its namespace, and its port for
        /// the port kinds (an `ephemeral_ports` alert is about a destination, whose addresses
        /// are no label).
        public init(_ alert: Alert) {
            self.init(kind: alert.kind.rawValue, port: alert.port, netns: alert.netns.name)
        }
    }

    /// The figures of one network namespace.
    public struct Namespace: Sendable {
        /// Its name: the `netns` label.
        public var name: String
        /// Its per-port table (of the latest successful scan).
        public var table: PortTable
        /// The owner (systemd unit) of each server port, when known: `unit` label.
        public var owners: [UInt16: String]
        /// New TIME_WAIT sockets counted once each (active closes) per server port since
        /// twmond started or first saw the namespace: `twmon_port_active_closes_total`. Nil
        /// when not counted.
        public var activeCloses: [UInt16: Int]?
        /// `tw` of its sockstat: `twmon_tw_buckets`.
        public var timeWait: Int?
        /// Its `TcpExtTCPTimeWaitOverflow`: `twmon_tw_overflow_total`.
        public var twOverflowTotal: Int?

        public init(
            name: String, table: PortTable, owners: [UInt16: String] = [:], activeCloses: [UInt16: Int]? = nil,
            timeWait: Int? = nil, twOverflowTotal: Int? = nil
        ) {
            self.name = name
            self.table = table
            self.owners = owners
            self.activeCloses = activeCloses
            self.timeWait = timeWait
            self.twOverflowTotal = twOverflowTotal
        }

        /// Another namespace as one scan saw it; a listening port without an owner of its own
        /// is owned by the namespace's owner (its `unit` label).
        public init(_ scan: NamespaceScan) {
            self.init(
                name: scan.netns.name, table: scan.table, owners: MetricsInput.owners(of: scan.table, default: scan.netns.owner?.unit),
                activeCloses: scan.activeCloses, timeWait: scan.counters?.timeWait?.timeWait,
                twOverflowTotal: scan.counters?.timeWaitEvents?.overflow
            )
        }
    }

    /// The alert kinds twmond knows, each rendered in `twmon_alerts_raised_total` from the
    /// start (at 0), so `increase()` sees its first raise.
    public static let defaultAlertKinds = AlertKind.allCases.map(\.rawValue)

    /// twmond's own namespace.
    public var own: Namespace
    /// Every other namespace watched, in the order their series are written (by name).
    public var others: [Namespace]
    /// How many of the busiest client ports (no LISTEN socket), of all namespaces together,
    /// get `twmon_port_sockets`.
    public var clientPorts: Int
    /// How many idle server ports (no TIME_WAIT, no CLOSE_WAIT, no alert), of all namespaces
    /// together, get the per-port series (`metrics.max_idle_server_ports`): the own
    /// namespace's first, then the others' in order, the lowest port numbers first in each.
    public var maxIdleServerPorts: Int
    /// Alerts active now.
    public var activeAlerts: [ActiveAlert]
    /// Alerts raised since the daemon started, per kind.
    public var alertsRaised: [String: Int]
    /// The kinds `twmon_alerts_raised_total` always shows.
    public var alertKinds: [String]
    /// Scans that succeeded since the daemon started.
    public var scans: Int
    /// Scans that failed since the daemon started.
    public var scanFailures: Int
    /// Durations of the successful scans.
    public var scanDurations: ScanDurationHistogram
    /// When the latest successful scan started (seconds since the epoch); nil before the first.
    public var lastScan: Double?
    /// twmond's version.
    public var version: String
    /// The scan source in use (`proc`, `netlink`).
    public var source: String
    /// The own namespace's `net.ipv4.tcp_max_tw_buckets`, when readable (another namespace's
    /// cannot be read).
    public var twBucketsMax: Int?
    /// `scan.interval` in seconds (`twmon_scan_interval_seconds`), so a rule can tell a stale
    /// last scan whatever the interval.
    public var scanInterval: Double?
    /// Local ports of the own namespace usable for outgoing connections:
    /// `twmon_ephemeral_ports_usable`.
    public var ephemeralPortsUsable: Int?

    /// The own namespace's figures are `table`, `owners`, `activeCloses`, `timeWait` and
    /// `twOverflowTotal`, its name `netns`.
    public init(
        table: PortTable, clientPorts: Int = 10, maxIdleServerPorts: Int = 1_000, activeAlerts: [ActiveAlert] = [], alertsRaised: [String: Int] = [:],
        alertKinds: [String] = MetricsInput.defaultAlertKinds, scans: Int = 0, scanFailures: Int = 0,
        scanDurations: ScanDurationHistogram = ScanDurationHistogram(), lastScan: Double? = nil,
        version: String = TWMonVersion.current, source: String, twBucketsMax: Int? = nil, owners: [UInt16: String] = [:],
        activeCloses: [UInt16: Int]? = nil, twOverflowTotal: Int? = nil, ephemeralPortsUsable: Int? = nil,
        scanInterval: Double? = nil, netns: String = NetworkNamespace.hostName, timeWait: Int? = nil, others: [Namespace] = []
    ) {
        own = Namespace(name: netns, table: table, owners: owners, activeCloses: activeCloses, timeWait: timeWait, twOverflowTotal: twOverflowTotal)
        self.others = others
        self.clientPorts = clientPorts
        self.maxIdleServerPorts = maxIdleServerPorts
        self.activeAlerts = activeAlerts
        self.alertsRaised = alertsRaised
        self.alertKinds = alertKinds
        self.scans = scans
        self.scanFailures = scanFailures
        self.scanDurations = scanDurations
        self.lastScan = lastScan
        self.version = version
        self.source = source
        self.twBucketsMax = twBucketsMax
        self.ephemeralPortsUsable = ephemeralPortsUsable
        self.scanInterval = scanInterval
    }

    /// The own namespace, then the others: what `ExportedPort.namespace` indexes.
    public var namespaces: [Namespace] { [own] + others }

    /// One port the per-port series show.
    public struct ExportedPort: Sendable, Equatable {
        /// Its namespace: an index into `namespaces`.
        public var namespace: Int
        /// Its sockets.
        public var stats: PortStats
        /// Its number.
        public var port: UInt16 { stats.port }
    }

    /// The ports the per-port series show, and the namespaces the namespace-wide ones show.
    public struct ExportedPorts: Sendable, Equatable {
        /// Server ports, by namespace (own first), ascending in each: every one with
        /// TIME_WAIT, CLOSE_WAIT or an active alert, and `maxIdleServerPorts` idle ones in
        /// all (the own namespace's first; ports below 1024, which only a privileged process
        /// can bind there, come first).
        public var server: [ExportedPort]
        /// The `clientPorts` client ports with the most sockets, of all namespaces (ties:
        /// lower port first, then namespace order).
        public var client: [ExportedPort]
        /// Idle server ports, of all namespaces, left out because there were more than
        /// `maxIdleServerPorts`.
        public var omittedServerPorts: Int
        /// The namespaces (indices into `namespaces`, ascending) whose namespace-wide figures
        /// are shown: the own one always, another one when it has an exported port, TIME_WAIT
        /// sockets or an active alert. An idle namespace only counts in `twmon_namespaces`, so
        /// a user who makes thousands of empty namespaces adds no series.
        public var namespaces: [Int]
    }

    /// The ports the per-port series show, chosen in one pass over the tables (plus a sort of
    /// the client ports): the exposition stays bounded however many listeners, or namespaces
    /// holding listeners, a local user opens.
    public var exportedPorts: ExportedPorts {
        let namespaces = namespaces
        var index: [String: Int] = [:]
        for (position, namespace) in namespaces.enumerated() { index[namespace.name] = index[namespace.name] ?? position }
        var alerted = Set<AlertedPort>()
        var namespacesAlerted = Set<Int>()
        for alert in activeAlerts {
            guard let position = index[alert.netns] else { continue }
            namespacesAlerted.insert(position)
            if let port = alert.port { alerted.insert(AlertedPort(namespace: position, port: port)) }
        }
        var exported = ExportedPorts(server: [], client: [], omittedServerPorts: 0, namespaces: [])
        var shown = [Bool](repeating: false, count: namespaces.count)
        var idleShown = 0
        for (position, namespace) in namespaces.enumerated() {
            let serverBefore = exported.server.count
            for stats in namespace.table.ports {
                guard stats.listening else {
                    if clientPorts > 0 { exported.client.append(ExportedPort(namespace: position, stats: stats)) }
                    continue
                }
                let busy = stats.timeWait > 0 || stats.states[.closeWait] > 0 || alerted.contains(AlertedPort(namespace: position, port: stats.port))
                if busy {
                    exported.server.append(ExportedPort(namespace: position, stats: stats))
                } else if idleShown < maxIdleServerPorts {
                    idleShown += 1
                    exported.server.append(ExportedPort(namespace: position, stats: stats))
                } else {
                    exported.omittedServerPorts += 1
                }
            }
            let timeWait = namespace.timeWait ?? namespace.table.totals[.timeWait]
            shown[position] = position == 0 || exported.server.count > serverBefore || timeWait > 0 || namespacesAlerted.contains(position)
        }
        exported.client.sort { lhs, rhs in
            if lhs.stats.total != rhs.stats.total { return lhs.stats.total > rhs.stats.total }
            return lhs.port != rhs.port ? lhs.port < rhs.port : lhs.namespace < rhs.namespace
        }
        if exported.client.count > clientPorts { exported.client.removeSubrange(clientPorts...) }
        for port in exported.client { shown[port.namespace] = true }
        exported.namespaces = shown.indices.filter { shown[$0] }
        return exported
    }

    /// The unit of each server port of `table` whose owner names one (the `unit` label), else
    /// `default` when given.
    public static func owners(of table: PortTable, default unit: String? = nil) -> [UInt16: String] {
        var owners: [UInt16: String] = [:]
        for stats in table.ports where stats.listening {
            if let named = stats.owner?.unit ?? unit { owners[stats.port] = named }
        }
        return owners
    }
}

/// A port in alert, in one namespace.
private struct AlertedPort: Hashable {
    var namespace: Int
    var port: UInt16
}
