import Glibc
import TWMonCore

/// The machine a benchmark ran on.
struct Machine {
    var cpus: Int
    var cpuModel: String
    var kernel: String
    var loadBefore: String
    var loadAfter = ""

    static func current() -> Machine {
        var name = utsname()
        uname(&name)
        let kernel = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let model = readProcText("/proc/cpuinfo")?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last.map { String($0.drop { $0 == " " }) } ?? "unknown"
        return Machine(cpus: sysconf(Int32(_SC_NPROCESSORS_ONLN)), cpuModel: model, kernel: kernel, loadBefore: loadAverage())
    }

    /// The first three fields of /proc/loadavg.
    static func loadAverage() -> String {
        (readProcText("/proc/loadavg") ?? "").split(separator: " ").prefix(3).joined(separator: " ")
    }
}

/// What was measured at one size.
struct SizeResult {
    var timeWait: Int
    /// Idle listening sockets opened beside the TIME_WAIT (0: only the loaded port listens).
    var listeners = 0
    var createSeconds: Double
    /// `name value` lines of `twmon-bench measure`.
    var figures: [String: Double] = [:]
    /// TCP sockets in the machine's other namespaces while the scans were measured.
    var socketsElsewhere = 0
    /// twmond beside collectd and node_exporter in this namespace.
    var peers: PeerResult?
    var memory: MemoryResult?

    init(timeWait: Int, createSeconds: Double) {
        self.timeWait = timeWait
        self.createSeconds = createSeconds
    }

    func cost(_ method: MeasureCommand.Method) -> Cost? {
        guard let cpu = figures[method.rawValue + "_cpu"], let wall = figures[method.rawValue + "_wall"] else { return nil }
        return Cost(cpu: cpu, wall: wall)
    }
}

/// `scan.namespaces = "all"` against `"own"` beside some idle namespaces.
struct NamespaceCostResult {
    var timeWait: Int
    var idleNamespaces: Int
    /// `name value` lines of `twmon-bench namespace-cost`.
    var figures: [String: Double] = [:]

    /// CPU per interval of the own scan, of own + every other namespace, and of the other
    /// namespaces' pass alone (seconds, medians).
    var own: Double { figures["own_cpu"] ?? .nan }
    var all: Double { figures["all_cpu"] ?? .nan }
    var others: Double { figures["others_cpu"] ?? .nan }
    /// What "all" adds to "own", in per cent: the other namespaces' pass, measured on its own
    /// inside "all", against "own" (the difference of the two medians is noisier than the
    /// pass itself). The target is at most 10 at 100 idle namespaces.
    var addedPercent: Double { others / own * 100 }
}

/// twmond's memory after its scans.
struct MemoryResult {
    var scans = 0
    var seconds = 0.0
    var residentKiB = 0
    var peakKiB = 0
    /// The part of VmRSS that is the daemon's own memory (heap, stacks, buffers).
    var anonymousKiB = 0
    /// The part that is mapped files: the executable and shared libraries.
    var fileKiB = 0
    var timeWaitLow: Int?
    var timeWaitHigh: Int?
    var timeWaitMean: Int?
    /// twmond's CPU per scan, whole process (scan, alert policy, peers, snapshot, sd_notify).
    var cpuPerScan: Double?
}

/// twmond's CPU at a 1 s interval on a small table.
struct IdleResult {
    /// `scan.source`.
    var source: String
    var sockets: Int
    var seconds: Double
    /// Scans reported (sd_notify STATUS) in that time.
    var scans: Int
    /// From the threads' schedstat (nanoseconds).
    var cpuSeconds: Double
    /// utime and stime (clock ticks), as a cross-check and to tell twmond's own work from the
    /// kernel's.
    var userSeconds: Double
    var systemSeconds: Double
    /// TCP sockets in the machine's other namespaces at the start or end, whichever was more.
    var socketsElsewhere: Int
    var cpuPercent: Double { 100 * cpuSeconds / seconds }
}

/// Everything one run measured: printed as a table and written as JSON.
struct BenchReport {
    var machine: Machine
    var runs: Int
    var memoryScans: Int
    var sizes: [SizeResult] = []
    var idle: [IdleResult] = []
    var namespaces: [NamespaceCostResult] = []
    var events: EventsResult?

