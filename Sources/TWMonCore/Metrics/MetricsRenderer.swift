/// Renders twmond's Prometheus exposition from a `MetricsInput`: the same bytes are served at
/// `GET /metrics` and written to the textfile for node_exporter. Pure: values in, bytes out.
///
/// Series, with S exported server ports and C exported client ports over all namespaces
/// (`MetricsInput.ExportedPorts`: the busy server ports, at most `metrics.max_idle_server_ports`
/// idle ones and `metrics.client_ports` client ports in all) and N namespaces with figures (the
/// own one, and each other one with an exported port, TIME_WAIT or an alert): 12 × (S + C) of
/// `twmon_port_sockets` (every state of every exported port, zeros included, so a series does
/// not vanish when a count drops to 0), 12 × N of `twmon_sockets`, N each of
/// `twmon_tw_buckets` and `twmon_tw_overflow_total`, S of `twmon_port_active_closes_total`,
/// one per active alert, one per alert kind, 14 for the scan histogram and a handful of single
/// gauges and counters. Every series about ports or a namespace carries `netns`, the
/// namespace's name. Linear in the tables: one pass, no copy of the buffer per sample, each
/// family written once (its HELP and TYPE, then its samples of every namespace). No label takes
/// a remote address or any other value a client chooses.
public enum MetricsRenderer {
    /// The media type of the exposition.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The exposition for `input`.
    public static func render(_ input: MetricsInput) -> [UInt8] {
        render(input, ports: input.exportedPorts)
    }

