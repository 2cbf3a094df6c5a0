import ArgumentParser
import Glibc
import TWMonTestSupport

/// `twmon-bench run` (what `make bench` runs, as root): first the real `twmond`'s CPU at a 1 s
/// interval on a small table, then for each size a private network namespace with that many
/// server-side TIME_WAIT sockets, the per-scan costs measured inside it, twmond beside collectd
/// and node_exporter over the same seconds, and `twmond`'s memory after many scans. Every namespace and process is removed at the end, also on an error or
/// SIGINT/SIGTERM. Prints a table and writes JSON.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the whole benchmark (root): private namespaces, real sockets, real twmond."
    )

    @Option(help: "Server-side TIME_WAIT sockets to create, one namespace each (comma-separated).")
    var sizes = "10000,50000,120000"

    @Option(help: "Measured scans per method and size (medians are reported).")
    var runs = 15

    @Option(help: "ESTABLISHED connections kept open next to the TIME_WAIT sockets (two sockets each).")
    var established = 100

    @Option(name: .customLong("server-ports"), help: "Idle listeners opened beside the largest size's TIME_WAIT, in a namespace of its own, to measure every stage with that many server ports; 0 skips.")
    var serverPorts = 20_000

    @Option(name: .customLong("memory-scans"), help: "Scans twmond makes (at scan.interval = 0.1) before its memory is read; 0 skips.")
    var memoryScans = 1_000

    @Option(name: .customLong("cpu-seconds"), help: "How long twmond's CPU is measured at a 1 s interval with < 1000 sockets; 0 skips.")
    var cpuSeconds = 60.0

    @Option(name: .customLong("peer-seconds"), help: "How long twmond (both sources), collectd and node_exporter are measured side by side at each size; 0 skips.")
    var peerSeconds = 30.0

    @Option(name: .customLong("idle-namespaces"), help: "Counts of idle namespaces (one listener each) beside the largest size's TIME_WAIT, at which the cost of scan.namespaces = \"all\" against \"own\" is measured (comma-separated; none skips).")
    var idleNamespaces = "0,10,100"

    @Option(name: .customLong("events-seconds"), help: "How long a port closes --events-rate connections per second while the eBPF close-event source's kernel time per event and read cost are measured; 0 skips.")
    var eventsSeconds = 10.0

    @Option(name: .customLong("events-rate"), help: "Closes per second during the close-event stage.")
    var eventsRate = 2_000

    @Option(name: .customLong("bin-dir"), help: "Where twmond and twmon-loadgen are.")
    var binDirectory = ".build/release"

    @Option(help: "The JSON file to write.")
    var output = "bench-results/bench.json"

    func validate() throws {
        if parsedIdleNamespaces == nil { throw ValidationError("--idle-namespaces must be counts from 0 to 1000 separated by commas, or none") }
        if parsedSizes == nil { throw ValidationError("--sizes must be positive numbers separated by commas") }
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if serverPorts < 0 || serverPorts > 60_000 { throw ValidationError("--server-ports must be 0...60000") }
        if established < 0 || memoryScans < 0 || cpuSeconds < 0 || peerSeconds < 0 || eventsSeconds < 0 || eventsRate < 1 { throw ValidationError("counts must not be negative") }
    }

    private var parsedSizes: [Int]? {
        let values = sizes.split(separator: ",").map { Int($0.filter { $0 != "_" && $0 != " " }) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return values.map { $0! }
    }

    private var parsedIdleNamespaces: [Int]? {
        guard idleNamespaces != "none" else { return [] }
        let values = idleNamespaces.split(separator: ",").map { Int($0.filter { $0 != " " }) }
        guard !values.isEmpty, values.allSatisfy({ (0...1_000).contains($0 ?? -1) }) else { return nil }
        return values.map { $0! }.sorted()
    }

    func run() throws {
        guard geteuid() == 0 else { throw BenchFailure("twmon-bench run needs root: it creates network namespaces") }
        catchInterruptions()
        let tools = try Tools(binDirectory: binDirectory)
        let workspace = try Workspace()
        defer { workspace.remove() }
        let prefix = "twmon-bench-\(getpid())"
        var report = BenchReport(machine: Machine.current(), runs: runs, memoryScans: memoryScans)

        // First, while no other namespace holds sockets: every scan walks the kernel's whole
        // socket hash table, which all namespaces share, so other load would be paid here too.
        // Both sources at once, each daemon in its own namespace: their CPU times are their own.
        if cpuSeconds > 0 {
            log("twmond at a 1 s interval with < 1000 sockets, /proc and netlink: measuring CPU for \(Int(cpuSeconds)) s")
            let runs = try ["proc", "netlink"].map { source in
                try IdleDaemonRun(name: "\(prefix)-idle-\(source)", source: source, tools: tools, workspace: workspace)
            }
            defer { runs.forEach { $0.close() } }
            report.idle = try IdleDaemonRun.measure(runs, for: cpuSeconds)
        }
        if eventsSeconds > 0 {
            log("close events (eBPF): \(eventsRate) closes/s for \(Int(eventsSeconds)) s, kernel time per event and one read")
            report.events = try EventsStage.measure(rate: eventsRate, seconds: eventsSeconds, tools: tools, name: "\(prefix)-events")
        }
        for size in parsedSizes! {
            log("\(size) TIME_WAIT: creating sockets")
            report.sizes.append(try measure(size: size, name: "\(prefix)-\(size)", tools: tools, workspace: workspace))
        }
        // Scale is an input too: every stage again with thousands of server ports (a local user
        // can open them) beside the largest table.
        if serverPorts > 0, let size = parsedSizes!.max() {
            log("\(size) TIME_WAIT and \(serverPorts) idle listeners: creating sockets")
            report.sizes.append(try measure(size: size, listeners: serverPorts, name: "\(prefix)-\(size)-listeners", tools: tools, workspace: workspace))
        }
        if let size = parsedSizes!.max(), !parsedIdleNamespaces!.isEmpty {
            log("\(size) TIME_WAIT beside \(parsedIdleNamespaces!.map(String.init).joined(separator: ", ")) idle namespaces: scan.namespaces all against own")
            report.namespaces = try measureNamespaces(size: size, counts: parsedIdleNamespaces!, prefix: prefix, tools: tools)
        }
        report.machine.loadAfter = Machine.loadAverage()

        print(report.table(), terminator: "")
        fflush(nil)  // the table before the log line on stderr, also when both go to one file
        try report.writeJSON(to: output)
        log("wrote \(output)")
    }

    /// Measures one namespace with `size` server-side TIME_WAIT on one port and `listeners`
    /// more idle listening sockets.
    private func measure(size: Int, listeners: Int = 0, name: String, tools: Tools, workspace: Workspace) throws -> SizeResult {
        let namespace = try ScratchNamespace.forBenchmark(name: name, maxTimeWait: max(4 * size, 262_144))
        defer { namespace.close() }
        let load = Self.load(size: size)
        let loadStarted = monotonicNow()
        let firstLoad = try namespace.startLoad([tools.loadgen] + load(size, 8080) + ["--established", String(established)]).process
        // On ::1, so they take no IPv4 port the TIME_WAIT load's clients bind on 127.0.0.x; in
        // processes of at most 10 000 listeners each: one process may not hold more
        // descriptors than the open-files hard limit (20 000 on these machines).
        var idleListeners: [ChildProcess] = []
        defer { idleListeners.forEach { $0.stop() } }
        for first in stride(from: 0, to: listeners, by: 10_000) {
            let count = min(10_000, listeners - first)
            idleListeners.append(try namespace.startLoad([tools.loadgen, "--listen", "::1", "--listeners", String(count)]).process)
        }
        var result = SizeResult(timeWait: size, createSeconds: monotonicNow() - loadStarted)
        result.listeners = listeners
        let keeper = TimeWaitKeeper(
            namespace: namespace, target: size, loadgen: tools.loadgen, probe: firstLoad.pid, firstPort: 8081, arguments: load
        )

        log("\(size) TIME_WAIT: measuring scans (\(runs) runs)")
        let elsewhereBefore = socketsElsewhere(than: namespace)
        let lines = try namespace.check([tools.bench, "measure", "--runs", String(runs), "--peer-port", "8080"]).standardOutput
        result.socketsElsewhere = max(elsewhereBefore, socketsElsewhere(than: namespace))
        for line in lines.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { result.figures[String(parts[0])] = value }
        }

        if peerSeconds > 0, listeners == 0 {
            log("\(size) TIME_WAIT: twmond (proc, netlink), collectd and node_exporter side by side for \(Int(peerSeconds)) s")
            let comparison = PeerComparison(namespace: namespace, size: size, tools: tools, workspace: workspace, seconds: peerSeconds)
            result.peers = try comparison.run(keeper: keeper)
        }
        if memoryScans > 0 {
            log("\(size) TIME_WAIT: twmond, \(memoryScans) scans at scan.interval = 0.1")
            result.memory = try daemonMemory(namespace: namespace, size: size, tools: tools, workspace: workspace, keeper: keeper)
        }
        return result
    }

    /// The load generator's arguments for `timeWait` server-side TIME_WAIT on `port`, in a
    /// namespace that will hold about `size`: client addresses with 50 000 ports each, never
    /// reusing a 4-tuple (with one address the kernel's own port choice would, and recycle
    /// TIME_WAIT sockets of the server).
    static func load(size: Int) -> (_ timeWait: Int, _ port: Int) -> [String] {
        let addresses = size / 40_000 + 2
        return { timeWait, port in
            ["--listen", "127.0.0.1", "--port", String(port), "--time-wait", String(timeWait), "--source-addresses", String(addresses)]
        }
    }

    /// The cost of `scan.namespaces = "all"` against `"own"` (`twmon-bench namespace-cost`,
    /// run in a namespace with `size` TIME_WAIT) beside each of `counts` idle namespaces, each a
    /// process with one listener in a namespace of its own. The busy namespace stands for the
    /// own one (twmond's, read by netlink); the idle ones are added between the counts.
    private func measureNamespaces(size: Int, counts: [Int], prefix: String, tools: Tools) throws -> [NamespaceCostResult] {
        let busy = try ScratchNamespace.forBenchmark(name: "\(prefix)-\(size)-busy", maxTimeWait: max(4 * size, 262_144))
        defer { busy.close() }
        _ = try busy.startLoad([tools.loadgen] + Self.load(size: size)(size, 8080) + ["--established", String(established)])
        var idle: [ScratchNamespace] = []
        defer { idle.forEach { $0.close() } }
        var results: [NamespaceCostResult] = []
        for count in counts {
            while idle.count < count {
                let namespace = try ScratchNamespace.forBenchmark(name: "\(prefix)-idle-ns-\(idle.count)", maxTimeWait: 4_096)
                idle.append(namespace)
                _ = try namespace.startLoad([tools.loadgen, "--listen", "127.0.0.1", "--port", "8080"])
            }
            log("\(size) TIME_WAIT, \(count) idle namespaces: measuring (\(runs) runs)")
            let lines = try busy.check([tools.bench, "namespace-cost", "--runs", String(runs)]).standardOutput
            var result = NamespaceCostResult(timeWait: size, idleNamespaces: count)
            for line in lines.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let value = Double(parts[1]) { result.figures[String(parts[0])] = value }
            }
            results.append(result)
        }
        return results
    }

    /// Runs the real twmond until it has scanned `memoryScans` times and reads its memory, while
    /// `keeper` makes the TIME_WAIT sockets that expire again.
    private func daemonMemory(
        namespace: ScratchNamespace, size: Int, tools: Tools, workspace: Workspace, keeper: TimeWaitKeeper
    ) throws -> MemoryResult {
        let notify = try NotifyListener(path: workspace.path("notify-\(size).sock"))
        let daemon = try startDaemon(
            in: namespace, label: String(size), interval: 0.1, tools: tools, workspace: workspace, notifySocket: notify.path
        )
        defer { daemon.stop() }
        var result = MemoryResult()
        keeper.restartStatistics()
        let began = monotonicNow()
        var lastScan = began
        var firstScanCPU: (cpu: Double, scans: Int)?
        while result.scans < memoryScans {
            guard daemon.isRunning else {
                throw BenchFailure("twmond stopped; see \(workspace.path("twmond-\(size).log"))")
            }
            let scans = try notify.scansReported(within: 0.1, checkInterrupted: checkInterrupted)
            let now = monotonicNow()
            if scans > 0 { lastScan = now }
            result.scans += scans
            guard now - lastScan < 60 else { throw BenchFailure("twmond reported no scan for 60 s") }
            if firstScanCPU == nil, result.scans > 0, let cpu = processCPUSeconds(of: daemon.pid) {
                firstScanCPU = (cpu, result.scans)  // start-up and first scan left out
            }
            try keeper.topUp()
        }
        result.timeWaitLow = keeper.low
        result.timeWaitHigh = keeper.high
        result.timeWaitMean = keeper.mean
        if let firstScanCPU, let cpu = processCPUSeconds(of: daemon.pid), result.scans > firstScanCPU.scans {
            result.cpuPerScan = (cpu - firstScanCPU.cpu) / Double(result.scans - firstScanCPU.scans)
        }
        result.seconds = monotonicNow() - began
        result.residentKiB = statusField("VmRSS", of: daemon.pid) ?? -1
        result.peakKiB = statusField("VmHWM", of: daemon.pid) ?? -1
        result.anonymousKiB = statusField("RssAnon", of: daemon.pid) ?? -1
        result.fileKiB = statusField("RssFile", of: daemon.pid) ?? -1
        return result
    }
}