    /// The rows of the table, in order, with their labels.
    static let rows: [(MeasureCommand.Method, String)] = [
        (.floor, "floor: read tcp+tcp6"),
        (.floorPieces, "floor, read in 1 MiB pieces"),
        (.proc, "/proc scan"),
        (.procOwners, "/proc scan with owners"),
        (.procPeers, "/proc scan, port in alert"),
        (.netlink, "netlink scan"),
        (.check, "healthy check (sockstat)"),
        (.judge, "alert policy on the table"),
        (.listenDump, "LISTEN-only dump (owners)"),
        (.snapshot, "snapshot + STATUS line"),
        (.replies, "replies: status, alerts, ports"),
        (.metricsRender, "metrics: render"),
        (.metrics, "metrics: render + textfile"),
    ]

    func table() -> String {
        var text = """

            twmon scan benchmark: \(machine.cpus) × \(machine.cpuModel), Linux \(machine.kernel), \
            load average \(machine.loadBefore) before, \(machine.loadAfter) after
            per scan, medians of \(runs) runs in one process; ratios to the floor's CPU (and wall) time


            """
        let header = pad("TIME_WAIT", 10) + "  " + pad("what", 30) + pad("CPU ms", 10, right: true) + pad("wall ms", 10, right: true)
            + pad("CPU ×floor", 12, right: true) + pad("wall ×floor", 13, right: true)
        text += header + "\n" + String(repeating: "-", count: header.count) + "\n"
        for size in sizes {
            let floor = size.cost(.floor)
            var first = true
            for (method, label) in Self.rows {
                guard let cost = size.cost(method) else { continue }
                text += pad(first ? grouped(size.timeWait) : "", 10) + "  " + pad(label, 30)
                text += pad(format(cost.cpu * 1e3), 10, right: true) + pad(format(cost.wall * 1e3), 10, right: true)
                if let floor, [.floor, .floorPieces, .proc, .procOwners, .procPeers, .netlink].contains(method) {
                    text += pad(format(cost.cpu / floor.cpu) + "×", 12, right: true) + pad(format(cost.wall / floor.wall) + "×", 13, right: true)
                }
                text += "\n"
                first = false
            }
            if let render = size.cost(.metricsRender), let metrics = size.cost(.metrics), let proc = size.cost(.proc),
               let netlink = size.cost(.netlink) {
                text += pad("", 12) + "metrics (\(grouped(Int(size.figures["metrics_bytes"] ?? 0))) bytes) add to a scan's CPU: rendered "
                    + format(render.cpu / netlink.cpu * 100) + " % (netlink), " + format(render.cpu / proc.cpu * 100) + " % (/proc); "
                    + "rendered and written " + format(metrics.cpu / netlink.cpu * 100) + " % (netlink), "
                    + format(metrics.cpu / proc.cpu * 100) + " % (/proc); target ≤ 2 %\n"
            }
            if size.listeners > 0 {
                text += pad("", 12) + "with \(grouped(size.listeners)) idle listeners (\(grouped(Int(size.figures["server_ports"] ?? 0))) server ports); "
                    + "replies \(grouped(Int(size.figures["reply_bytes"] ?? 0))) bytes\n"
            }
            let sockets = Int(size.figures["sockets_proc"] ?? 0), netlinkSockets = Int(size.figures["sockets_netlink"] ?? 0)
            text += pad("", 12) + "sockets: /proc \(grouped(sockets)), netlink \(grouped(netlinkSockets)), "
                + "sockstat tw \(grouped(Int(size.figures["time_wait_sockstat"] ?? 0))); made in \(format(size.createSeconds, decimals: 1)) s; "
                + "\(grouped(size.socketsElsewhere)) in other namespaces\n"
            if let peers = size.peers {
                text += pad("", 12) + "side by side for \(format(peers.seconds, decimals: 0)) s (TIME_WAIT meanwhile "
                    + "\(grouped(peers.timeWaitLow ?? 0))–\(grouped(peers.timeWaitHigh ?? 0)), mean \(grouped(peers.timeWaitMean ?? 0)); "
                    + "node_exporter saw \(grouped(Int(peers.exporterTimeWait ?? -1)))), CPU per collection:\n"
                for collector in peers.collectors {
                    text += pad("", 14) + pad(Self.peerLabels[collector.name] ?? collector.name, 38)
                        + pad(format(collector.perCollection * 1e3) + " ms", 10, right: true)
                        + "  (\(collector.collections) in all; user \(format(collector.cpu.user * 1e3, decimals: 0)) ms, "
                        + "system \(format(collector.cpu.system * 1e3, decimals: 0)) ms)\n"
                }
            }
            if let memory = size.memory {
                var perScan = "-"
                if let cpu = memory.cpuPerScan {
                    perScan = format(cpu * 1e3) + " ms CPU per scan" + (floor.map { " (" + format(cpu / $0.cpu) + "× floor)" } ?? "")
                }
                text += pad("", 12) + "twmond, \(memory.scans) scans at scan.interval = 0.1 in \(format(memory.seconds, decimals: 0)) s: \(perScan);\n"
                text += pad("", 14) + "VmRSS \(mebibytes(memory.residentKiB)) = \(mebibytes(memory.anonymousKiB)) own + "
                    + "\(mebibytes(memory.fileKiB)) executable and libraries, VmHWM \(mebibytes(memory.peakKiB)) "
                    + "(TIME_WAIT meanwhile \(grouped(memory.timeWaitLow ?? 0))–\(grouped(memory.timeWaitHigh ?? 0)), "
                    + "mean \(grouped(memory.timeWaitMean ?? 0)))\n"
            }
            text += "\n"
        }
        text += peerTable()
        for idle in idle {
            text += "twmond, scan.source = \(pad(idle.source, 7)) scan.interval = 1, \(idle.sockets) sockets: "
                + "\(format(idle.cpuPercent)) % of a core (\(format(idle.cpuSeconds * 1e3 / Double(max(idle.scans, 1)))) ms per scan; "
                + "\(format(idle.cpuSeconds * 1e3, decimals: 0)) ms CPU in \(format(idle.seconds, decimals: 0)) s, "
                + "user \(format(idle.userSeconds * 1e3, decimals: 0)) ms, system \(format(idle.systemSeconds * 1e3, decimals: 0)) ms)\n"
        }
        if let first = idle.first {
            text += "  (\(grouped(first.socketsElsewhere)) sockets in other namespaces meanwhile)\n"
        }
        text += namespaceTable()
        return text + eventsText()
    }

