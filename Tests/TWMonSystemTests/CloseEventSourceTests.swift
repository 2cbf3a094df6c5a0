import Foundation
import Glibc
import Testing
import TWMonCore
@testable import TWMonSystem
import TWMonTestSupport

/// When the kernel tests of the close-event source run.
enum CloseEventTestGate {
    /// Root (or CI) and a kernel with BTF; in CI a kernel without BTF fails the tests instead.
    static let runs = TestEnvironment.runsRootTests && (TestEnvironment.isCI || access(CloseEventSource.kernelBTFPath, F_OK) == 0)
    static let skipReason: Comment = "needs root (private network namespaces, setpriv) and a kernel with BTF (/sys/kernel/btf/vmlinux); runs when CI=true"
}

/// The eBPF close-event source against the real kernel: exact counts of real closes in private
/// namespaces, as root and as an unprivileged user with only CAP_BPF and CAP_PERFMON, the
/// error without them, the namespace join key, and a burst.
@Suite(.serialized, .enabled(if: CloseEventTestGate.runs, CloseEventTestGate.skipReason))
struct CloseEventSourceTests {
    /// The namespace's inode number, `net:[N]`.
    private func inode(of namespace: ScratchNamespace) -> Int {
        var status = stat()
        stat("/run/netns/" + namespace.name, &status)
        return Int(status.st_ino)
    }

    private func pid(ofLoad report: String) throws -> Int {
        try JSONValue.parse(Array(report.utf8)).int("pid")
    }

    /// 5 000 server-side closes on 8080, 5 000 client-side closes on 8081 and 1 000 aborts
    /// (SO_LINGER 0) on 8082, in a private namespace, counted exactly by `probe`.
    private func checkExactCounts(_ probe: CloseEventProbe) throws {
        let namespace = try ScratchNamespace()
        defer { namespace.close() }
        let server = try pid(ofLoad: namespace.startLoad([TestEnvironment.loadgen, "--port", "8080", "--time-wait", "5000"]).report)
        let clients = try pid(ofLoad: namespace.startLoad([TestEnvironment.loadgen, "--port", "8081", "--client-time-wait", "5000"]).report)
        _ = try namespace.startLoad([TestEnvironment.loadgen, "--port", "8082", "--resets", "1000"]).report
        let reply = try probe.read()
        let inode = inode(of: namespace)

        let serverPort = try ProbedPort(reply, namespace: inode, port: 8080)
        #expect(serverPort == ProbedPort(activeCloses: 5_000))
        #expect(serverPort.closers.first?.pid == server)
        #expect(serverPort.closers.first?.comm == "twmon-loadgen")
        #expect(serverPort.closers.first?.closes == 5_000)
        // The same connections seen from their clients: passive closes towards 8080.
        #expect(try ProbedPort(reply, namespace: inode, port: 8080, side: "remote") == ProbedPort(passiveCloses: 5_000, closeWaitEnds: 5_000))

        #expect(try ProbedPort(reply, namespace: inode, port: 8081) == ProbedPort(passiveCloses: 5_000, closeWaitEnds: 5_000))
        let clientSide = try ProbedPort(reply, namespace: inode, port: 8081, side: "remote")
        #expect(clientSide == ProbedPort(activeCloses: 5_000))
        #expect(clientSide.closers.first?.pid == clients)

        // An abort is a reset, never an active close (no TIME_WAIT follows); its client sees the RST.
        #expect(try ProbedPort(reply, namespace: inode, port: 8082) == ProbedPort(resets: 1_000))
        #expect(try ProbedPort(reply, namespace: inode, port: 8082, side: "remote") == ProbedPort(resets: 1_000))
        #expect(try reply.int("lost") == 0)
        #expect(try reply.field("rejections") == .array([]))
    }

    @Test func exactCountsAsRoot() throws {
        try checkExactCounts(try CloseEventProbe())
    }

    @Test func exactCountsWithOnlyCapBPFAndCapPerfmon() throws {
        try checkExactCounts(try CloseEventProbe(capabilities: ["bpf", "perfmon"]))
    }

