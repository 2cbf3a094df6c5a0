import Testing
@testable import TWMonCore

/// A table with one server port (8080: 3 ESTABLISHED, 6000 TIME_WAIT, 1 LISTEN over both
/// families) and two client ports (41000: 2 ESTABLISHED; 41001: 1 CLOSE_WAIT).
private func sampleTable() -> PortTable {
    PortTable(ports: [
        PortStats(port: 8080, ipv4: StateCounts([.established: 2, .timeWait: 5_000, .listen: 1]), ipv6: StateCounts([.established: 1, .timeWait: 1_000])),
        PortStats(port: 41000, ipv4: StateCounts([.established: 2])),
        PortStats(port: 41001, ipv6: StateCounts([.closeWait: 1])),
    ])
}

/// Every input filled, the optional ones included; one client port exported.
private func fullInput() -> MetricsInput {
    var durations = ScanDurationHistogram()
    durations.observe(0.004)
    durations.observe(0.25)
    return MetricsInput(
        table: sampleTable(), clientPorts: 1,
        activeAlerts: [.init(kind: "tw_buckets", port: nil), .init(kind: "time_wait", port: 8080)],
        alertsRaised: ["time_wait": 2, "close_wait": 1], alertKinds: ["time_wait", "tw_buckets"],
        scans: 2, scanFailures: 1, scanDurations: durations, lastScan: 1_764_445_000.5, version: "0.1.0", source: "netlink",
        twBucketsMax: 262_144, owners: [8080: "demo-api.service"], activeCloses: [8080: 123_456], twOverflowTotal: 800,
        ephemeralPortsUsable: 28_232, timeWait: 6_002
    )
}

/// The sample lines of one metric (without `# HELP`/`# TYPE`).
private func samples(_ name: String, in text: String) -> [String] {
    text.split(separator: "\n").map(String.init).filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
}