    /// `scan.namespaces = "all"` against `"own"`, per interval, as the README shows it.
    func namespaceTable() -> String {
        guard !namespaces.isEmpty else { return "" }
        var text = "\nscan.namespaces, CPU ms per interval beside \(grouped(namespaces[0].timeWait)) TIME_WAIT (own read by netlink); target: 100 idle namespaces add ≤ 10 %\n"
        let header = pad("idle namespaces", 16) + pad("own", 9, right: true) + pad("all", 9, right: true) + pad("others", 9, right: true)
            + pad("added", 9, right: true) + pad("found", 7, right: true) + pad("read", 6, right: true) + pad("kept", 6, right: true) + pad("empty", 7, right: true)
        text += header + "\n" + String(repeating: "-", count: header.count) + "\n"
        for result in namespaces {
            let figure = { (name: String) in format(result.figures[name] ?? .nan, decimals: 0) }
            text += pad(String(result.idleNamespaces), 16) + pad(format(result.own * 1e3), 9, right: true) + pad(format(result.all * 1e3), 9, right: true)
                + pad(format(result.others * 1e3), 9, right: true) + pad(format(result.addedPercent, decimals: 1) + " %", 9, right: true)
                + pad(figure("discovered"), 7, right: true) + pad(figure("read_in_full"), 6, right: true)
                + pad(figure("unchanged"), 6, right: true) + pad(figure("empty"), 7, right: true) + "\n"
        }
        return text
    }