    /// The exposition for `input` with its per-port series for `exported`, which must be
    /// `input.exportedPorts` (for a caller that needs the selection too: one pass, not two).
    public static func render(_ input: MetricsInput, ports exported: MetricsInput.ExportedPorts) -> [UInt8] {
        let server = exported.server, client = exported.client
        let namespaces = input.namespaces
        var writer = PrometheusTextWriter(reservingCapacity: 2_048 + 1_200 * (server.count + client.count) + 600 * exported.namespaces.count)

        writer.family(
            "twmon_port_sockets", type: "gauge",
            help: "Sockets on a local TCP port per state: every server port (one with a LISTEN socket) and the busiest client ports, per network namespace."
        )
        for (ports, role) in [(server, "server"), (client, "client")] {
            for exportedPort in ports {
                let stats = exportedPort.stats, namespace = namespaces[exportedPort.namespace]
                let unit = role == "server" ? namespace.owners[stats.port] : nil
                for state in TCPState.allCases {
                    writer.sample("twmon_port_sockets", value: stats.states[state]) { labels in
                        labels.label("netns", namespace.name)
                        labels.label("port", Int(stats.port))
                        labels.label("role", role)
                        if let unit { labels.label("unit", unit) }
                        labels.label("state", state.metricName)
                    }
                }
            }
        }
        writer.single(
            "twmon_server_ports_omitted", type: "gauge",
            help: "Idle server ports (no TIME_WAIT, no CLOSE_WAIT, no alert) of all namespaces left out of the per-port metrics: more than metrics.max_idle_server_ports.",
            exported.omittedServerPorts)
        writer.single("twmon_namespaces", type: "gauge", help: "Network namespaces watched, twmond's own included.", namespaces.count)

        writer.family("twmon_sockets", type: "gauge", help: "TCP sockets of a network namespace per state.")
        for position in exported.namespaces {
            let namespace = namespaces[position], totals = namespace.table.totals
            for state in TCPState.allCases {
                writer.sample("twmon_sockets", value: totals[state]) { labels in
                    labels.label("netns", namespace.name)
                    labels.label("state", state.metricName)
                }
            }
        }

        if namespaces.contains(where: { $0.activeCloses != nil }) {
            writer.family(
                "twmon_port_active_closes_total", type: "counter",
                help: "Connections a server port closed first since twmond started (or first saw its namespace): each new TIME_WAIT socket counted (approximately) once, or every close counted exactly since the close-event source was opened ([events] source = \"ebpf\")."
            )
            for exportedPort in server {
                let namespace = namespaces[exportedPort.namespace]
                guard let closes = namespace.activeCloses else { continue }
                writer.sample("twmon_port_active_closes_total", value: closes[exportedPort.port] ?? 0) { labels in
                    labels.label("netns", namespace.name)
                    labels.label("port", Int(exportedPort.port))
                    if let unit = namespace.owners[exportedPort.port] { labels.label("unit", unit) }
                }
            }
        }

        writer.family(
            "twmon_alert_active", type: "gauge",
            help: "Alerts twmond has active now, per kind, namespace and port: 1 for a port or a namespace; for ephemeral_ports, the destinations in alert."
        )
        // One series per (kind, namespace, port): ephemeral_ports alerts are about
        // destinations, whose addresses are no label, so they share one series that counts them.
        var owners: [String: [UInt16: String]] = [:]
        for namespace in namespaces { owners[namespace.name] = owners[namespace.name] ?? namespace.owners }
        var active: [ActiveAlertKey: Int] = [:]
        for alert in input.activeAlerts { active[ActiveAlertKey(kind: alert.kind, netns: alert.netns, port: alert.port), default: 0] += 1 }
        for (alert, count) in active.sorted(by: { ($0.key.kind, $0.key.netns, $0.key.port ?? 0) < ($1.key.kind, $1.key.netns, $1.key.port ?? 0) }) {
            writer.sample("twmon_alert_active", value: count) { labels in
                labels.label("kind", alert.kind)
                labels.label("netns", alert.netns)
                if let port = alert.port {
                    labels.label("port", Int(port))
                    if let unit = owners[alert.netns]?[port] { labels.label("unit", unit) }
                }
            }
        }

        writer.family("twmon_alerts_raised_total", type: "counter", help: "Alerts raised since twmond started, per kind.")
        for kind in Set(input.alertKinds).union(input.alertsRaised.keys).sorted() {
            writer.sample("twmon_alerts_raised_total", value: input.alertsRaised[kind] ?? 0) { $0.label("kind", kind) }
        }

        let ownName = input.own.name
        perNamespace(
            "twmon_tw_buckets", type: "gauge", help: "TIME_WAIT sockets of a network namespace (tw in its /proc/net/sockstat).",
            exported.namespaces, of: namespaces, into: &writer, \.timeWait)
        if let maximum = input.twBucketsMax {
            writer.family("twmon_tw_buckets_max", type: "gauge", help: "net.ipv4.tcp_max_tw_buckets: TIME_WAIT sockets the namespace holds at most (known for twmond's own namespace only).")
            writer.sample("twmon_tw_buckets_max", value: maximum) { $0.label("netns", ownName) }
        }
        perNamespace(
            "twmon_tw_overflow_total", type: "counter",
            help: "TIME_WAIT sockets the kernel dropped because tcp_max_tw_buckets was full (TcpExtTCPTimeWaitOverflow), per network namespace.",
            exported.namespaces, of: namespaces, into: &writer, \.twOverflowTotal)
        if let usable = input.ephemeralPortsUsable {
            writer.family("twmon_ephemeral_ports_usable", type: "gauge", help: "Local ports the kernel may choose for outgoing connections (ip_local_port_range less ip_local_reserved_ports) in twmond's own namespace.")
            writer.sample("twmon_ephemeral_ports_usable", value: usable) { $0.label("netns", ownName) }
        }

        if let interval = input.scanInterval {
            writer.single("twmon_scan_interval_seconds", type: "gauge", help: "scan.interval: seconds between two scans.", interval)
        }

        writer.single("twmon_scans_total", type: "counter", help: "Scans of the socket table that succeeded since twmond started.", input.scans)
        writer.single("twmon_scan_failures_total", type: "counter", help: "Scans of the socket table that failed since twmond started.", input.scanFailures)

        writer.family("twmon_scan_duration_seconds", type: "histogram", help: "How long successful scans took.")
        let histogram = input.scanDurations
        for (bound, count) in zip(ScanDurationHistogram.bounds, histogram.cumulative) {
            writer.sample("twmon_scan_duration_seconds_bucket", labels: ["le": boundText(bound)], count)
        }
        writer.sample("twmon_scan_duration_seconds_bucket", labels: ["le": "+Inf"], histogram.count)
        writer.sample("twmon_scan_duration_seconds_sum", histogram.sum)
        writer.sample("twmon_scan_duration_seconds_count", histogram.count)

        if let lastScan = input.lastScan {
            writer.single("twmon_last_scan_timestamp_seconds", type: "gauge", help: "When the latest successful scan started, in seconds since the epoch.", lastScan)
        }
        writer.family("twmon_build_info", type: "gauge", help: "Always 1: twmond's version and the scan source in use.")
        writer.sample("twmon_build_info", labels: ["version": input.version, "source": input.source], 1)
        return writer.bytes
    }

    /// A family of one sample per namespace at `positions` that has `value` (none when no
    /// namespace has it), labelled `netns`.
    private static func perNamespace(
        _ name: String, type: String, help: String, _ positions: [Int], of namespaces: [MetricsInput.Namespace],
        into writer: inout PrometheusTextWriter, _ value: (MetricsInput.Namespace) -> Int?
    ) {
        var familyWritten = false
        for position in positions {
            let namespace = namespaces[position]
            guard let figure = value(namespace) else { continue }
            if !familyWritten { writer.family(name, type: type, help: help) }
            familyWritten = true
            writer.sample(name, value: figure) { $0.label("netns", namespace.name) }
        }
    }

    /// A bucket bound as the `le` label writes it: `0.001`, `1.0` (Prometheus' own clients
    /// write whole bounds with `.0`, so `le` values match across exporters).
    static func boundText(_ bound: Double) -> String {
        DecimalText.shortest(bound, whole: .pointZero)
    }
}

extension TCPState {
    /// The state as a label value: lower case, as node_exporter's `node_tcp_connection_states`.
    public var metricName: String { name.lowercased() }
}

/// `twmon_alert_active`'s labels.
private struct ActiveAlertKey: Hashable {
    var kind: String
    var netns: String
    var port: UInt16?
}