@Suite("Metrics exposition")
struct MetricsRendererTests {
    @Test func everyInputRendered() {
        let text = String(decoding: MetricsRenderer.render(fullInput()), as: UTF8.self)
        #expect(text == """
            # HELP twmon_port_sockets Sockets on a local TCP port per state: every server port (one with a LISTEN socket) and the busiest client ports, per network namespace.
            # TYPE twmon_port_sockets gauge
            twmon_port_sockets{netns="host",port="8080",role="server",unit="demo-api.service",state="established"} 3
            twmon_port_sockets{netns="host",port="8080",role="server",unit="demo-api.service",state="syn_sent"} 0
            twmon_port_sockets{netns="host",port="8080",role="server",unit="demo-api.service",state="syn_recv"} 0
            twmon_port_sockets{netns="host",port="8080",role="server",unit="demo-api.service",state="fin_wait1"} 0
            twmon_port_sockets{netns="host",port="8080",role="server",unit="demo-api.service",state="fin_wait2"} 0
            twmon_port_sockets{netns="host",port="8080",role="server",unit="demo-api.service",state="time_wait"} 6000
            twmon_port_sockets{netns="host",port="8080",role="server",unit="demo-api.service",state="close"} 0
            twmon_port_sockets{netns="host",port="8080",role="server",unit="demo-api.service",state="close_wait"} 0
            twmon_port_sockets{netns="host",port="8080",role="server",unit="demo-api.service",state="last_ack"} 0
            twmon_port_sockets{netns="host",port="8080",role="server",unit="demo-api.service",state="listen"} 1
            twmon_port_sockets{netns="host",port="8080",role="server",unit="demo-api.service",state="closing"} 0
            twmon_port_sockets{netns="host",port="8080",role="server",unit="demo-api.service",state="new_syn_recv"} 0
            twmon_port_sockets{netns="host",port="41000",role="client",state="established"} 2
            twmon_port_sockets{netns="host",port="41000",role="client",state="syn_sent"} 0
            twmon_port_sockets{netns="host",port="41000",role="client",state="syn_recv"} 0
            twmon_port_sockets{netns="host",port="41000",role="client",state="fin_wait1"} 0
            twmon_port_sockets{netns="host",port="41000",role="client",state="fin_wait2"} 0
            twmon_port_sockets{netns="host",port="41000",role="client",state="time_wait"} 0
            twmon_port_sockets{netns="host",port="41000",role="client",state="close"} 0
            twmon_port_sockets{netns="host",port="41000",role="client",state="close_wait"} 0
            twmon_port_sockets{netns="host",port="41000",role="client",state="last_ack"} 0
            twmon_port_sockets{netns="host",port="41000",role="client",state="listen"} 0
            twmon_port_sockets{netns="host",port="41000",role="client",state="closing"} 0
            twmon_port_sockets{netns="host",port="41000",role="client",state="new_syn_recv"} 0
            # HELP twmon_server_ports_omitted Idle server ports (no TIME_WAIT, no CLOSE_WAIT, no alert) of all namespaces left out of the per-port metrics: more than metrics.max_idle_server_ports.
            # TYPE twmon_server_ports_omitted gauge
            twmon_server_ports_omitted 0
            # HELP twmon_namespaces Network namespaces watched, twmond's own included.
            # TYPE twmon_namespaces gauge
            twmon_namespaces 1
            # HELP twmon_sockets TCP sockets of a network namespace per state.
            # TYPE twmon_sockets gauge
            twmon_sockets{netns="host",state="established"} 5
            twmon_sockets{netns="host",state="syn_sent"} 0
            twmon_sockets{netns="host",state="syn_recv"} 0
            twmon_sockets{netns="host",state="fin_wait1"} 0
            twmon_sockets{netns="host",state="fin_wait2"} 0
            twmon_sockets{netns="host",state="time_wait"} 6000
            twmon_sockets{netns="host",state="close"} 0
            twmon_sockets{netns="host",state="close_wait"} 1
            twmon_sockets{netns="host",state="last_ack"} 0
            twmon_sockets{netns="host",state="listen"} 1
            twmon_sockets{netns="host",state="closing"} 0
            twmon_sockets{netns="host",state="new_syn_recv"} 0
            # HELP twmon_port_active_closes_total Connections a server port closed first since twmond started (or first saw its namespace): each new TIME_WAIT socket counted (approximately) once, or every close counted exactly since the close-event source was opened ([events] source = "ebpf").
            # TYPE twmon_port_active_closes_total counter
            twmon_port_active_closes_total{netns="host",port="8080",unit="demo-api.service"} 123456
            # HELP twmon_alert_active Alerts twmond has active now, per kind, namespace and port: 1 for a port or a namespace; for ephemeral_ports, the destinations in alert.
            # TYPE twmon_alert_active gauge
            twmon_alert_active{kind="time_wait",netns="host",port="8080",unit="demo-api.service"} 1
            twmon_alert_active{kind="tw_buckets",netns="host"} 1
            # HELP twmon_alerts_raised_total Alerts raised since twmond started, per kind.
            # TYPE twmon_alerts_raised_total counter
            twmon_alerts_raised_total{kind="close_wait"} 1
            twmon_alerts_raised_total{kind="time_wait"} 2
            twmon_alerts_raised_total{kind="tw_buckets"} 0
            # HELP twmon_tw_buckets TIME_WAIT sockets of a network namespace (tw in its /proc/net/sockstat).
            # TYPE twmon_tw_buckets gauge
            twmon_tw_buckets{netns="host"} 6002
            # HELP twmon_tw_buckets_max net.ipv4.tcp_max_tw_buckets: TIME_WAIT sockets the namespace holds at most (known for twmond's own namespace only).
            # TYPE twmon_tw_buckets_max gauge
            twmon_tw_buckets_max{netns="host"} 262144
            # HELP twmon_tw_overflow_total TIME_WAIT sockets the kernel dropped because tcp_max_tw_buckets was full (TcpExtTCPTimeWaitOverflow), per network namespace.
            # TYPE twmon_tw_overflow_total counter
            twmon_tw_overflow_total{netns="host"} 800
            # HELP twmon_ephemeral_ports_usable Local ports the kernel may choose for outgoing connections (ip_local_port_range less ip_local_reserved_ports) in twmond's own namespace.
            # TYPE twmon_ephemeral_ports_usable gauge
            twmon_ephemeral_ports_usable{netns="host"} 28232
            # HELP twmon_scans_total Scans of the socket table that succeeded since twmond started.
            # TYPE twmon_scans_total counter
            twmon_scans_total 2
            # HELP twmon_scan_failures_total Scans of the socket table that failed since twmond started.
            # TYPE twmon_scan_failures_total counter
            twmon_scan_failures_total 1
            # HELP twmon_scan_duration_seconds How long successful scans took.
            # TYPE twmon_scan_duration_seconds histogram
            twmon_scan_duration_seconds_bucket{le="0.001"} 0
            twmon_scan_duration_seconds_bucket{le="0.0025"} 0
            twmon_scan_duration_seconds_bucket{le="0.005"} 1
            twmon_scan_duration_seconds_bucket{le="0.01"} 1
            twmon_scan_duration_seconds_bucket{le="0.025"} 1
            twmon_scan_duration_seconds_bucket{le="0.05"} 1
            twmon_scan_duration_seconds_bucket{le="0.1"} 1
            twmon_scan_duration_seconds_bucket{le="0.25"} 2
            twmon_scan_duration_seconds_bucket{le="0.5"} 2
            twmon_scan_duration_seconds_bucket{le="1.0"} 2
            twmon_scan_duration_seconds_bucket{le="2.5"} 2
            twmon_scan_duration_seconds_bucket{le="+Inf"} 2
            twmon_scan_duration_seconds_sum 0.254
            twmon_scan_duration_seconds_count 2
            # HELP twmon_last_scan_timestamp_seconds When the latest successful scan started, in seconds since the epoch.
            # TYPE twmon_last_scan_timestamp_seconds gauge
            twmon_last_scan_timestamp_seconds 1764445000.5
            # HELP twmon_build_info Always 1: twmond's version and the scan source in use.
            # TYPE twmon_build_info gauge
            twmon_build_info{version="0.1.0",source="netlink"} 1

            """)
    }

    @Test func inputsNotGivenLeaveTheirFamiliesOut() {
        let text = String(decoding: MetricsRenderer.render(MetricsInput(table: sampleTable(), source: "proc")), as: UTF8.self)
        for absent in ["twmon_port_active_closes_total", "twmon_tw_buckets", "twmon_tw_overflow_total",
                       "twmon_ephemeral_ports_usable", "twmon_last_scan_timestamp_seconds", "unit="] {
            #expect(!text.contains(absent), "\(absent)")
        }
        #expect(samples("twmon_alert_active", in: text).isEmpty)
        #expect(text.contains("# TYPE twmon_alert_active gauge\n"))
        // Every kind twmond knows, from the start, so increase() sees the first raise.
        #expect(samples("twmon_alerts_raised_total", in: text) == [
            "twmon_alerts_raised_total{kind=\"close_wait\"} 0", "twmon_alerts_raised_total{kind=\"ephemeral_ports\"} 0",
            "twmon_alerts_raised_total{kind=\"time_wait\"} 0", "twmon_alerts_raised_total{kind=\"tw_buckets\"} 0",
            "twmon_alerts_raised_total{kind=\"tw_overflow\"} 0",
        ])
        // Both client ports fit in the default 10.
        #expect(samples("twmon_port_sockets", in: text).count == 12 * 3)
    }

    @Test func clientPortsAreTheBusiestOnes() {
        var ports = [PortStats(port: 443, ipv4: StateCounts([.listen: 1, .established: 1]))]
        for (port, count) in [(50_001, 3), (50_002, 9), (50_003, 9), (50_004, 1), (50_005, 4)] as [(UInt16, Int)] {
            ports.append(PortStats(port: port, ipv4: StateCounts([.established: count])))
        }
        var input = MetricsInput(table: PortTable(ports: ports), clientPorts: 3, source: "proc")
        #expect(input.exportedPorts.server.map(\.port) == [443])
        // Most sockets first; a tie goes to the lower port.
        #expect(input.exportedPorts.client.map(\.port) == [50_002, 50_003, 50_005])
        input.clientPorts = 0
        #expect(input.exportedPorts.client.isEmpty)
        let text = String(decoding: MetricsRenderer.render(input), as: UTF8.self)
        #expect(samples("twmon_port_sockets", in: text).allSatisfy { $0.hasPrefix("twmon_port_sockets{netns=\"host\",port=\"443\",role=\"server\",") })
    }

    @Test func labelValuesAreEscaped() {
        var input = MetricsInput(table: sampleTable(), source: "proc")
        input.own.owners = [8080: "odd\"unit\\name\nhere.service"]
        let text = String(decoding: MetricsRenderer.render(input), as: UTF8.self)
        #expect(samples("twmon_port_sockets", in: text).first
            == #"twmon_port_sockets{netns="host",port="8080",role="server",unit="odd\"unit\\name\nhere.service",state="established"} 3"#)
    }

    @Test func seriesCountFollowsTheReadmeFormula() {
        // 12 × (S + C) + 14 N + S + A + K + 14 + 9 single-sample families, N = 1.
        var ports: [PortStats] = (1...40).map { PortStats(port: UInt16($0), ipv4: StateCounts([.listen: 1])) }
        ports += (1_000...1_100).map { PortStats(port: UInt16($0), ipv4: StateCounts([.established: 1])) }
        var input = fullInput()
        input.own.table = PortTable(ports: ports)
        input.clientPorts = 10
        input.own.activeCloses = [:]
        input.scanInterval = 5
        let text = String(decoding: MetricsRenderer.render(input), as: UTF8.self)
        let series = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
        let (s, c, a, k) = (40, 10, 2, 3)
        #expect(series == 12 * (s + c) + 14 + s + a + k + 14 + 9)
    }

    /// A local user who opens 20 000 listeners adds at most `max_idle_server_ports` ports of
    /// series; every port with TIME_WAIT, CLOSE_WAIT or an alert stays, whatever its number.
    @Test func idleServerPortsAreBounded() {
        var ports: [PortStats] = [PortStats(port: 22, ipv4: StateCounts([.listen: 1, .established: 1]))]
        ports += (30_000..<50_000).map { PortStats(port: UInt16($0), ipv4: StateCounts([.listen: 1])) }
        ports.append(PortStats(port: 50_100, ipv4: StateCounts([.listen: 1, .timeWait: 7])))
        ports.append(PortStats(port: 50_200, ipv4: StateCounts([.listen: 1, .closeWait: 2])))
        ports.append(PortStats(port: 50_300, ipv4: StateCounts([.listen: 1])))
        var input = MetricsInput(table: PortTable(ports: ports), maxIdleServerPorts: 100, source: "proc")
        input.activeAlerts = [MetricsInput.ActiveAlert(kind: "close_wait", port: 50_300)]
        let exported = input.exportedPorts
        #expect(exported.server.count == 103)
        #expect(exported.server.prefix(3).map(\.port) == [22, 30_000, 30_001])
        #expect(exported.server.suffix(3).map(\.port) == [50_100, 50_200, 50_300])
        #expect(exported.omittedServerPorts == 20_001 - 100)
        let text = String(decoding: MetricsRenderer.render(input), as: UTF8.self)
        #expect(samples("twmon_port_sockets", in: text).count == 12 * 103)
        #expect(samples("twmon_server_ports_omitted", in: text) == ["twmon_server_ports_omitted 19901"])

        input.maxIdleServerPorts = 0
        #expect(input.exportedPorts.server.map(\.port) == [50_100, 50_200, 50_300])
    }

    /// The exposition of 20 000 exported server ports is one pass: its bytes grow linearly
    /// (a copy of the buffer per sample made this take minutes; the time is measured by
    /// `make bench`, not here).
    @Test func twentyThousandServerPortsRenderInOnePass() {
        let ports = (10_000..<30_000).map { PortStats(port: UInt16($0), ipv4: StateCounts([.listen: 1, .timeWait: 1])) }
        let input = MetricsInput(table: PortTable(ports: ports), maxIdleServerPorts: 0, source: "proc")
        let bytes = MetricsRenderer.render(input)
        let lines = bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        // 12 states + one active-closes counter would be 13 per port; without activeCloses 12.
        #expect(lines > 12 * 20_000)
        #expect(bytes.count < 20_000 * 12 * 90)
    }

    /// ephemeral_ports alerts are about destinations, which are no label: two of them are one
    /// series counting them, never two identical series (Prometheus rejects duplicates).
    @Test func alertsOfOneKindAndPortShareOneSeries() {
        var input = MetricsInput(table: sampleTable(), source: "proc")
        input.activeAlerts = [
            MetricsInput.ActiveAlert(kind: "ephemeral_ports", port: nil), MetricsInput.ActiveAlert(kind: "ephemeral_ports", port: nil),
            MetricsInput.ActiveAlert(kind: "time_wait", port: 8080), MetricsInput.ActiveAlert(kind: "close_wait", port: 8080),
        ]
        let text = String(decoding: MetricsRenderer.render(input), as: UTF8.self)
        #expect(samples("twmon_alert_active", in: text) == [
            #"twmon_alert_active{kind="close_wait",netns="host",port="8080"} 1"#,
            #"twmon_alert_active{kind="ephemeral_ports",netns="host"} 2"#,
            #"twmon_alert_active{kind="time_wait",netns="host",port="8080"} 1"#,
        ])
    }

    /// Every per-port and namespace-wide series of another namespace carries its name; each
    /// family keeps one HELP and TYPE, its samples of every namespace after them.
    @Test func otherNamespacesShareEachFamily() {
        var input = fullInput()
        input.others = [MetricsInput.Namespace(
            name: "docker-3f2a9c1b7d0e", table: PortTable(ports: [PortStats(port: 8080, ipv4: StateCounts([.listen: 1, .timeWait: 40]))]),
            owners: [8080: "docker-3f2a9c1b7d0e.scope"], activeCloses: [8080: 90], timeWait: 41, twOverflowTotal: 0
        )]
        input.activeAlerts.append(.init(kind: "time_wait", port: 8080, netns: "docker-3f2a9c1b7d0e"))
        let text = String(decoding: MetricsRenderer.render(input), as: UTF8.self)
        for family in ["twmon_port_sockets", "twmon_sockets", "twmon_port_active_closes_total", "twmon_alert_active", "twmon_tw_buckets", "twmon_tw_overflow_total"] {
            #expect(text.split(separator: "\n").filter { $0 == "# TYPE \(family) gauge" || $0 == "# TYPE \(family) counter" }.count == 1, "\(family)")
        }
        let other = #"netns="docker-3f2a9c1b7d0e""#
        #expect(samples("twmon_port_sockets", in: text).filter { $0.contains(other) }.count == 12)
        #expect(samples("twmon_port_sockets", in: text).contains(
            #"twmon_port_sockets{netns="docker-3f2a9c1b7d0e",port="8080",role="server",unit="docker-3f2a9c1b7d0e.scope",state="time_wait"} 40"#))
        #expect(samples("twmon_sockets", in: text).filter { $0.contains(other) }.count == 12)
        #expect(samples("twmon_port_active_closes_total", in: text) == [
            #"twmon_port_active_closes_total{netns="host",port="8080",unit="demo-api.service"} 123456"#,
            #"twmon_port_active_closes_total{netns="docker-3f2a9c1b7d0e",port="8080",unit="docker-3f2a9c1b7d0e.scope"} 90"#,
        ])
        #expect(samples("twmon_alert_active", in: text) == [
            #"twmon_alert_active{kind="time_wait",netns="docker-3f2a9c1b7d0e",port="8080",unit="docker-3f2a9c1b7d0e.scope"} 1"#,
            #"twmon_alert_active{kind="time_wait",netns="host",port="8080",unit="demo-api.service"} 1"#,
            #"twmon_alert_active{kind="tw_buckets",netns="host"} 1"#,
        ])
        #expect(samples("twmon_tw_buckets", in: text) == [#"twmon_tw_buckets{netns="host"} 6002"#, #"twmon_tw_buckets{netns="docker-3f2a9c1b7d0e"} 41"#])
        #expect(samples("twmon_tw_overflow_total", in: text) == [#"twmon_tw_overflow_total{netns="host"} 800"#, #"twmon_tw_overflow_total{netns="docker-3f2a9c1b7d0e"} 0"#])
        // The limit is known for the own namespace only.
        #expect(samples("twmon_tw_buckets_max", in: text) == [#"twmon_tw_buckets_max{netns="host"} 262144"#])
        #expect(samples("twmon_namespaces", in: text) == ["twmon_namespaces 2"])
    }

    /// The own namespace's name labels its series (twmond inside a container names its own).
    @Test func theOwnNamespaceIsLabelledByItsName() {
        let input = MetricsInput(table: sampleTable(), source: "proc", netns: "pod-1234")
        let text = String(decoding: MetricsRenderer.render(input), as: UTF8.self)
        #expect(samples("twmon_port_sockets", in: text).allSatisfy { $0.hasPrefix(#"twmon_port_sockets{netns="pod-1234","#) })
    }

    /// A local user can make thousands of namespaces, each with listeners: the idle-port budget
    /// is shared by all of them (the own namespace's idle ports first), the busiest client
    /// ports are chosen among all, an idle namespace adds no series, and every busy port stays.
    @Test func manyNamespacesStayBounded() {
        let own = (1...5).map { PortStats(port: UInt16($0), ipv4: StateCounts([.listen: 1])) }
        var input = MetricsInput(table: PortTable(ports: own), clientPorts: 3, maxIdleServerPorts: 20, source: "proc")
        input.others = (0..<2_000).map { index in
            var ports = (1_000..<1_010).map { PortStats(port: UInt16($0), ipv4: StateCounts([.listen: 1])) }
            ports.append(PortStats(port: 40_000, ipv4: StateCounts([.established: index % 7])))
            if index == 1_500 { ports.append(PortStats(port: 9_000, ipv4: StateCounts([.listen: 1, .timeWait: 3]))) }
            return MetricsInput.Namespace(name: "ns-\(index)", table: PortTable(ports: ports), activeCloses: [:], timeWait: index == 1_500 ? 3 : 0)
        }
        let exported = input.exportedPorts
        // The own namespace's 5 idle ports, then 15 of the first other namespaces', then the busy one.
        #expect(exported.server.count == 21)
        #expect(exported.server.prefix(5).allSatisfy { $0.namespace == 0 })
        #expect(exported.server.last == MetricsInput.ExportedPort(namespace: 1_501, stats: input.others[1_500].table.ports.last!))
        #expect(exported.omittedServerPorts == 2_000 * 10 - 15)
        #expect(exported.client.count == 3)
        #expect(exported.client.allSatisfy { $0.stats.total == 6 })
        // Own, the two with idle ports shown, the busy one and those of the three client ports.
        #expect(exported.namespaces.count <= 1 + 2 + 1 + 3)
        let text = String(decoding: MetricsRenderer.render(input), as: UTF8.self)
        let series = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
        #expect(series <= 13 * 21 + 12 * 3 + 14 * 7 + 5 + 14 + 9)
        #expect(samples("twmon_namespaces", in: text) == ["twmon_namespaces 2001"])
        #expect(samples("twmon_server_ports_omitted", in: text) == ["twmon_server_ports_omitted 19985"])
    }

    @Test func histogramCountsEachScanInTheFirstBucketThatHoldsIt() {
        var histogram = ScanDurationHistogram()
        for seconds in [0.001, 0.0010001, 2.5, 3, -1, .nan] { histogram.observe(seconds) }
        // 0.001, -1 and NaN (as 0) in the first bucket; 0.0010001 in the second; 2.5 in the last; 3 only in +Inf.
        #expect(histogram.cumulative == [3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5])
        #expect(histogram.count == 6)
        #expect(histogram.sum == 0.001 + 0.0010001 + 2.5 + 3)
    }

    @Test("values as Prometheus reads them", arguments: [
        (0.0, "0"), (1_764_445_000, "1764445000"), (0.0125, "0.0125"), (-2.5, "-2.5"),
        (.infinity, "+Inf"), (-.infinity, "-Inf"), (.nan, "NaN"), (1e300, "1e+300"),
    ] as [(Double, String)])
    func floats(value: Double, text: String) {
        var writer = PrometheusTextWriter()
        writer.sample("x", value)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "x \(text)\n")
    }

    @Test("integers", arguments: [0, 7, 10, 65_535, -42, Int.max, Int.min])
    func integers(value: Int) {
        var writer = PrometheusTextWriter()
        writer.sample("x", value)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "x \(value)\n")
    }
}