    /// The close-event stage, and one read against one netlink walk at the largest size.
    private func eventsText() -> String {
        guard let events else { return "" }
        var text = "close events (eBPF), \(grouped(events.rate)) closes/s for \(format(events.seconds, decimals: 0)) s: "
            + "kernel \(format(events.nanosecondsPerEvent, decimals: 0)) ns per TCP state change (\(grouped(Int(clamping: events.runCount))) runs); "
            + "\(grouped(Int(clamping: events.activeCloses))) active closes counted, \(events.lost) lost\n"
            + "  one read (copy + check + tally, \(events.ports) ports): \(format(events.read.cpu * 1e3, decimals: 3)) ms CPU, "
            + "\(format(events.read.wall * 1e3, decimals: 3)) ms wall (during the load: \(format(events.readDuringLoad.cpu * 1e3, decimals: 3)) ms CPU)\n"
        if let walk = sizes.filter({ $0.listeners == 0 }).max(by: { $0.timeWait < $1.timeWait }), let netlink = walk.cost(.netlink) {
            text += "  one netlink scan at \(grouped(walk.timeWait)) TIME_WAIT: \(format(netlink.cpu * 1e3)) ms CPU; "
                + "a read costs \(format(100 * events.read.cpu / netlink.cpu, decimals: 3)) % of it\n"
        }
        return text
    }

    /// How the comparison's collectors are labelled in the table.
    static let peerLabels = [
        "collectd": "collectd tcpconns, per 1 s interval",
        "node_exporter": "node_exporter tcpstat, per scrape",
        "twmond proc": "twmond scan.source = proc, per scan",
        "twmond netlink": "twmond scan.source = netlink, per scan",
    ]

    /// All sizes' side-by-side figures in one table, as the README shows them.
    func peerTable() -> String {
        let measured = sizes.filter { $0.peers != nil }
        guard !measured.isEmpty else { return "" }
        let columns = ["collectd", "node_exporter", "twmond proc", "twmond netlink"]
        var text = "CPU ms per collection, side by side in one namespace\n"
        let header = pad("TIME_WAIT", 10) + columns.map { pad($0, 16, right: true) }.joined() + pad("netlink/collectd", 18, right: true)
        text += header + "\n" + String(repeating: "-", count: header.count) + "\n"
        for size in measured {
            let peers = size.peers!
            text += pad(grouped(size.timeWait), 10)
            for column in columns {
                text += pad(peers.cost(column).map { format($0.perCollection * 1e3) } ?? "-", 16, right: true)
            }
            text += pad(peers.netlinkToCollectd.map { format($0) + "×" } ?? "-", 18, right: true) + "\n"
        }
        return text + "\n"
    }