    @Test(arguments: [([String](), "CAP_BPF and CAP_PERFMON are missing"), (["bpf"], "CAP_PERFMON is missing"),
                      (["perfmon"], "CAP_BPF is missing")])
    func withoutTheCapabilitiesTheErrorSaysWhich(capabilities: [String], expected: String) throws {
        do {
            _ = try CloseEventProbe(capabilities: capabilities)
            Issue.record("the source opened with capabilities \(capabilities)")
        } catch let error as CloseEventProbe.OpenFailed {
            #expect(error.status == 3)
            #expect(error.standardError.contains("loading the eBPF program needs CAP_BPF and CAP_PERFMON"), "\(error)")
            #expect(error.standardError.contains(expected), "\(error)")
        }
    }

    /// Two namespaces with the same port: each one's closes under its own inode, and the join
    /// key is the inode of that namespace's /proc/PID/net/tcp, as an unprivileged twmond sees it.
    @Test func eachNamespaceUnderItsOwnKey() throws {
        let probe = try CloseEventProbe(capabilities: ["bpf", "perfmon"])
        let first = try ScratchNamespace(), second = try ScratchNamespace()
        defer { first.close(); second.close() }
        let firstServer = try pid(ofLoad: first.startLoad([TestEnvironment.loadgen, "--port", "8080", "--time-wait", "700"]).report)
        let secondServer = try pid(ofLoad: second.startLoad([TestEnvironment.loadgen, "--port", "8080", "--time-wait", "300"]).report)
        let reply = try probe.read()
        #expect(try ProbedPort(reply, namespace: inode(of: first), port: 8080) == ProbedPort(activeCloses: 700))
        #expect(try ProbedPort(reply, namespace: inode(of: second), port: 8080) == ProbedPort(activeCloses: 300))

        guard case .array(let namespaces) = try reply.field("namespaces") else { Issue.record("no namespaces"); return }
        for (namespace, server) in [(first, firstServer), (second, secondServer)] {
            var status = stat()
            #expect(stat("/proc/\(server)/net/tcp", &status) == 0)
            let entry = try namespaces.first { try $0.int("inode") == inode(of: namespace) }
            #expect(try entry?.int("proc_tcp_inode") == Int(status.st_ino), "stat -c %i /proc/\(server)/net/tcp")
        }
        // The join runs both ways in the pure model too.
        let counts = CloseEventCounts(validating: CloseEventRead(namespaces: try namespaces.map {
            NamespaceRecord(namespaceInode: UInt32(try $0.int("inode")), cookie: 1, procTCPInode: UInt32(try $0.int("proc_tcp_inode")))
        }))
        var status = stat()
        stat("/proc/\(firstServer)/net/tcp", &status)
        #expect(counts.namespaceInode(procTCPInode: UInt64(status.st_ino)) == UInt32(inode(of: first)))
    }

    /// More sampled ports than one piece of the closer read (64): every port's closer is there.
    @Test func closersOfManyPortsAreReadInPieces() throws {
        let probe = try CloseEventProbe()
        let namespace = try ScratchNamespace()
        defer { namespace.close() }
        let ports = 9_100..<9_230
        for port in ports {
            try namespace.check([TestEnvironment.executable("twmon-loadgen"), "--port", String(port), "--time-wait", "2"])
        }
        let reply = try probe.read()
        for port in ports {
            let probed = try ProbedPort(reply, namespace: inode(of: namespace), port: port)
            #expect(probed.activeCloses == 2, "port \(port)")
            #expect(probed.closers.first?.closes == 2, "port \(port)")
        }
    }

