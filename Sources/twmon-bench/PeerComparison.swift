import Glibc
import TWMonTestSupport

/// twmond beside the monitors people already run, in one namespace over the same seconds:
/// twmond at `scan.interval = 1` with `scan.source = "proc"` and with `"netlink"`, collectd's
/// tcpconns plugin (`Interval 1`, `ListeningPorts true`) and node_exporter's tcpstat collector
/// scraped once a second over the namespace's loopback. Each one's CPU time (all its threads'
/// schedstat) over the window is divided by the collections it made in it: scans reported on
/// twmond's `NOTIFY_SOCKET`, scrapes made, and for collectd the intervals that passed.
struct PeerComparison {
    /// The port node_exporter listens on inside the namespace: below the load generators'
    /// client ports (10 000 and up) and the namespace's ephemeral range (1024 and up).
    static let exporterPort: UInt16 = 910
    /// The series node_exporter's tcpstat collector reports TIME_WAIT sockets in.
    static let exporterTimeWait = #"node_tcp_connection_states{state="time_wait"}"#

    let namespace: ScratchNamespace
    let size: Int
    let tools: Tools
    let workspace: Workspace
    let seconds: Double

    /// Starts the four collectors, waits until each has collected once, then measures them for
    /// `seconds` while `keeper` holds the TIME_WAIT count. Stops them before returning.
    func run(keeper: TimeWaitKeeper) throws -> PeerResult {
        var daemons: [(source: String, notify: NotifyListener, process: ChildProcess)] = []
        var processes: [ChildProcess] = []
        defer { processes.reversed().forEach { $0.stop() } }
        for source in ["proc", "netlink"] {
            let notify = try NotifyListener(path: workspace.path("notify-peers-\(size)-\(source).sock"))
            let process = try startDaemon(
                in: namespace, label: "peers-\(size)-\(source)", interval: 1, source: source, tools: tools, workspace: workspace,
                notifySocket: notify.path
            )
            processes.append(process)
            daemons.append((source, notify, process))
        }
        let collectd = try startCollectd()
        processes.append(collectd)
        let exporter = try namespace.start(
            ["prometheus-node-exporter", "--collector.disable-defaults", "--collector.tcpstat",
             "--web.listen-address=127.0.0.1:\(Self.exporterPort)"],
            output: .discarded, errors: .appended(toFile: workspace.path("node-exporter-\(size).log"))
        )
        processes.append(exporter)
        let scraper = MetricsScraper(namespace: namespace, port: Self.exporterPort)

        // Start-up: every twmond has scanned, node_exporter answers, collectd has read once.
        let startedAt = monotonicNow()
        for daemon in daemons {
            while try daemon.notify.scansReported(within: 0.2, checkInterrupted: checkInterrupted) == 0 {
                guard daemon.process.isRunning, monotonicNow() < startedAt + 60 else {
                    throw BenchFailure("twmond (\(daemon.source)) did not start; see its log in \(workspace.directory)")
                }
            }
        }
        while (try? scraper.scrape()) == nil {
            guard exporter.isRunning, monotonicNow() < startedAt + 30 else {
                throw BenchFailure("node_exporter did not answer; see \(workspace.path("node-exporter-\(size).log"))")
            }
            usleep(100_000)
        }
        while monotonicNow() < startedAt + 2 { try keeper.topUp(); usleep(100_000) }
        guard collectd.isRunning else { throw BenchFailure("collectd stopped; see \(workspace.path("collectd-\(size).log"))") }

        let measured: [(name: String, pid: pid_t)] = daemons.map { ("twmond " + $0.source, $0.process.pid) }
            + [("collectd", collectd.pid), ("node_exporter", exporter.pid)]
        var scans = [Int](repeating: 0, count: daemons.count)
        var scrapes = 0, exporterTimeWait: [Double] = []
        keeper.restartStatistics()
        let before = try measured.map { try CPUTimes.of($0.pid, name: $0.name) }
        let began = monotonicNow()
        var nextScrape = began + 1
        while true {
            let now = monotonicNow()
            if now >= began + seconds { break }
            if now >= nextScrape {
                let body = try scraper.scrape()
                scrapes += 1
                if let value = ExpositionSamples(body).value(series: Self.exporterTimeWait) { exporterTimeWait.append(value) }
                nextScrape += 1
            }
            for (index, daemon) in daemons.enumerated() {
                scans[index] += try daemon.notify.scansReported(within: 0, checkInterrupted: checkInterrupted)
            }
            try keeper.topUp()
            for process in processes where !process.isRunning {
                throw BenchFailure("\(process.arguments.dropFirst(4).first ?? "a collector") stopped; see the logs in \(workspace.directory)")
            }
            usleep(UInt32(max(0, min(0.1, nextScrape - monotonicNow(), began + seconds - monotonicNow())) * 1e6))
        }
        let elapsed = monotonicNow() - began
        for (index, daemon) in daemons.enumerated() {
            scans[index] += try daemon.notify.scansReported(within: 0, checkInterrupted: checkInterrupted)
        }
        let after = try measured.map { try CPUTimes.of($0.pid, name: $0.name) }
        let collections = scans + [Int(elapsed.rounded()), scrapes]
        var result = PeerResult(seconds: elapsed, timeWaitLow: keeper.low, timeWaitHigh: keeper.high, timeWaitMean: keeper.mean)
        result.exporterTimeWait = exporterTimeWait.isEmpty ? nil : exporterTimeWait.reduce(0, +) / Double(exporterTimeWait.count)
        for (index, entry) in measured.enumerated() {
            result.collectors.append(CollectorCost(name: entry.name, collections: collections[index], cpu: after[index] - before[index]))
        }
        return result
    }

