import ArgumentParser
import Glibc
import TWMonCore
import TWMonSystem

/// `twmon-bench measure`: run inside the namespace under test (`ip netns exec`). One process
/// measures, side by side and interleaved, every way of looking at the namespace's sockets and
/// prints `name value` lines (seconds; medians over `--runs`).
struct MeasureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Measure the floor and the scans in this network namespace (run by `twmon-bench run`)."
    )

    @Option(help: "Measured repetitions of each method (after one warm-up round).")
    var runs = 15

    @Option(name: .customLong("peer-port"), help: "The loaded port, whose TIME_WAIT peers the daemon tallies while it is in alert.")
    var peerPort: UInt16 = 8080

    /// The ways of looking at the sockets that are measured.
    enum Method: String, CaseIterable {
        /// Read /proc/net/tcp and tcp6 whole into a reused buffer, and discard them.
        case floor
        /// The floor read the way the /proc scan reads: the same files in reads of the scan's
        /// buffer size (1 MiB), each piece discarded.
        case floorPieces = "floor_pieces"
        /// twmon's /proc scan: read + parse + aggregate (`Scanner` with `ProcNetSource`).
        case proc
        /// The same while the loaded port is in alert: its TIME_WAIT peers are tallied too.
        case procPeers = "proc_peers"
        /// The /proc scan as twmond makes it on the real /proc: with the owners of server ports
        /// (a LISTEN-only sock_diag dump, cgroup ids mapped to units); less `proc`, the owners' cost.
        case procOwners = "proc_owners"
        /// twmon's netlink scan (`Scanner` with `NetlinkSource`).
        case netlink
        /// The O(1) check of "cheap when healthy": /proc/net/sockstat `tw` and the bucket limit.
        case check
        /// What the daemon does with a table after the scan: alert policy, active alerts.
        case judge
        /// The LISTEN-only sock_diag dump a /proc scan adds for the owners of server ports
        /// (`NetlinkSource.collectListenerCgroups`): the kernel walks its listening hash only.
        case listenDump = "listen_dump"
        /// The snapshot the control socket reads and the sd_notify STATUS line, made from the
        /// table and the active alerts as the daemon does after every scan.
        case snapshot
        /// The control socket's replies encoded from the snapshot: GetStatus, ListAlerts and
        /// ListPorts of every server port (what `twmonctl status`, `alerts` and `ports` ask).
        case replies
        /// The Prometheus exposition of the table rendered (the busy server ports, at most
        /// 1000 idle ones, the 10 busiest client ports), as the daemon does after every scan.
        case metricsRender = "metrics_render"
        /// The same, then written as the textfile (temporary file + rename).
        case metrics
    }

    func run() throws {
        // As large as the largest table, so that the floor is one buffer reused, never regrown.
        let floorReader = ProcFileReader(initialCapacity: 64 << 20)
        let piecesReader = ProcFileReader()
        let procScanner = Scanner(source: ProcNetSource())
        let ownersScanner = Scanner(source: ProcNetSource(), owners: ListenerOwners())
        let netlinkScanner = Scanner(source: try NetlinkSource())
        let listenerDump = try NetlinkSource()
        var listenerBuilder = PortTableBuilder()
        let counters = NamespaceCountersReader(procRoot: "/proc")
        var policy = AlertPolicy(configuration: Configuration())
        var procTable = PortTable(), netlinkTable = PortTable()
        var procClients: [ClientTupleCount] = []
        var namespace: NamespaceCounters?
        // The counting twmond does at every scan: CLOSE_WAIT inodes always, and client sockets
        // per destination in the namespace's ephemeral range (every destination reported).
        let ephemeralRange = try counters.read().ephemeralPorts
        var samples: [Method: Samples] = [:]
        var seconds = 0.0
        var durations = ScanDurationHistogram()
        var template = [UInt8]("/tmp/twmon-bench-XXXXXX".utf8CString.map { UInt8(bitPattern: $0) })
        let textfileDirectory = template.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mkdtemp($0.baseAddress!).map { String(cString: $0) } }
        } ?? "/tmp"
        let textfile = textfileDirectory + "/twmond.prom"
        defer {
            unlink(textfile)
            rmdir(textfileDirectory)
        }
        var exposition = 0
        var snapshot: MonitorSnapshot?
        var replyBytes = 0
        let calls = [
            #"{"method":"io.twmon.Monitor.GetStatus"}"#, #"{"method":"io.twmon.Monitor.ListAlerts"}"#,
            #"{"method":"io.twmon.Monitor.ListPorts","parameters":{"listeningOnly":true}}"#,
        ].map { text in
            guard case .call(let call) = MonitorService.parse(Array(text.utf8)) else { fatalError("bad bench call \(text)") }
            return call
        }
        func renderMetrics() -> [UInt8] {
            durations.observe(0.03)
            let alerts = policy.activeAlerts.map(MetricsInput.ActiveAlert.init)
            return MetricsRenderer.render(MetricsInput(
                table: procTable, clientPorts: 10, activeAlerts: alerts, alertsRaised: ["time_wait": 1],
                scans: Int(seconds), scanDurations: durations, lastScan: seconds, source: "netlink",
                twBucketsMax: namespace?.timeWait?.maxBuckets, owners: MetricsInput.owners(of: procTable),
                activeCloses: [:], twOverflowTotal: namespace?.timeWaitEvents?.overflow,
                ephemeralPortsUsable: namespace?.ephemeralPorts?.usable
            ))
        }

        func measure(_ method: Method) throws -> Cost {
            try Cost.of {
                switch method {
                case .floor:
                    try floorReader.read(path: "/proc/net/tcp", limit: .max)
                    try floorReader.read(path: "/proc/net/tcp6", limit: .max)
                case .floorPieces:
                    try piecesReader.readLines(path: "/proc/net/tcp") { _ in }
                    try piecesReader.readLines(path: "/proc/net/tcp6") { _ in }
                case .proc:
                    let scan = try procScanner.scan(tallyingClientsIn: ephemeralRange, clientFloor: 1)
                    procTable = scan.table
                    procClients = scan.byproducts.clientTuples
                case .procOwners:
                    _ = try ownersScanner.scan(tallyingClientsIn: ephemeralRange, clientFloor: 1)
                case .procPeers:
                    _ = try procScanner.scan(watchingPeersOf: [peerPort])
                case .netlink:
                    netlinkTable = try netlinkScanner.scan(tallyingClientsIn: ephemeralRange, clientFloor: 1).table
                case .check:
                    namespace = try counters.read()
                case .listenDump:
                    listenerBuilder.reset()
                    try listenerDump.collectListenerCgroups(into: &listenerBuilder)
                case .judge:
                    seconds += 1
                    let now = Moment(monotonic: .seconds(seconds), wallClock: seconds)
                    _ = policy.evaluate(ScanFindings(table: procTable, counters: namespace, clientTuples: procClients), now: now)
                    _ = policy.activeAlerts
                case .snapshot:
                    let alerts = policy.activeAlerts
                    snapshot = MonitorSnapshot(
                        table: procTable, scannedAt: seconds, scanDuration: .milliseconds(30), source: "proc", scanCount: Int(seconds),
                        alerts: alerts, namespace: namespace, history: [], configuration: Configuration(), startedAt: 0, problem: nil)
                    _ = StatusLine.render(table: procTable, alerts: alerts, scanMilliseconds: 30, problem: nil)
                case .replies:
                    replyBytes = 0
                    for call in calls {
                        if case .success(let bytes) = MonitorService.reply(to: call, snapshot: snapshot, now: seconds) { replyBytes += bytes.count }
                    }
                case .metricsRender:
                    exposition = renderMetrics().count
                case .metrics:
                    try AtomicFileWriter.write(renderMetrics(), to: textfile)
                }
            }
        }

        // Round r runs the methods starting at a different one each time, so that none always
        // follows the same neighbour; round 0 warms buffers up and is not counted.
        let methods = Method.allCases
        for round in 0...max(runs, 1) {
            for index in methods.indices {
                let method = methods[(round + index) % methods.count]
                let cost = try measure(method)
                if round > 0 { samples[method, default: Samples()].append(cost) }
            }
        }

        var lines = [
            "sockets_proc \(procTable.totals.total)",
            "sockets_netlink \(netlinkTable.totals.total)",
            "time_wait_proc \(procTable.totals[.timeWait])",
            "time_wait_netlink \(netlinkTable.totals[.timeWait])",
            "time_wait_sockstat \(namespace?.timeWait?.timeWait ?? -1)",
            "malformed_rows \(procTable.malformedRows)",
            "metrics_bytes \(exposition)",
            "reply_bytes \(replyBytes)",
            "server_ports \(procTable.ports.count { $0.listening })",
            "runs \(max(runs, 1))",
        ]
        for method in methods {
            let median = samples[method, default: Samples()].median
            lines.append("\(method.rawValue)_cpu \(median.cpu)")
            lines.append("\(method.rawValue)_wall \(median.wall)")
        }
        print(lines.joined(separator: "\n"))
    }
}
