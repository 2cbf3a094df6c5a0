/// The reply of `io.twmon.Monitor.GetStatus`: what twmond saw at its latest scan.
public struct MonitorStatus: Sendable, Equatable {
    /// twmond's version.
    public var version: String
    /// Seconds since twmond started.
    public var uptimeSeconds: Int
    /// Seconds between scans.
    public var scanIntervalSeconds: Double
    /// TIME_WAIT count that raises a port alert, unless the port has its own (`[alert]`).
    public var timeWaitThreshold: Int
    /// `proc` or `netlink`.
    public var source: String
    /// When the latest successful scan started (seconds since the epoch).
    public var lastScan: Double
    /// Whole seconds since the latest successful scan started: grows while scans fail.
    public var scanAgeSeconds: Int
    /// How long the latest scan took, in milliseconds.
    public var scanDurationMilliseconds: Double
    /// Scans since twmond started.
    public var scanCount: Int
    /// Sockets per state in the namespace.
    public var totals: StateCounts
    /// Local ports with at least one socket.
    public var portCount: Int
    /// Ports with a LISTEN socket.
    public var serverPorts: Int
    /// Rows of the kernel's table that could not be read.
    public var malformedRows: Int
    /// The namespace's counters, when readable.
    public var namespace: NamespaceCounters?
    /// Active alerts of every kind, by kind and subject.
    public var alerts: [Alert]
    /// The latest problem worth showing.
    public var problem: String?

    /// Ages are capped here (about 31 700 years), so no clock can overflow them.
    static let largestAge = 1e12

    /// The status of `snapshot` at wall-clock time `now`.
    public init(snapshot: MonitorSnapshot, now: Double) {
        let table = snapshot.table
        version = TWMonVersion.current
        uptimeSeconds = max(0, Int((now - snapshot.startedAt).rounded(.down)))
        scanIntervalSeconds = snapshot.configuration.scan.interval
        timeWaitThreshold = snapshot.configuration.alert.timeWaitThreshold
        source = snapshot.source
        lastScan = snapshot.scannedAt
        let age = now - snapshot.scannedAt
        scanAgeSeconds = age.isFinite ? Int(min(max(0, age), Self.largestAge).rounded(.down)) : 0
        scanDurationMilliseconds = (snapshot.scanDuration.inMilliseconds * 1_000).rounded() / 1_000
        scanCount = snapshot.scanCount
        totals = table.totals
        portCount = table.ports.count
        serverPorts = table.ports.count(where: \.listening)
        malformedRows = table.malformedRows
        namespace = snapshot.namespace
        alerts = snapshot.alerts.sorted { ($0.kind, $0.subject) < ($1.kind, $1.subject) }
        problem = snapshot.problem
    }

    /// Writes the reply's parameters object.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.member("version", version)
        json.member("uptime_seconds", uptimeSeconds)
        json.member("scan_interval_seconds", scanIntervalSeconds)
        json.member("time_wait_threshold", timeWaitThreshold)
        json.member("source", source)
        json.member("last_scan", UTCTimestamp.iso8601(lastScan))
        json.member("last_scan_unix", lastScan)
        json.member("scan_age_seconds", scanAgeSeconds)
        json.member("scan_duration_ms", scanDurationMilliseconds)
        json.member("scan_count", scanCount)
        json.member("sockets", totals.total)
        json.key("totals"); ScanReport.writeStates(totals, into: &json)
        json.member("port_count", portCount)
        json.member("server_ports", serverPorts)
        json.member("malformed_rows", malformedRows)
        if let namespace {
            json.key("namespace"); namespace.write(into: &json)
        }
        json.array("alerts") { json in
            for alert in alerts { alert.write(into: &json) }
        }
        if let buckets = alerts.first(where: { $0.kind == .twBuckets }) {
            json.key("namespace_alert"); buckets.write(into: &json)
        }
        if let problem { json.member("problem", problem) }
        json.endObject()
    }

    /// The status for people, as `twmonctl status` prints it; ages are relative to `now`.
    public func text(now: Double) -> String {
        var lines = [
            "twmond \(version), up \(UTCTimestamp.span(Double(uptimeSeconds))), scanning \(source) every \(Self.seconds(scanIntervalSeconds))",
            "last scan:  \(UTCTimestamp.iso8601(lastScan)) (\(UTCTimestamp.span(now - lastScan)) ago), took \(Self.milliseconds(scanDurationMilliseconds)), scan #\(scanCount)",
            "sockets:    \(totals.total)" + (totals.isEmpty ? "" : " (" + totals.nonZero.map { "\($0.state.name)=\($0.count)" }.joined(separator: " ") + ")"),
            "ports:      \(portCount) with sockets, \(serverPorts) server ports" + (malformedRows > 0 ? ", \(malformedRows) malformed rows" : ""),
        ]
        if let namespace {
            var parts: [String] = []
            if let timeWait = namespace.timeWait {
                parts.append("\(timeWait.timeWait) TIME_WAIT" + (timeWait.maxBuckets.map { " of net.ipv4.tcp_max_tw_buckets=\($0)" } ?? ""))
            }
            if let range = namespace.ephemeralPorts { parts.append("ephemeral ports \(range.text) (\(range.usable) usable)") }
            if let reuse = namespace.twReuse { parts.append("tcp_tw_reuse=\(reuse)") }
            if let events = namespace.timeWaitEvents { parts.append("TCPTimeWaitOverflow \(events.overflow), TWRecycled \(events.recycled)") }
            if !parts.isEmpty { lines.append("namespace:  " + parts.joined(separator: "; ")) }
        }
        lines.append("alerts:     " + (alerts.isEmpty ? "none" : "\(alerts.count) active"))
        for alert in alerts { lines.append("  " + AlertListing.line(alert, now: now)) }
        if let problem { lines.append("problem:    \(TerminalText.escaped(problem))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `5 s`, `0.5 s`.
    static func seconds(_ value: Double) -> String {
        DecimalText.shortest(value) + " s"
    }

    /// `41.3 ms`, with one decimal.
    static func milliseconds(_ value: Double) -> String {
        (DecimalText.fixed(value, decimals: 1) ?? "?") + " ms"
    }
}
