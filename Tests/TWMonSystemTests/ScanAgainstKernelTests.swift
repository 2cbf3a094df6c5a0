import Foundation
import Testing
import TWMonCore
import TWMonTestSupport

/// `twmonctl scan` against the kernel itself: real sockets in a private network namespace,
/// checked port by port and state by state against `ss`.
@Suite(.serialized, .enabled(if: TestEnvironment.runsRootTests, TestEnvironment.rootSkipReason))
struct ScanAgainstKernelTests {
    /// Server-side TIME_WAIT on IPv4, IPv6 and a dual-stack listener reached over IPv4, plus
    /// ESTABLISHED, CLOSE_WAIT and client-side TIME_WAIT.
    @Test(arguments: ["proc", "netlink"])
    func scanMatchesSSPortByPort(source: String) throws {
        let namespace = try ScratchNamespace()
        defer { namespace.close() }
        try namespace.startMixedLoad()
        try namespace.startLoad([TestEnvironment.loadgen, "--listen", "::1", "--port", "8443", "--time-wait", "120",
                                 "--established", "2", "--close-wait", "1"])

        let (scan, scanned, listed) = try namespace.scanBesideSS(source: source)
        #expect(scanned == listed)

        // What the load generator made, independently of ss.
        #expect(scanned.ports[8080] == ["LISTEN": 1, "TIME_WAIT": 300, "ESTABLISHED": 4, "CLOSE_WAIT": 3])
        #expect(scanned.ports[8443] == ["LISTEN": 1, "TIME_WAIT": 120, "ESTABLISHED": 2, "CLOSE_WAIT": 1])
        #expect(scanned.ports[9000] == ["LISTEN": 1, "TIME_WAIT": 80, "ESTABLISHED": 3])

        let root = try #require(try JSONSerialization.jsonObject(with: Data(scan.standardOutput.utf8)) as? [String: Any])
        let ports = try #require(root["ports"] as? [[String: Any]])
        let dualStack = try #require(ports.first { $0["port"] as? Int == 9000 })
        #expect(dualStack["listening"] as? Bool == true)
        #expect((dualStack["ipv6"] as? [String: Int])?["TIME_WAIT"] == 80)
        #expect(root["malformed_rows"] as? Int == 0)
        #expect((root["totals"] as? [String: Int])?["TIME_WAIT"] == 300 + 120 + 80 + 5)
    }

    /// A table of 100 000 TIME_WAIT sockets (an 15 MB file read in many calls) counts exactly.
    @Test func hundredThousandTimeWaitSocketsMatchSS() throws {
        let namespace = try ScratchNamespace()
        defer { namespace.close() }
        try namespace.check(["sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65000"])
        try namespace.check(["sysctl", "-q", "-w", "net.ipv4.tcp_max_tw_buckets=400000"])
        try namespace.startLoad([TestEnvironment.loadgen, "--listen", "127.0.0.1", "--port", "8080", "--time-wait", "100000",
                                 "--source-addresses", "3", "--established", "10"])
        for source in ["proc", "netlink"] {
            let (_, scanned, listed) = try namespace.scanBesideSS(source: source)
            // On a loaded machine making 100 000 sockets can take long enough for the first ones
            // to leave TIME_WAIT (60 s) before a scan: the exact figure is ss's, beside it.
            let timeWait = scanned.ports[8080]?["TIME_WAIT"] ?? 0
            #expect((95_000...100_000).contains(timeWait), "source \(source): \(timeWait) TIME_WAIT")
            #expect(scanned == listed, "source \(source)")
        }
    }

    /// Unusable arguments and an unreadable proc root end with exit code 2 and a message.
    @Test func unusableInputExitsWithTwo() throws {
        let twmonctl = TestEnvironment.executable("twmonctl")
        for arguments in [["scan", "--state", "NOPE"], ["scan", "--proc-root", "/nonexistent"], ["scan", "--limit", "0"]] {
            let result = try ChildProcess.run([twmonctl] + arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(!result.standardError.isEmpty)
        }
    }
}

extension ScratchNamespace {
    /// `twmonctl scan --json` between two `ss -tanH` listings that agree with each other, so the
    /// comparison is not spoiled by a connection still finishing its close (loopback delivers
    /// the last segments asynchronously). Tries for up to five seconds.
    func scanBesideSS(source: String) throws -> (scan: ChildProcess.CommandResult, scanned: SocketCensus, listed: SocketCensus) {
        var attempt = 0
        while true {
            let before = SocketCensus(ssOutput: try check(["ss", "-tanH"]).standardOutput)
            let scan = try check([TestEnvironment.executable("twmonctl"), "scan", "--json", "--source", source])
            let after = SocketCensus(ssOutput: try check(["ss", "-tanH"]).standardOutput)
            let scanned = try SocketCensus(scanJSON: scan.standardOutput)
            attempt += 1
            if (before == after && scanned == after) || attempt == 50 { return (scan, scanned, after) }
            usleep(100_000)
        }
    }
}
