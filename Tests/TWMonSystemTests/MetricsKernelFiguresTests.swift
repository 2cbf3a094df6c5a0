import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonTestSupport

/// The metrics that come from the other parts of the daemon, read from the textfile of the real
/// `twmond` scanning a private network namespace: the active-closes counter counts each new
/// TIME_WAIT socket of a server port once, and the namespace's kernel figures are the kernel's.
@Suite(.serialized, .enabled(if: TestEnvironment.runsRootTests, TestEnvironment.rootSkipReason))
struct MetricsKernelFiguresTests {
    /// The textfile's samples once `condition` holds for them, or the last ones after 20 s.
    private func waitForTextfile(_ path: String, until condition: (ExpositionSamples) -> Bool) -> ExpositionSamples? {
        let deadline = ContinuousClock.now + .seconds(20)
        var last: ExpositionSamples?
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                let samples = ExpositionSamples(text)
                last = samples
                if condition(samples) { return samples }
            }
            usleep(200_000)
        }
        return last
    }

    private func activeCloses(_ samples: ExpositionSamples, port: Int) -> Double? {
        samples.named("twmon_port_active_closes_total").first { $0.labels["port"] == String(port) }?.value
    }

    @Test func activeClosesAndKernelFiguresReachTheExposition() async throws {
        try await OwnThread.run {
            let namespace = try ScratchNamespace()
            defer { namespace.close() }
            // Ports stay out of TIME_WAIT reuse, so each of the 300 closes leaves one socket.
            try namespace.check(["sysctl", "-q", "-w", "net.ipv4.tcp_tw_reuse=0"])
            let directory = try TemporaryDirectory()
            let textfile = directory.file("twmond.prom")
            let configuration = directory.file("twmond.toml")
            try "[scan]\nnamespaces = \"own\"\ninterval = 1.0\nsource = \"netlink\"\n[metrics]\ntextfile = \"\(textfile)\"\n"
                .write(toFile: configuration, atomically: true, encoding: .utf8)
            _ = try namespace.start([TestEnvironment.executable("twmond"), "--config", configuration,
                                     "--socket", directory.file("control.sock")])
            // A scan before the load: the 300 closes come after it, so all are new.
            let first = try #require(waitForTextfile(textfile) { $0.value("twmon_scans_total") ?? 0 >= 1 })
            #expect(activeCloses(first, port: 8080) == nil)

            try namespace.startLoad([TestEnvironment.loadgen, "--listen", "127.0.0.1", "--port", "8080", "--time-wait", "300"])
            let counted = try #require(waitForTextfile(textfile) { activeCloses($0, port: 8080) ?? 0 >= 300 })
            let scansThen = counted.value("twmon_scans_total") ?? 0
            // Later scans see the same sockets, older: none is counted again.
            let later = try #require(waitForTextfile(textfile) { $0.value("twmon_scans_total") ?? 0 >= scansThen + 3 })
            // Each socket once; one made while a scan read the table may fall on either side of
            // the scans' boundary (its age is measured against the scan's start).
            let total = activeCloses(later, port: 8080) ?? 0
            #expect(total >= 300 && total <= 303, "twmon_port_active_closes_total{port=\"8080\"} = \(total)")
            #expect(later.named("twmon_port_sockets").contains {
                $0.labels["port"] == "8080" && $0.labels["state"] == "time_wait" && $0.value == 300
            })

            // The namespace's kernel figures, as the kernel has them.
            let range = try namespace.check(["cat", "/proc/sys/net/ipv4/ip_local_port_range"]).standardOutput
                .split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
            try #require(range.count == 2)
            let reserved = try namespace.check(["cat", "/proc/sys/net/ipv4/ip_local_reserved_ports"]).standardOutput
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(reserved.isEmpty)
            #expect(later.value("twmon_ephemeral_ports_usable") == Double(range[1] - range[0] + 1))
            let netstat = try namespace.check(["cat", "/proc/net/netstat"]).standardOutput.split(separator: "\n")
            let names = try #require(netstat.first { $0.hasPrefix("TcpExt:") }).split(separator: " ")
            let values = try #require(netstat.last { $0.hasPrefix("TcpExt:") }).split(separator: " ")
            let overflow = try #require(names.firstIndex(of: "TCPTimeWaitOverflow").flatMap { Double(values[$0]) })
            #expect(later.value("twmon_tw_overflow_total") == overflow)
            let maxBuckets = try namespace.check(["cat", "/proc/sys/net/ipv4/tcp_max_tw_buckets"]).standardOutput
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(later.value("twmon_tw_buckets_max") == Double(maxBuckets))
        }
    }
}
