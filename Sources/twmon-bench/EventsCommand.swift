import ArgumentParser
import Glibc
import TWMonCore
import TWMonSystem

/// `twmon-bench events`: opens the eBPF close-event source as the calling user and prints its
/// checked counts as one JSON line per line read on standard input, until end of input. The
/// system tests run it as root and as an unprivileged user holding only CAP_BPF and
/// CAP_PERFMON; without them it prints the source's error on standard error and exits 3.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print the eBPF close-event counts as JSON, one line per line on stdin (for the tests)."
    )

    @Option(help: "Only the ports of this network namespace inode (net:[N]).")
    var namespace: UInt32?

    func run() throws {
        let source: CloseEventSource
        do {
            source = try CloseEventSource.open()
        } catch {
            log("\(error)")
            throw ExitCode(3)
        }
        print("ready")
        fflush(nil)
        while readLine() != nil {
            var counts = CloseEventCounts()
            let cost = try Cost.of { counts = CloseEventCounts(validating: try source.read()) }
            print(Self.json(counts, namespace: namespace, readSeconds: cost.wall))
            fflush(nil)
        }
        source.close()
    }

    /// `{"events":…,"lost":…,"closers_full":…,"namespaces_full":…,"read_seconds":…,
    /// "rejections":[…],"namespaces":[{"inode":…,"proc_tcp_inode":…}],"ports":[{"namespace":…,
    /// "port":…,"side":"local"|"remote","active_closes":…,"resets":…,"passive_closes":…,"close_wait_ends":…,
    /// "cgroups":N,"closers":[{"pid":…,"comm":…,"closes":…,"certain_closes":…}]}]}`
    static func json(_ counts: CloseEventCounts, namespace: UInt32?, readSeconds: Double) -> String {
        var json = JSONWriter()
        json.beginObject()
        json.member("events", Int(clamping: counts.statistics.events))
        json.member("lost", Int(clamping: counts.statistics.lostCounts))
        json.member("closers_full", Int(clamping: counts.statistics.closersFull))
        json.member("namespaces_full", Int(clamping: counts.statistics.namespacesFull))
        json.member("read_seconds", readSeconds)
        json.array("rejections") { json in counts.rejections.forEach { json.value($0.description) } }
        json.array("namespaces") { json in
            for (inode, procTCPInode) in counts.procTCPInodes.sorted(by: { $0.key < $1.key }) where namespace.map({ $0 == inode }) ?? true {
                json.beginObject()
                json.member("inode", Int(inode))
                json.member("proc_tcp_inode", Int(clamping: procTCPInode))
                json.endObject()
            }
        }
        json.array("ports") { json in
            for (key, port) in counts.ports.sorted(by: { $0.key < $1.key }) where namespace.map({ $0 == key.namespaceInode }) ?? true {
                json.beginObject()
                json.member("namespace", Int(key.namespaceInode))
                json.member("port", Int(key.port))
                json.member("side", key.side == .local ? "local" : "remote")
                json.member("active_closes", Int(clamping: port.counts.activeCloses))
                json.member("resets", Int(clamping: port.counts.resets))
                json.member("passive_closes", Int(clamping: port.counts.passiveCloses))
                json.member("close_wait_ends", Int(clamping: port.counts.closeWaitEnds))
                json.member("cgroups", port.countsByCgroup.count)
                json.array("closers") { json in
                    for closer in port.closers {
                        json.beginObject()
                        json.member("pid", Int(closer.pid))
                        json.member("comm", closer.comm)
                        json.member("closes", Int(clamping: closer.closes))
                        json.member("certain_closes", Int(clamping: closer.certainCloses))
                        json.endObject()
                    }
                }
                json.endObject()
            }
        }
        json.endObject()
        return json.string
    }
}