    /// 200 connections the client closed and the server holds (`--close-wait 200`): the
    /// `close_wait` map has 200 sockets on 8080 in the namespace, older at each read; once the
    /// load generator closes them (SIGUSR1, CLOSE_WAIT → LAST_ACK), none.
    @Test func socketsInCloseWaitAreTrackedUntilTheyLeaveIt() throws {
        let source = try CloseEventSource.open()
        defer { source.close() }
        let namespace = try ScratchNamespace()
        defer { namespace.close() }
        let load = try namespace.startLoad([TestEnvironment.loadgen, "--port", "8080", "--close-wait", "200"])
        let inode = UInt32(inode(of: namespace))
        let first = CloseEventCounts(validating: try source.read())
        #expect(first.rejections.isEmpty)
        #expect(first.closeWaitFigures(namespaceInode: inode, minAge: 0)[8080]?.total == 200)
        #expect(first.closeWaitFigures(namespaceInode: inode, minAge: 60)[8080]?.old == 0)
        usleep(1_200_000)
        let later = CloseEventCounts(validating: try source.read())
        let aged = later.closeWaitFigures(namespaceInode: inode, minAge: 1)[8080]
        #expect(aged == CloseWaitFigures(total: 200, old: 200, oldestAgeSeconds: 1))
        let firstOldest = first.closeWaitAges[inode]?[8080]?.max() ?? 0, laterOldest = later.closeWaitAges[inode]?[8080]?.max() ?? 0
        #expect(laterOldest >= firstOldest + 1_000_000_000)
        print("close_wait map: 200 sockets on 8080, oldest \(Double(firstOldest) / 1e9) s then \(Double(laterOldest) / 1e9) s")

        kill(pid_t(try pid(ofLoad: load.report)), SIGUSR1)
        _ = try load.process.readUntil(line: "closed 200 CLOSE_WAIT", timeout: .seconds(30))
        // The FIN goes out in close(): the LAST_ACK transitions happened before the line.
        let closed = CloseEventCounts(validating: try source.read())
        #expect(closed.closeWaitFigures(namespaceInode: inode, minAge: 0)[8080] == nil)
        #expect(closed.statistics.countsFull == 0)
    }

    /// 200 000 server-side closes paced over 10 s: every one counted or counted as lost, and a
    /// read stays below twmond's scan interval (1 s) while the other suites run beside it. The
    /// load generator runs at the lowest priority: it would otherwise take both cores of a small
    /// machine from the daemons other suites time.
    @Test func aBurstOf200000Closes() throws {
        let probe = try CloseEventProbe()
        let namespace = try ScratchNamespace()
        defer { namespace.close() }
        let before = try probe.read()
        let started = Date()
        try namespace.check(["nice", "-n", "19", TestEnvironment.executable("twmon-loadgen"), "--port", "8090", "--close-rate", "20000", "--duration", "10"])
        let seconds = Date().timeIntervalSince(started)
        let reply = try probe.read()
        let counted = try ProbedPort(reply, namespace: inode(of: namespace), port: 8090).activeCloses
        let lost = try reply.int("lost") - before.int("lost")
        guard case .array(let ports) = try reply.field("ports") else { Issue.record("no ports"); return }
        print("burst: 200 000 closes in \(seconds) s, \(counted) counted, \(lost) lost, read of \(ports.count) ports in \(try reply.double("read_seconds") * 1e3) ms")
        #expect(counted <= 200_000)
        #expect(counted + lost >= 200_000)
        #expect(try reply.double("read_seconds") < 1)
    }
}

/// Which error a refused bpf() becomes (no kernel needed).
@Suite struct CloseEventRefusalTests {
    @Test func aRefusedBPFCallIsToldApartByWhatTheProcessHolds() {
        let none = ProcessPrivileges.parse("Name:\tx\nCapEff:\t0000000000000000\nSeccomp:\t0\n")
        #expect(CloseEventSource.refusal(EPERM, none) == .missingCapabilities(missing: ["CAP_BPF", "CAP_PERFMON"]))
        let both = ProcessPrivileges.parse("CapEff:\t000000c000000000\nSeccomp:\t2\n")
        #expect(both == ProcessPrivileges(hasBPF: true, hasPerfmon: true, seccompFiltered: true))
        #expect(CloseEventSource.refusal(EPERM, both) == .systemCallFiltered(errno: EPERM))
        #expect(CloseEventSource.refusal(ENOSYS, both) == .systemCallFiltered(errno: ENOSYS))
        let unfiltered = ProcessPrivileges(hasBPF: true, hasPerfmon: true, seccompFiltered: false)
        #expect(CloseEventSource.refusal(ENOSYS, unfiltered) == .noBPFSystemCall)
        #expect(CloseEventSourceError.systemCallFiltered(errno: EPERM).description.contains("SystemCallFilter=bpf"))
    }
}
