import Foundation
import Testing
import TWMonCore
import TWMonSystem

/// The namespace's figures are read part by part from a proc root: one bad file costs its own
/// part only, and the others (with their alerts) keep working.
@Suite struct NamespaceCountersReaderTests {
    /// A proc root with good sockstat, limit, range and reuse files and `netstat` as given.
    private func procRoot(netstat: String) throws -> TemporaryDirectory {
        let root = try TemporaryDirectory()
        for folder in ["net", "sys/net/ipv4"] {
            try FileManager.default.createDirectory(atPath: root.file(folder), withIntermediateDirectories: true)
        }
        let files = [
            "net/sockstat": "sockets: used 10\nTCP: inuse 3 orphan 0 tw 1500 alloc 4 mem 1\n",
            "sys/net/ipv4/tcp_max_tw_buckets": "262144\n",
            "sys/net/ipv4/ip_local_port_range": "32768\t60999\n",
            "sys/net/ipv4/ip_local_reserved_ports": "\n",
            "sys/net/ipv4/tcp_tw_reuse": "2\n",
            "net/netstat": netstat,
        ]
        for (name, text) in files { try text.write(toFile: root.file(name), atomically: true, encoding: .utf8) }
        return root
    }

    @Test func everyPartOfAGoodRoot() throws {
        let root = try procRoot(netstat: "TcpExt: TWRecycled TCPTimeWaitOverflow\nTcpExt: 2 800\n")
        let (counters, problems) = NamespaceCountersReader(procRoot: root.path).readEach()
        #expect(problems.isEmpty)
        #expect(counters.timeWait == NamespaceTimeWait(timeWait: 1_500, maxBuckets: 262_144))
        #expect(counters.ephemeralPorts?.usable == 28_232)
        #expect(counters.twReuse == 2)
        #expect(counters.timeWaitEvents == TimeWaitEventCounters(overflow: 800, recycled: 2))
    }

    @Test func aBadNetstatCostsOnlyItsOwnPart() throws {
        let root = try procRoot(netstat: "TcpExt: TWRecycled TCPTimeWaitOverflow\nTcpExt: 2 99999999999999999999999\n")
        let reader = NamespaceCountersReader(procRoot: root.path)
        let (counters, problems) = reader.readEach()
        #expect(problems.count == 1)
        #expect("\(problems)".contains("netstat"))
        #expect(counters.timeWaitEvents == nil)
        // The TIME_WAIT total and its limit, the range and tcp_tw_reuse are still there.
        #expect(counters.timeWait == NamespaceTimeWait(timeWait: 1_500, maxBuckets: 262_144))
        #expect(counters.ephemeralPorts?.usable == 28_232)
        #expect(counters.twReuse == 2)
        // `read()` still reports the problem as a whole.
        #expect(throws: NamespaceCountersError.self) { try reader.read() }
    }

    /// A netstat without the TcpExt TIME_WAIT counters would leave tw_overflow silent for good:
    /// it is a problem, named, and the other parts are read.
    @Test(arguments: ["IpExt: InNoRoutes\nIpExt: 0\n", "TcpExt: SyncookiesSent TWRecycled\nTcpExt: 0 3\n", ""])
    func aNetstatWithoutTheCountersIsAProblem(netstat: String) throws {
        let root = try procRoot(netstat: netstat)
        let (counters, problems) = NamespaceCountersReader(procRoot: root.path).readEach()
        #expect(problems == [.missingFigures(path: root.path + "/net/netstat", figures: "TcpExt TCPTimeWaitOverflow and TWRecycled counters", kind: .twOverflow)])
        #expect(problems.first?.description == "namespace counters: \(root.path)/net/netstat has no TcpExt TCPTimeWaitOverflow and TWRecycled counters, so tw_overflow cannot fire")
        #expect(counters.timeWaitEvents == nil)
        #expect(counters.timeWait == NamespaceTimeWait(timeWait: 1_500, maxBuckets: 262_144))
    }
}