    /// collectd in the foreground with only the tcpconns plugin; it writes nothing but its log
    /// (stderr) and keeps its base directory in the workspace.
    private func startCollectd() throws -> ChildProcess {
        let name = "collectd-\(size).conf"
        try workspace.write("""
            Hostname "twmon-bench"
            FQDNLookup false
            BaseDir "\(workspace.directory)"
            PIDFile "\(workspace.path("collectd-\(size).pid"))"
            Interval 1
            LoadPlugin tcpconns
            <Plugin tcpconns>
              ListeningPorts true
            </Plugin>

            """, to: name)
        return try namespace.start(
            ["collectd", "-f", "-C", workspace.path(name)], output: .discarded, errors: .appended(toFile: workspace.path("collectd-\(size).log"))
        )
    }
}

/// CPU time of a process so far: all its threads' time on CPU (schedstat, nanoseconds) and its
/// utime/stime (clock ticks), which tell its own work from the kernel's.
struct CPUTimes {
    var total: Double
    var user: Double
    var system: Double

    static func of(_ pid: pid_t, name: String) throws -> CPUTimes {
        guard let total = processCPUSeconds(of: pid), let ticks = processTicks(of: pid) else {
            throw BenchFailure("cannot read the CPU time of \(name) (pid \(pid))")
        }
        return CPUTimes(total: total, user: ticks.user, system: ticks.system)
    }

    static func - (later: CPUTimes, earlier: CPUTimes) -> CPUTimes {
        CPUTimes(total: later.total - earlier.total, user: later.user - earlier.user, system: later.system - earlier.system)
    }
}

/// One collector's CPU over the comparison window.
struct CollectorCost {
    /// `twmond proc`, `twmond netlink`, `collectd` or `node_exporter`.
    var name: String
    /// Scans, intervals or scrapes in the window.
    var collections: Int
    var cpu: CPUTimes

    /// Seconds of CPU per collection.
    var perCollection: Double { cpu.total / Double(max(collections, 1)) }
}

/// What the comparison at one size found.
struct PeerResult {
    var seconds: Double
    var timeWaitLow: Int?
    var timeWaitHigh: Int?
    var timeWaitMean: Int?
    /// The mean TIME_WAIT count in node_exporter's scrapes, a check that it saw the sockets.
    var exporterTimeWait: Double?
    var collectors: [CollectorCost] = []

    func cost(_ name: String) -> CollectorCost? { collectors.first { $0.name == name } }

    /// twmond netlink's CPU per scan over collectd's per interval.
    var netlinkToCollectd: Double? {
        guard let netlink = cost("twmond netlink"), let collectd = cost("collectd") else { return nil }
        return netlink.perCollection / collectd.perCollection
    }
}
