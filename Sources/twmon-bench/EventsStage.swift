import Glibc
import TWMonCore
import TWMonSystem
import TWMonTestSupport

/// What the close-event source costs: the kernel's time per TCP state change in the BPF
/// program (`kernel.bpf_stats_enabled` = 1, `bpf_prog_info` run_time_ns / run_cnt), and the
/// daemon's time for one read of the maps (copy, check, tally) while a port closes `rate`
/// connections per second for `seconds`.
struct EventsResult {
    var rate: Int
    var seconds: Double
    /// Runs of the program (every TCP state change on the machine) and their time.
    var runCount: UInt64
    var runTimeNanoseconds: UInt64
    /// Active closes counted on the loaded port, and what the program lost.
    var activeCloses: UInt64
    var lost: UInt64
    /// Ports in the read (every namespace's).
    var ports: Int
    /// One read of the whole source, `CloseEventCounts(validating:)` and `CloseEventTally.record`
    /// included: medians of the reads made once a second during the load, and of 100 reads after it.
    var readDuringLoad: Cost
    var read: Cost

    var nanosecondsPerEvent: Double { runCount > 0 ? Double(runTimeNanoseconds) / Double(runCount) : .nan }
}

enum EventsStage {
    static let statsSetting = "/proc/sys/kernel/bpf_stats_enabled"

    static func measure(rate: Int, seconds: Double, tools: Tools, name: String) throws -> EventsResult {
        let previous = readProcText(statsSetting)?.filter { $0.isNumber } ?? "0"
        try writeSetting("1")
        defer { try? writeSetting(previous) }
        let source: CloseEventSource
        do { source = try CloseEventSource.open() } catch { throw BenchFailure("\(error)") }
        defer { source.close() }
        let namespace = try ScratchNamespace.forBenchmark(name: name, maxTimeWait: 262_144)
        defer { namespace.close() }

        var tally = CloseEventTally(openedAt: .seconds(monotonicNow()))
        var last = CloseEventCounts()
        func readOnce() throws -> Cost {
            try Cost.of {
                last = CloseEventCounts(validating: try source.read())
                _ = tally.record(last, at: .seconds(monotonicNow()))
            }
        }
        let load = try namespace.startLoad([
            tools.loadgen, "--listen", "127.0.0.1", "--port", "8080", "--close-rate", String(rate), "--duration", String(seconds),
        ]).process
        var duringLoad = Samples()
        for _ in 0..<Int(seconds.rounded(.up)) {
            try checkInterrupted()
            usleep(1_000_000)
            duringLoad.append(try readOnce())
        }
        _ = try load.readUntil(line: "done", timeout: .seconds(seconds + 120))
        var after = Samples()
        for _ in 0..<100 { after.append(try readOnce()) }
        let info: CloseEventProgramInfo
        do { info = try source.programInfo() } catch { throw BenchFailure("\(error)") }

        let inode = namespace.identity.filter(\.isNumber)
        let port = last.ports[CloseEventPort(namespaceInode: UInt32(inode) ?? 0, port: 8080)]
        return EventsResult(
            rate: rate, seconds: seconds, runCount: info.runCount, runTimeNanoseconds: info.runTimeNanoseconds,
            activeCloses: port?.counts.activeCloses ?? 0, lost: last.statistics.lostCounts, ports: last.ports.count,
            readDuringLoad: duringLoad.median, read: after.median)
    }

    private static func writeSetting(_ value: String) throws {
        guard let file = fopen(statsSetting, "w") else { throw BenchFailure("cannot write \(statsSetting): \(String(cString: strerror(errno)))") }
        fputs(value + "\n", file)
        fclose(file)
    }
}