    func writeJSON(to path: String) throws {
        var json = JSONWriter()
        json.beginObject()
        json.object("machine") { json in
            json.member("cpus", machine.cpus)
            json.member("cpu_model", machine.cpuModel)
            json.member("kernel", machine.kernel)
            json.member("load_average_before", machine.loadBefore)
            json.member("load_average_after", machine.loadAfter)
        }
        json.member("runs", runs)
        json.array("sizes") { json in
            for size in sizes {
                json.beginObject()
                json.member("time_wait", size.timeWait)
                json.member("idle_listeners", size.listeners)
                json.member("sockets_in_other_namespaces", size.socketsElsewhere)
                json.member("create_seconds", size.createSeconds)
                for key in ["sockets_proc", "sockets_netlink", "time_wait_proc", "time_wait_netlink", "time_wait_sockstat", "malformed_rows",
                            "server_ports", "metrics_bytes", "reply_bytes"] {
                    json.member(key, Int(size.figures[key] ?? -1))
                }
                let floor = size.cost(.floor)
                json.object("per_scan") { json in
                    for (method, _) in Self.rows {
                        guard let cost = size.cost(method) else { continue }
                        json.object(method.rawValue) { json in
                            json.member("cpu_ms", cost.cpu * 1e3)
                            json.member("wall_ms", cost.wall * 1e3)
                            if let floor {
                                json.member("cpu_ratio_to_floor", cost.cpu / floor.cpu)
                                json.member("wall_ratio_to_floor", cost.wall / floor.wall)
                            }
                        }
                    }
                }
                if let peers = size.peers {
                    json.object("side_by_side") { json in
                        json.member("seconds", peers.seconds)
                        json.member("time_wait_low", peers.timeWaitLow ?? -1)
                        json.member("time_wait_high", peers.timeWaitHigh ?? -1)
                        json.member("time_wait_mean", peers.timeWaitMean ?? -1)
                        json.member("node_exporter_time_wait_mean", peers.exporterTimeWait ?? -1)
                        json.member("netlink_to_collectd", peers.netlinkToCollectd ?? .nan)
                        json.array("collectors") { json in
                            for collector in peers.collectors {
                                json.beginObject()
                                json.member("name", collector.name)
                                json.member("collections", collector.collections)
                                json.member("cpu_ms_per_collection", collector.perCollection * 1e3)
                                json.member("cpu_seconds", collector.cpu.total)
                                json.member("utime_seconds", collector.cpu.user)
                                json.member("stime_seconds", collector.cpu.system)
                                json.endObject()
                            }
                        }
                    }
                }
                if let memory = size.memory {
                    json.object("daemon_memory") { json in
                        json.member("scans", memory.scans)
                        json.member("seconds", memory.seconds)
                        json.member("vm_rss_kib", memory.residentKiB)
                        json.member("vm_hwm_kib", memory.peakKiB)
                        json.member("rss_anon_kib", memory.anonymousKiB)
                        json.member("rss_file_kib", memory.fileKiB)
                        json.member("time_wait_low", memory.timeWaitLow ?? -1)
                        json.member("time_wait_high", memory.timeWaitHigh ?? -1)
                        json.member("time_wait_mean", memory.timeWaitMean ?? -1)
                        json.member("cpu_ms_per_scan", (memory.cpuPerScan ?? .nan) * 1e3)
                    }
                }
                json.endObject()
            }
        }
        json.array("namespaces") { json in
            for result in namespaces {
                json.beginObject()
                json.member("time_wait", result.timeWait)
                json.member("idle_namespaces", result.idleNamespaces)
                json.member("own_cpu_ms", result.own * 1e3)
                json.member("all_cpu_ms", result.all * 1e3)
                json.member("others_cpu_ms", result.others * 1e3)
                json.member("added_percent", result.addedPercent)
                for key in ["discovered", "read_in_full", "unchanged", "empty", "unreadable"] {
                    json.member(key, result.figures[key] ?? .nan)
                }
                json.endObject()
            }
        }
        if let events {
            json.object("close_events") { json in
                json.member("closes_per_second", events.rate)
                json.member("seconds", events.seconds)
                json.member("program_runs", Int(clamping: events.runCount))
                json.member("program_run_time_ns", Int(clamping: events.runTimeNanoseconds))
                json.member("ns_per_event", events.nanosecondsPerEvent)
                json.member("active_closes", Int(clamping: events.activeCloses))
                json.member("lost", Int(clamping: events.lost))
                json.member("ports", events.ports)
                json.member("read_cpu_ms", events.read.cpu * 1e3)
                json.member("read_wall_ms", events.read.wall * 1e3)
                json.member("read_during_load_cpu_ms", events.readDuringLoad.cpu * 1e3)
                json.member("read_during_load_wall_ms", events.readDuringLoad.wall * 1e3)
            }
        }
        json.array("daemon_cpu") { json in
            for idle in idle {
                json.beginObject()
                json.member("scan_source", idle.source)
                json.member("scan_interval", 1.0)
                json.member("sockets", idle.sockets)
                json.member("seconds", idle.seconds)
                json.member("scans", idle.scans)
                json.member("cpu_seconds", idle.cpuSeconds)
                json.member("cpu_percent_of_one_core", idle.cpuPercent)
                json.member("utime_seconds", idle.userSeconds)
                json.member("stime_seconds", idle.systemSeconds)
                json.member("sockets_in_other_namespaces", idle.socketsElsewhere)
                json.endObject()
            }
        }
        json.endObject()

        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !directory.isEmpty { mkdir(directory, 0o755) }
        guard let file = fopen(path, "w") else { throw BenchFailure("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { fclose(file) }
        fputs(json.string + "\n", file)
    }
}

func mebibytes(_ kibibytes: Int) -> String { format(Double(kibibytes) / 1024, decimals: 1) + " MiB" }

/// `text` padded with spaces to `width`.
func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return right ? fill + text : text + fill
}

/// `120000` as `120 000`.
func grouped(_ value: Int) -> String {
    let digits = Array(String(value.magnitude))
    var text = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { text.append(" ") }
        text.append(digit)
    }
    return value < 0 ? "-" + text : text
}