/// The binaries the benchmark runs.
struct Tools {
    let bench: String
    let twmond: String
    let loadgen: String

    init(binDirectory: String) throws {
        var buffer = [CChar](repeating: 0, count: 4_096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { throw BenchFailure("cannot find my own executable") }
        bench = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let directory = binDirectory.hasPrefix("/") ? binDirectory : Workspace.currentDirectory() + "/" + binDirectory
        twmond = directory + "/twmond"
        loadgen = directory + "/twmon-loadgen"
        for tool in [twmond, loadgen] where access(tool, X_OK) != 0 {
            throw BenchFailure("\(tool) is missing: build with `swift build -c release` (make bench does)")
        }
    }
}

/// A private temporary directory for configuration files, sockets and daemon logs.
final class Workspace {
    let directory: String

    init() throws {
        var template = Array("/tmp/twmon-bench.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchFailure("mkdtemp: \(String(cString: strerror(errno)))") }
        directory = String(cString: made)
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func write(_ text: String, to name: String) throws {
        guard let file = fopen(path(name), "w") else { throw BenchFailure("cannot write \(path(name))") }
        defer { fclose(file) }
        fputs(text, file)
    }

    func remove() {
        _ = try? ChildProcess.run(["rm", "-rf", directory])
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4_096)
        guard let directory = getcwd(&buffer, buffer.count) else { return "." }
        return String(cString: directory)
    }
}

/// Starts the real twmond in `namespace` with a configuration for the benchmark. It runs in
/// the private mount namespace `ip netns exec` makes, where a tmpfs hides the host's journal
/// socket: a benchmark's alerts must not land in the machine's journal.
func startDaemon(
    in namespace: ScratchNamespace, label: String, interval: Double, source: String = "proc", tools: Tools, workspace: Workspace,
    notifySocket: String?
) throws -> ChildProcess {
    let configName = "twmond-\(label).toml"
    try workspace.write("""
        [scan]
        interval = \(interval)
        source = "\(source)"

        [control]
        socket = "\(workspace.path("control-\(label).sock"))"

        [log]
        level = "warning"

        """, to: configName)
    var environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    if let notifySocket { environment["NOTIFY_SOCKET"] = notifySocket }
    let hideJournal = #"mount -t tmpfs -o size=64k twmon-bench /run/systemd/journal 2>/dev/null; exec "$0" "$@""#
    return try namespace.start(
        ["sh", "-c", hideJournal, tools.twmond, "--config", workspace.path(configName)],
        output: .discarded, errors: .appended(toFile: workspace.path("twmond-\(label).log")), environment: environment
    )
}

/// twmond at a 1 s interval in a namespace with fewer than 1000 sockets, measured from its
/// first scan on for a given time.
final class IdleDaemonRun {
    let source: String
    private let namespace: ScratchNamespace
    private let notify: NotifyListener
    private let daemon: ChildProcess
    private let sockets: Int
    private var scans = 0
    private var startCPU = 0.0, startTicks = (user: 0.0, system: 0.0)

