/// Everything the Prometheus exposition is rendered from: a plain value the daemon fills after
/// every scan (and after a failed one), so `MetricsRenderer` stays a pure function tested with
/// values. The fields after `twBucketsMax` are optional inputs that only some sources can fill;
/// what is nil (or empty) is left out of the exposition.
public struct MetricsInput: Sendable {
    /// An alert active now.
    public struct ActiveAlert: Sendable, Equatable {
        /// Its kind, as `twmon_alert_active{kind}` names it (`time_wait`, `tw_buckets`, …).
        public var kind: String
        /// The port it is about; nil for a namespace-wide alert.
        public var port: UInt16?

        public init(kind: String, port: UInt16?) {
            self.kind = kind
            self.port = port
        }

        /// `alert` as `twmon_alert_active` shows it: its kind, and its port for the port kinds
        /// (an `ephemeral_ports` alert is about a destination, whose addresses are no label).
        public init(_ alert: Alert) {
            self.init(kind: alert.kind.rawValue, port: alert.port)
        }
    }

    /// The alert kinds twmond knows, each rendered in `twmon_alerts_raised_total` from the
    /// start (at 0), so `increase()` sees its first raise.
    public static let defaultAlertKinds = AlertKind.allCases.map(\.rawValue)

    /// The per-port table of the latest successful scan.
    public var table: PortTable
    /// How many of the busiest client ports (no LISTEN socket) get `twmon_port_sockets`.
    public var clientPorts: Int
    /// How many idle server ports (no TIME_WAIT, no CLOSE_WAIT, no alert) get the per-port
    /// series, the lowest port numbers first (`metrics.max_idle_server_ports`).
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
    /// `net.ipv4.tcp_max_tw_buckets`, when readable.
    public var twBucketsMax: Int?
    /// `scan.interval` in seconds (`twmon_scan_interval_seconds`), so a rule can tell a stale
    /// last scan whatever the interval.
    public var scanInterval: Double?
    /// The owner (systemd unit) of each server port, when known: `unit` label.
    public var owners: [UInt16: String]
    /// New TIME_WAIT sockets counted once each (active closes) per server port since the
    /// daemon started: `twmon_port_active_closes_total`. Nil when not counted.
    public var activeCloses: [UInt16: Int]?
    /// `TcpExtTCPTimeWaitOverflow` of the namespace: `twmon_tw_overflow_total`.
    public var twOverflowTotal: Int?
    /// Local ports usable for outgoing connections: `twmon_ephemeral_ports_usable`.
    public var ephemeralPortsUsable: Int?

    public init(
        table: PortTable, clientPorts: Int = 10, maxIdleServerPorts: Int = 1_000, activeAlerts: [ActiveAlert] = [], alertsRaised: [String: Int] = [:],
        alertKinds: [String] = MetricsInput.defaultAlertKinds, scans: Int = 0, scanFailures: Int = 0,
        scanDurations: ScanDurationHistogram = ScanDurationHistogram(), lastScan: Double? = nil,
        version: String = TWMonVersion.current, source: String, twBucketsMax: Int? = nil, owners: [UInt16: String] = [:],
        activeCloses: [UInt16: Int]? = nil, twOverflowTotal: Int? = nil, ephemeralPortsUsable: Int? = nil,
        scanInterval: Double? = nil
    ) {
        self.table = table
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
        self.owners = owners
        self.activeCloses = activeCloses
        self.twOverflowTotal = twOverflowTotal
        self.ephemeralPortsUsable = ephemeralPortsUsable
        self.scanInterval = scanInterval
    }

    /// The ports the per-port series show.
    public struct ExportedPorts: Sendable, Equatable {
        /// Server ports, ascending: every one with TIME_WAIT, CLOSE_WAIT or an active alert, and
        /// the `maxIdleServerPorts` idle ones with the lowest numbers (ports below 1024, which
        /// only a privileged process can bind, come first).
        public var server: [PortStats]
        /// The `clientPorts` client ports with the most sockets (ties: lower port first).
        public var client: [PortStats]
        /// Idle server ports left out because there were more than `maxIdleServerPorts`.
        public var omittedServerPorts: Int
    }

    /// The ports the per-port series show, chosen in one pass over the table (plus a sort of
    /// the client ports): the exposition stays bounded however many listeners a local user
    /// opens.
    public var exportedPorts: ExportedPorts {
        var alerted = Set<UInt16>()
        for alert in activeAlerts { if let port = alert.port { alerted.insert(port) } }
        var exported = ExportedPorts(server: [], client: [], omittedServerPorts: 0)
        var idleShown = 0
        for stats in table.ports {
            guard stats.listening else {
                exported.client.append(stats)
                continue
            }
            let busy = stats.timeWait > 0 || stats.states[.closeWait] > 0 || alerted.contains(stats.port)
            if busy {
                exported.server.append(stats)
            } else if idleShown < maxIdleServerPorts {
                idleShown += 1
                exported.server.append(stats)
            } else {
                exported.omittedServerPorts += 1
            }
        }
        guard clientPorts > 0 else {
            exported.client = []
            return exported
        }
        exported.client.sort { $0.total != $1.total ? $0.total > $1.total : $0.port < $1.port }
        if exported.client.count > clientPorts { exported.client.removeSubrange(clientPorts...) }
        return exported
    }

    /// The unit of each server port of `table` whose owner names one (the `unit` label).
    public static func owners(of table: PortTable) -> [UInt16: String] {
        var owners: [UInt16: String] = [:]
        for stats in table.ports where stats.listening {
            if let unit = stats.owner?.unit { owners[stats.port] = unit }
        }
        return owners
    }
}
