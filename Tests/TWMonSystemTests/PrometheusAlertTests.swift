import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonTestSupport

/// The shipped alert rules in a real Prometheus server (Debian's package) scraping a real
/// twmond every second, both in a private network namespace: TIME_WAIT load on port 8080
/// makes `TwmonServerTimeWait` fire for port 8080, and it resolves once the sockets have
/// expired (60 s after the load). About a minute and a half.
@Suite(
    .serialized, .enabled(if: TestEnvironment.runsRootTests, TestEnvironment.rootSkipReason),
    .enabled(if: TestEnvironment.isCI || FileManager.default.isExecutableFile(atPath: TestEnvironment.prometheus),
             "needs Debian's prometheus package (sudo apt-get install prometheus); runs when CI=true")
)
struct PrometheusAlertTests {
    static let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("contrib/prometheus/twmon.rules.yml").path

    /// The alerts Prometheus has pending or firing, from its HTTP API.
    struct AlertsReply: Decodable {
        struct Data: Decodable { var alerts: [Alert] }
        struct Alert: Decodable {
            var labels: [String: String]
            var annotations: [String: String]
            var state: String
        }
        var status: String
        var data: Data
    }

    @Test func timeWaitAlertFiresForPort8080AndResolves() async throws {
        try await OwnThread.run {
            let prometheus = TestEnvironment.prometheus
            guard FileManager.default.isExecutableFile(atPath: prometheus) else {
                Issue.record("\(prometheus) missing: apt-get install prometheus (.ci/run does)")
                return
            }
            let namespace = try ScratchNamespace()
            defer { namespace.close() }
            let directory = try TemporaryDirectory()
            let socket = directory.file("control.sock")
            try "[scan]\nnamespaces = \"own\"\ninterval = 1.0\n[alert]\ntime_wait_threshold = 1000\n[metrics]\nlisten = \"127.0.0.1:19632\"\n"
                .write(toFile: directory.file("twmond.toml"), atomically: true, encoding: .utf8)
            _ = try namespace.start([TestEnvironment.executable("twmond"), "--config", directory.file("twmond.toml"), "--socket", socket])
            _ = try TwmondControlSocketTests.waitForStatus(socket)

            try """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files: ["\(Self.rules)"]
                scrape_configs:
                  - job_name: twmon
                    static_configs: [{targets: ["127.0.0.1:19632"]}]

                """.write(toFile: directory.file("prometheus.yml"), atomically: true, encoding: .utf8)
            let server = try namespace.start([
                prometheus, "--config.file=\(directory.file("prometheus.yml"))", "--storage.tsdb.path=\(directory.file("data"))",
                "--web.listen-address=127.0.0.1:9090", "--log.level=warn",
            ])
            let api = MetricsHTTPClient(namespace: namespace, host: "127.0.0.1", port: 9090)
            func alerts() throws -> [AlertsReply.Alert] {
                let reply = try api.send([("GET", "/api/v1/alerts")])[0]
                guard reply.status == 200 else { return [] }
                return try JSONDecoder().decode(AlertsReply.self, from: Data(reply.body.utf8)).data.alerts
                    .filter { $0.labels["alertname"] == "TwmonServerTimeWait" }
            }
            func waitFor(_ what: String, within timeout: Duration, _ condition: () throws -> Bool) throws {
                let deadline = ContinuousClock.now + timeout
                while try !condition() {
                    guard ContinuousClock.now < deadline, server.isRunning else {
                        Issue.record("not within \(timeout): \(what)")
                        return
                    }
                    usleep(250_000)
                }
            }
            // Prometheus is up and has scraped twmond.
            try waitFor("twmond scraped", within: .seconds(60)) {
                let reply = try? api.send([("GET", "/api/v1/query?query=twmon_scans_total")])[0]
                return reply?.status == 200 && reply!.body.contains("\"job\":\"twmon\"")
            }
            #expect(try alerts().isEmpty)

            let started = ContinuousClock.now
            try namespace.startLoad([TestEnvironment.loadgen, "--port", "8080", "--time-wait", "2000", "--source-addresses", "2"])
            var firing: AlertsReply.Alert?
            try waitFor("TwmonServerTimeWait firing for port 8080", within: .seconds(45)) {
                firing = try alerts().first { $0.state == "firing" && $0.labels["port"] == "8080" }
                return firing != nil
            }
            let fired = ContinuousClock.now - started
            #expect(firing?.labels["severity"] == "warning")
            #expect(firing?.annotations["summary"]?.contains("server port 8080 holds 2000 sockets in TIME_WAIT") == true,
                    "\(firing?.annotations ?? [:])")
            // No other port alerts (the endpoint's own port closes a connection a minute at most).
            #expect(try alerts().allSatisfy { $0.labels["port"] == "8080" })

            // The load is made once: its TIME_WAIT sockets expire 60 s later and twmond clears
            // the alert; Prometheus resolves it.
            try waitFor("TwmonServerTimeWait resolved", within: .seconds(120)) { try alerts().isEmpty }
            let resolved = ContinuousClock.now - started
            print("Prometheus: TwmonServerTimeWait firing \(fired) after the load, resolved \(resolved) after it")
            #expect(resolved > .seconds(55))
        }
    }
}
