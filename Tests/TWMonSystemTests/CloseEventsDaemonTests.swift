import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonSystem
import TWMonTestSupport

/// twmond with `[events] source = "ebpf"` against the real kernel: as root it counts a server's
/// 5 000 first closes exactly and names the closing process; without CAP_BPF and CAP_PERFMON it
/// says once why events are off and goes on scanning.
@Suite(.serialized, .enabled(if: CloseEventTestGate.runs, CloseEventTestGate.skipReason))
struct CloseEventsDaemonTests {
    typealias Started = ListenerOwnerTests.Started

    /// A twmond in `namespace` with close events on, its stderr appended to `directory/stderr`.
    private func startDaemon(in namespace: ScratchNamespace, directory: TemporaryDirectory, privileges: [String]) throws -> (Started, socket: String) {
        let config = directory.file("twmond.toml")
        try """
            [scan]
            interval = 0.5
            namespaces = "own"
            [alert]
            time_wait_threshold = 1000
            sustain = 1
            [events]
            source = "ebpf"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o644)
        let socket = directory.file("control.sock")
        let daemon = try Started(
            ["/bin/sh", "-c", "exec \"$@\" 2>>'\(directory.file("stderr"))'", "sh"] + privileges
                + [TestEnvironment.executable("twmond"), "--config", config, "--socket", socket], in: namespace, cgroup: nil)
        _ = try TwmondControlSocketTests.waitForStatus(socket, timeout: .seconds(30))
        return (daemon, socket)
    }

    @Test func aServerClosingFirstIsCountedExactlyAndNamed() throws {
        let namespace = try ScratchNamespace()
        defer { namespace.close() }
        let directory = try TemporaryDirectory()
        let (daemon, socket) = try startDaemon(in: namespace, directory: directory, privileges: [])
        defer { daemon.stop() }
        let server = try Started([TestEnvironment.executable("twmon-loadgen"), "--port", "8080", "--time-wait", "5000", "--hold"], in: namespace, cgroup: nil)
        defer { server.stop() }
        #expect(server.waitForLine("ready", timeout: .seconds(30)))
        let pid = Int(server.process.processIdentifier)

        var port: JSONValue?
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let ports = try VarlinkClient(path: socket, timeout: .seconds(5)).call("io.twmon.Monitor.ListPorts").array("ports")
            port = ports.first { (try? $0.int("port")) == 8080 }
            if let port, (try? port.array("closers").first?.int("closes")) == 5_000 { break }
            usleep(200_000)
        }
        let found = try #require(port, "port 8080 not listed")
        #expect(try found.string("closes_source") == "ebpf")
        let closer = try #require(try found.array("closers").first)
        #expect(try closer.int("pid") == pid)
        #expect(try closer.string("comm") == "twmon-loadgen")
        #expect(try closer.int("closes") == 5_000)

        let alerts = try VarlinkClient(path: socket, timeout: .seconds(5)).call("io.twmon.Monitor.ListAlerts").array("alerts")
        let alert = try #require(alerts.first { (try? $0.int("port")) == 8080 }, "no alert on 8080: \(alerts)")
        #expect(try alert.string("closes_source") == "ebpf")
        #expect(try alert.array("closers").first?.int("pid") == pid)
        let log = try String(contentsOfFile: directory.file("stderr"), encoding: .utf8)
        #expect(!log.contains("close events are off"), "\(log)")
        #expect(daemon.process.isRunning)
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
