import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonSystem
import TWMonTestSupport

/// twmond with `[events] source = "ebpf"` against the real kernel: as root it counts a server's
/// 5 000 first closes exactly and names the closing process, and so does an unprivileged twmond
/// holding only CAP_BPF and CAP_PERFMON; without them it says once why events are off and goes on
/// scanning.
@Suite(.serialized, .enabled(if: CloseEventTestGate.runs, CloseEventTestGate.skipReason))
struct CloseEventsDaemonTests {
    typealias Started = ListenerOwnerTests.Started

    /// A twmond in `namespace` with close events on, its stderr appended to `directory/stderr`.
    private func startDaemon(
        in namespace: ScratchNamespace, directory: TemporaryDirectory, privileges: [String], namespaces: NamespaceMode = .own,
        interval: Double = 0.5, extra: String = ""
    ) throws -> (Started, socket: String) {
        let config = directory.file("twmond.toml")
        try """
            [scan]
            interval = \(interval)
            namespaces = "\(namespaces.rawValue)"
            [alert]
            time_wait_threshold = 1000
            sustain = 1
            [events]
            source = "ebpf"
            [metrics]
            textfile = "\(directory.file("twmond.prom"))"
            \(extra)
            """.write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o644)
        let socket = directory.file("control.sock")
        let daemon = try Started(
            ["/bin/sh", "-c", "exec \"$@\" 2>>'\(directory.file("stderr"))'", "sh"] + privileges
                + [TestEnvironment.executable("twmond"), "--config", config, "--socket", socket], in: namespace, cgroup: nil)
        _ = try TwmondControlSocketTests.waitForStatus(socket, timeout: .seconds(30))
        return (daemon, socket)
    }

    /// 5 000 connections the server closes first on 8080 while twmond (with `privileges`) runs:
    /// ListPorts and the alert name the load generator as top closer with exactly 5 000 closes,
    /// `twmon_port_active_closes_total` is 5 000, the alert's entry names it.
    private func checkExactCloses(privileges: [String]) throws {
        let namespace = try ScratchNamespace()
        defer { namespace.close() }
        let directory = try TemporaryDirectory()
        chmod(directory.path, 0o777)
        let (daemon, socket) = try startDaemon(in: namespace, directory: directory, privileges: privileges)
        defer { daemon.stop() }
        let server = try Started([TestEnvironment.executable("twmon-loadgen"), "--port", "8080", "--time-wait", "5000", "--hold"], in: namespace, cgroup: nil)
        defer { server.stop() }
        #expect(server.waitForLine("ready", timeout: .seconds(30)))
        let pid = Int(server.process.processIdentifier)

        var port: JSONValue?
        var metric: Double?
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let ports = try VarlinkClient(path: socket, timeout: .seconds(5)).call("io.twmon.Monitor.ListPorts").array("ports")
            port = ports.first { (try? $0.int("port")) == 8080 }
            let exposition = ExpositionSamples((try? String(contentsOfFile: directory.file("twmond.prom"), encoding: .utf8)) ?? "")
            metric = exposition.named("twmon_port_active_closes_total").first { $0.labels["port"] == "8080" }?.value
            if let port, (try? port.array("closers").first?.int("closes")) == 5_000, metric == 5_000 { break }
            usleep(200_000)
        }
        let found = try #require(port, "port 8080 not listed")
        #expect(try found.string("closes_source") == "ebpf")
        let closer = try #require(try found.array("closers").first)
        #expect(try closer.int("pid") == pid)
        #expect(try closer.string("comm") == "twmon-loadgen")
        #expect(try closer.int("closes") == 5_000)
        #expect(metric == 5_000)

        let alerts = try VarlinkClient(path: socket, timeout: .seconds(5)).call("io.twmon.Monitor.ListAlerts").array("alerts")
        let alert = try #require(alerts.first { (try? $0.int("port")) == 8080 }, "no alert on 8080: \(alerts)")
        #expect(try alert.string("closes_source") == "ebpf")
        #expect(try alert.array("closers").first?.int("pid") == pid)
        // The alert's entry, echoed to stderr (no journald stream), names the closer.
        let log = try String(contentsOfFile: directory.file("stderr"), encoding: .utf8)
        let raised = log.split(separator: "\n").first { $0.contains("sockets in TIME_WAIT") } ?? ""
        #expect(raised.contains("closed by twmon-loadgen[\(pid)]"), "\(log)")
        #expect(raised.contains("TWMON_CLOSER_COMM=twmon-loadgen") && raised.contains("TWMON_CLOSER_PID=\(pid)"), "\(log)")
        #expect(!log.contains("close events are off"), "\(log)")
        #expect(daemon.process.isRunning)
    }

    @Test func aServerClosingFirstIsCountedExactlyAndNamed() throws {
        try checkExactCloses(privileges: [])
    }

    /// With `scan.namespaces = "all"`, the closes of a server in another namespace join that
    /// namespace's port (by the key both sides derive from `/proc/PID/net/tcp`), not twmond's.
    @Test func closesInAnotherNamespaceJoinThatNamespacesPort() throws {
        let own = try ScratchNamespace(), other = try ScratchNamespace()
        defer { own.close(); other.close() }
        let directory = try TemporaryDirectory()
        chmod(directory.path, 0o777)
        let (daemon, socket) = try startDaemon(in: own, directory: directory, privileges: [], namespaces: .all)
        defer { daemon.stop() }
        let server = try Started([TestEnvironment.executable("twmon-loadgen"), "--port", "8080", "--time-wait", "2000", "--hold"], in: other, cgroup: nil)
        defer { server.stop() }
        #expect(server.waitForLine("ready", timeout: .seconds(30)))
        let pid = server.process.processIdentifier
        var port: JSONValue?
        // Every namespace on the host is read in full at the first scan (the other suites'
        // included): the first scans may take seconds, and ListPorts answers NotReady before.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let ports = (try? VarlinkClient(path: socket, timeout: .seconds(5)).call("io.twmon.Monitor.ListPorts").array("ports")) ?? []
            // Other suites may hold port 8080 in namespaces of their own: this one's closer is ours.
            port = ports.first { (try? $0.int("port")) == 8080 && (try? $0.array("closers").first?.int("pid")) == Int(pid) }
            if let port, (try? port.array("closers").first?.int("closes")) == 2_000 { break }
            usleep(200_000)
        }
        let found = try #require(port, "no port 8080 with the load generator as closer")
        #expect(try found.field("netns").field("own") == .bool(false))
        #expect(try found.string("closes_source") == "ebpf")
        #expect(try found.array("closers").first?.int("closes") == 2_000)
        #expect(try found.field("states").int("TIME_WAIT") == 2_000)
        // twmond's own namespace has no port 8080: nothing was counted there.
        let ports = try VarlinkClient(path: socket, timeout: .seconds(5)).call("io.twmon.Monitor.ListPorts").array("ports")
        #expect(!ports.contains { (try? $0.int("port")) == 8080 && (try? $0.field("netns").field("own")) == .bool(true) })
    }

    /// 200 connections left in CLOSE_WAIT just after a scan (interval 4 s, `close_wait.min_age`
    /// 1 s, threshold 100, sustain 1): the close_wait alert is active at the very next scan. The
    /// table walk alone could not raise it there: it first sees the sockets at that scan, aged 0;
    /// the events know when they entered CLOSE_WAIT, about 4 s before.
    @Test func closeWaitLeakIsRaisedAtTheFirstScanAfterItAges() throws {
        let namespace = try ScratchNamespace()
        defer { namespace.close() }
        let directory = try TemporaryDirectory()
        chmod(directory.path, 0o777)
        let (daemon, socket) = try startDaemon(in: namespace, directory: directory, privileges: [], interval: 4, extra: """
            [close_wait]
            threshold = 100
            min_age = 1.0
            """)
        defer { daemon.stop() }
        func scans() -> Int { (try? VarlinkClient(path: socket, timeout: .seconds(5)).call("io.twmon.Monitor.GetStatus").int("scan_count")) ?? 0 }
        func alerts() -> [JSONValue] {
            (try? VarlinkClient(path: socket, timeout: .seconds(5)).call("io.twmon.Monitor.ListAlerts").array("alerts")) ?? []
        }
        // Start the leak just after a scan.
        let deadline = ContinuousClock.now + .seconds(30)
        var before = scans()
        while ContinuousClock.now < deadline, before == 0 || scans() == before {
            if before == 0 { before = scans() }
            usleep(50_000)
        }
        let afterScan = scans()
        let load = try Started([TestEnvironment.executable("twmon-loadgen"), "--port", "8080", "--close-wait", "200", "--hold"], in: namespace, cgroup: nil)
        defer { load.stop() }
        #expect(load.waitForLine("ready", timeout: .seconds(30)))
        let atReady = scans()
        try #require(atReady == afterScan, "a scan ran while the load generator started (\(afterScan) → \(atReady)): the walk may have seen the sockets")
        var found: JSONValue?
        var scanSeen = atReady
        while ContinuousClock.now < deadline + .seconds(30) {
            let list = alerts()
            scanSeen = scans()
            found = list.first { (try? $0.string("kind")) == "close_wait" && (try? $0.int("port")) == 8080 }
            if found != nil || scanSeen > atReady + 1 { break }
            usleep(100_000)
        }
        let alert = try #require(found, "no close_wait alert on 8080 by scan \(scanSeen) (the load started after scan \(atReady))")
        #expect(scanSeen == atReady + 1, "raised at scan \(scanSeen), the load started after scan \(atReady)")
        #expect(try alert.int("close_wait") == 200)
        #expect(try alert.int("oldest_age_seconds") >= 1)
        print("close_wait raised at scan \(scanSeen) (load after scan \(atReady)): \(alert)")
    }

    @Test func asAnUnprivilegedUserWithOnlyCapBPFAndCapPerfmon() throws {
        try checkExactCloses(privileges: [
            "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "--inh-caps=+bpf,+perfmon", "--ambient-caps=+bpf,+perfmon",
        ])
    }

    @Test func withoutTheCapabilitiesEventsAreOffOnceAndScansGoOn() throws {
        let namespace = try ScratchNamespace()
        defer { namespace.close() }
        let directory = try TemporaryDirectory()
        chmod(directory.path, 0o777)
        let (daemon, socket) = try startDaemon(
            in: namespace, directory: directory,
            privileges: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"])
        defer { daemon.stop() }
        let first = try VarlinkClient(path: socket, timeout: .seconds(5)).call("io.twmon.Monitor.GetStatus")
        usleep(2_000_000)
        let later = try VarlinkClient(path: socket, timeout: .seconds(5)).call("io.twmon.Monitor.GetStatus")
        #expect(try later.int("scan_count") > first.int("scan_count"))
        #expect(try later.string("problem").contains("close events are off: loading the eBPF program needs CAP_BPF and CAP_PERFMON"))
        let log = try String(contentsOfFile: directory.file("stderr"), encoding: .utf8)
        print("twmond without capabilities said: \(log.split(separator: "\n").filter { $0.contains("close events") })")
        #expect(log.components(separatedBy: "close events are off").count - 1 == 1, "\(log)")
        #expect(daemon.process.isRunning)
    }
}