    init(name: String, source: String, tools: Tools, workspace: Workspace) throws {
        self.source = source
        namespace = try ScratchNamespace.forBenchmark(name: name, maxTimeWait: 262_144)
        do {
            let load = try namespace.startLoad([tools.loadgen, "--listen", "127.0.0.1", "--port", "8080", "--established", "400", "--time-wait", "100"]).process
            let counts = ScratchNamespace.sockstat(of: load.pid)
            sockets = (counts?.inUse ?? 0) + (counts?.timeWait ?? 0)
            notify = try NotifyListener(path: workspace.path("notify-idle-\(source).sock"))
            daemon = try startDaemon(
                in: namespace, label: "idle-\(source)", interval: 1, source: source, tools: tools, workspace: workspace,
                notifySocket: notify.path
            )
        } catch {
            namespace.close()
            throw error
        }
    }

    /// Measures the runs together for `seconds` from their daemons' first scans (their start-up
    /// is left out).
    static func measure(_ runs: [IdleDaemonRun], for seconds: Double) throws -> [IdleResult] {
        let deadline = monotonicNow() + 30
        for run in runs {
            while try run.notify.scansReported(within: 0.2, checkInterrupted: checkInterrupted) == 0 {
                guard run.daemon.isRunning, monotonicNow() < deadline else {
                    throw BenchFailure("twmond (\(run.source)) did not start (see its log)")
                }
            }
            guard let cpu = processCPUSeconds(of: run.daemon.pid), let ticks = processTicks(of: run.daemon.pid) else {
                throw BenchFailure("cannot read twmond's CPU time")
            }
            run.startCPU = cpu
            run.startTicks = ticks
        }
        var elsewhere = runs.map { socketsElsewhere(than: $0.namespace) }
        let startedAt = monotonicNow()
        // The datagrams are read as they come: a full queue would block a daemon.
        while monotonicNow() < startedAt + seconds {
            for run in runs {
                run.scans += try run.notify.scansReported(within: min(0.5, max(0, startedAt + seconds - monotonicNow())), checkInterrupted: checkInterrupted)
                guard run.daemon.isRunning else { throw BenchFailure("twmond (\(run.source)) stopped") }
            }
        }
        let elapsed = monotonicNow() - startedAt
        return try runs.enumerated().map { index, run in
            guard let cpu = processCPUSeconds(of: run.daemon.pid), let ticks = processTicks(of: run.daemon.pid) else {
                throw BenchFailure("cannot read twmond's CPU time")
            }
            elsewhere[index] = max(elsewhere[index], socketsElsewhere(than: run.namespace))
            return IdleResult(
                source: run.source, sockets: run.sockets, seconds: elapsed, scans: run.scans, cpuSeconds: cpu - run.startCPU,
                userSeconds: ticks.user - run.startTicks.user, systemSeconds: ticks.system - run.startTicks.system,
                socketsElsewhere: elsewhere[index]
            )
        }
    }

    func close() { namespace.close() }
}

func log(_ message: String) {
    var line = Array(("twmon-bench: " + message + "\n").utf8)
    _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
