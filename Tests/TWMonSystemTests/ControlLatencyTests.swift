import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonSystem
import TWMonTestSupport

/// Replies do not wait for scans: GetStatus is answered in milliseconds while twmond scans
/// 100 000 TIME_WAIT sockets back to back (a debug build takes seconds per scan).
///
/// The bound here leaves room for a debug build sharing two cores with the rest of the test
/// suite; a release build measured alone answers with p99 ≈ 0.25 ms (the target is
/// 5 ms). A reply that waited for a scan would take up to a whole scan.
@Suite(.serialized, .enabled(if: TestEnvironment.runsRootTests, TestEnvironment.rootSkipReason))
struct ControlLatencyTests {
    @Test func getStatusDoesNotWaitForA100kSocketScan() async throws {
        try await OwnThread.run {
            let namespace = try ScratchNamespace()
            defer { namespace.close() }
            try namespace.check(["sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65000"])
            try namespace.check(["sysctl", "-q", "-w", "net.ipv4.tcp_max_tw_buckets=400000"])
            try namespace.startLoad([TestEnvironment.loadgen, "--listen", "127.0.0.1", "--port", "8080", "--time-wait", "100000",
                                     "--source-addresses", "3", "--established", "10"])
            let directory = try TemporaryDirectory()
            let config = directory.file("twmond.toml"), socket = directory.file("control.sock")
            // An interval far below the scan's duration: the daemon scans without pause.
            try "[scan]\nnamespaces = \"own\"\ninterval = 0.1\n".write(toFile: config, atomically: true, encoding: .utf8)
            _ = try namespace.start([TestEnvironment.executable("twmond"), "--config", config, "--socket", socket])
            let first = try TwmondControlSocketTests.waitForStatus(socket, timeout: .seconds(60)).decode(MonitorStatus.self)
            // The scans must be large ones. (Exact counts are ScanAgainstKernelTests' job: here the
            // first sockets made expire 60 s later, and on a loaded machine making 100 000 of them
            // and starting a debug twmond can take that long — seen as 99 999.)
            #expect(first.totals[.timeWait] >= 95_000)

            let client = try VarlinkClient(path: socket)
            let clock = ContinuousClock()
            var latencies: [Duration] = []
            var last = first
            // Calls spread over at least two scans (the 100k-socket scan is the slow part).
            while latencies.count < 2_000 || last.scanCount < first.scanCount + 2 {
                let started = clock.now
                let reply = try client.call("io.twmon.Monitor.GetStatus")
                latencies.append(clock.now - started)
                if latencies.count % 100 == 0 {
                    last = try reply.decode(MonitorStatus.self)
                    usleep(2_000)
                }
                try #require(latencies.count < 200_000, "the daemon stopped scanning")
            }
            latencies.sort()
            let p50 = latencies[latencies.count / 2], p99 = latencies[latencies.count * 99 / 100]
            print("GetStatus during 100k-socket scans of \(last.scanDurationMilliseconds) ms: \(latencies.count) calls, p50 \(p50), p99 \(p99), max \(latencies.last!)")
            #expect(p99 < .milliseconds(50))
            #expect(latencies.last! < .seconds(last.scanDurationMilliseconds / 4_000))
        }
    }
}
