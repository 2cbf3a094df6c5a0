import Foundation
import Testing
import TWMonCore
import TWMonTestSupport

/// The alert kinds beyond TIME_WAIT, as an operator reads them: the real kernel condition in a
/// private network namespace, a real twmond, a private systemd-journald read back with
/// `journalctl -o json`, and `twmonctl alerts --json` while the alert is active and after it
/// cleared (`Tests/scripts/journald-kinds.sh`).
@Suite(.enabled(if: TestEnvironment.runsRootTests, TestEnvironment.rootSkipReason), .serialized)
struct AlertKindsJournalTests {
    /// What one scenario left behind.
    struct Run {
        var entries: [[String: Any]]
        var active: AlertListing
        var after: AlertListing
        var kernel: [String: Int]
        var config: String

        func entries(_ id: String, event: String) -> [[String: Any]] {
            entries.filter { $0["MESSAGE_ID"] as? String == id && $0["TWMON_EVENT"] as? String == event }
        }
    }

    static func run(_ kind: AlertKind, configuration: String) throws -> Run {
        let directory = try TemporaryDirectory()
        let config = directory.file("twmond.toml")
        try configuration.write(toFile: config, atomically: true, encoding: .utf8)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/journald-kinds.sh").path
        let result = try ChildProcess.run([
            "unshare", "-m", "-n", "--propagation", "private", "bash", script, kind.rawValue,
            TestEnvironment.binDirectory.path, config, directory.path, kind.raisedMessageID, kind.clearedMessageID,
        ])
        #expect(result.status == 0, "journald-kinds.sh \(kind.rawValue) failed: \(result.standardError)")
        #expect(result.standardError.contains("daemon exit status 0"), "\(result.standardError)")
        let entries = try String(contentsOfFile: directory.file("journal.json"), encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        func listing(_ name: String) throws -> AlertListing {
            try JSONValue.parse(Array(try String(contentsOfFile: directory.file(name), encoding: .utf8).utf8)).decode(AlertListing.self)
        }
        var kernel: [String: Int] = [:]
        for line in try String(contentsOfFile: directory.file("kernel.txt"), encoding: .utf8).split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 2, let value = Int(words[1]) { kernel[String(words[0])] = value }
        }
        return Run(entries: entries, active: try listing("active.json"), after: try listing("after.json"), kernel: kernel, config: config)
    }

    static let common = """
        [scan]
        namespaces = "own"
        interval = 0.2
        source = "SOURCE"
        [alert]
        time_wait_threshold = 100000
        sustain = 2
        repeat = 0
        tw_buckets_ratio = 0

        """

    @Test(arguments: ["proc", "netlink"])
    func closeWaitHeldPastMinAgeRaisesAndClearsWhenClosed(source: String) throws {
        let run = try Self.run(.closeWait, configuration: Self.common.replacingOccurrences(of: "SOURCE", with: source) + """
            [close_wait]
            threshold = 100
            min_age = 1.0
            """)
        let kind = AlertKind.closeWait
        let raised = run.entries(kind.raisedMessageID, event: "raised")
        let cleared = run.entries(kind.clearedMessageID, event: "cleared")
        try #require(raised.count == 1 && cleared.count == 1, "entries: \(run.entries.map { $0["MESSAGE"] ?? "" })")
        let alert = raised[0]
        #expect(alert["PRIORITY"] as? String == "4")
        #expect(alert["TWMON_ALERT"] as? String == "close_wait")
        #expect(alert["TWMON_PORT"] as? String == "8080")
        #expect(alert["TWMON_CLOSE_WAIT"] as? String == "200")
        #expect(alert["TWMON_THRESHOLD"] as? String == "100")
        #expect(alert["TWMON_CLEAR_BELOW"] as? String == "80")
        #expect(alert["TWMON_MIN_AGE"] as? String == "1")
        #expect(Int(alert["TWMON_OLDEST_AGE_SECONDS"] as? String ?? "") ?? -1 >= 1)
        #expect((alert["MESSAGE"] as? String)?.hasPrefix("port 8080: 200 sockets in CLOSE_WAIT for 1 s or more (threshold 100, oldest ") == true)
        // The application closed them, still listening: none are left.
        #expect(run.kernel["closed_close_wait"] == 200)
        #expect(run.kernel["listening_after"] == 1)
        #expect(cleared[0]["TWMON_CLOSE_WAIT"] as? String == "0")
        #expect(cleared[0]["TWMON_PEAK"] as? String == "200")
        #expect(cleared[0]["PRIORITY"] as? String == "5")

        let active = try #require(run.active.alerts.first { $0.kind == .closeWait })
        #expect(active.subject == .port(8080))
        #expect(active.count == 200)
        #expect((active.figures as? CloseWaitAlertFigures)?.minAgeSeconds == 1)
        #expect(run.after.alerts.filter { $0.kind == .closeWait }.isEmpty)
        #expect(run.after.history.filter { $0.kind == .closeWait }.map(\.event) == [.raised, .cleared])
    }

    @Test(arguments: ["proc", "netlink"])
    func clientClosingFirstToOneDestinationRaisesEphemeralPorts(source: String) throws {
        let run = try Self.run(.ephemeralPorts, configuration: Self.common.replacingOccurrences(of: "SOURCE", with: source) + """
            [ephemeral_ports]
            ratio = 0.8
            """)
        let kind = AlertKind.ephemeralPorts
        #expect(run.kernel["client_time_wait"] == 450)
        let raised = run.entries(kind.raisedMessageID, event: "raised")
        let cleared = run.entries(kind.clearedMessageID, event: "cleared")
        try #require(raised.count == 1 && cleared.count == 1, "entries: \(run.entries.map { $0["MESSAGE"] ?? "" })")
        let alert = raised[0]
        #expect(alert["PRIORITY"] as? String == "4")
        #expect(alert["TWMON_ALERT"] as? String == "ephemeral_ports")
        #expect(alert["TWMON_LOCAL_ADDRESS"] as? String == "127.0.0.1")
        #expect(alert["TWMON_REMOTE_ADDRESS"] as? String == "127.0.0.1")
        #expect(alert["TWMON_REMOTE_PORT"] as? String == "8080")
        #expect(alert["TWMON_SOCKETS"] as? String == "450")
        #expect(alert["TWMON_TIME_WAIT"] as? String == "450")
        #expect(alert["TWMON_USABLE_PORTS"] as? String == "500")
        #expect(alert["TWMON_PORT_RANGE"] as? String == "40000-40499")
        #expect(alert["TWMON_TW_REUSE"] as? String == "0")
        #expect(alert["TWMON_THRESHOLD"] as? String == "400")
        #expect(alert["TWMON_RATIO"] as? String == "0.80")
        #expect((alert["MESSAGE"] as? String)?.hasPrefix("127.0.0.1 → 127.0.0.1:8080: 450 sockets hold local ports, 90% of the 500 usable ephemeral ports") == true)
        // Cleared once the range was widened: the same sockets, a larger range.
        #expect(cleared[0]["TWMON_USABLE_PORTS"] as? String == "28232")

        let active = try #require(run.active.alerts.first { $0.kind == .ephemeralPorts })
        let loopback = try #require(IPAddress(text: "127.0.0.1"))
        #expect(active.subject == .clientTuple(ClientTuple(localAddress: loopback, remoteAddress: loopback, remotePort: 8080)))
        #expect(active.count == 450)
        #expect((active.figures as? EphemeralPortsAlertFigures)?.usablePorts == 500)
        #expect((active.figures as? EphemeralPortsAlertFigures)?.timeWait == 450)
        #expect(run.after.alerts.isEmpty)
        #expect(run.after.history.filter { $0.kind == .ephemeralPorts }.map(\.event) == [.raised, .cleared])
    }

    @Test func timeWaitPastTheBucketLimitRaisesOverflowWithTheKernelsCount() throws {
        let run = try Self.run(.twOverflow, configuration: Self.common.replacingOccurrences(of: "SOURCE", with: "auto").replacingOccurrences(of: "sustain = 2", with: "sustain = 10"))
        let kind = AlertKind.twOverflow
        // The kernel's own figures: 200 TIME_WAIT sockets kept, the other 800 destroyed.
        let overflow = try #require(run.kernel["overflow"])
        #expect(overflow == 800)
        #expect(run.kernel["time_wait"] == 200)
        let raised = run.entries(kind.raisedMessageID, event: "raised")
        let cleared = run.entries(kind.clearedMessageID, event: "cleared")
        try #require(raised.count == 1 && cleared.count == 1, "entries: \(run.entries.map { $0["MESSAGE"] ?? "" })")
        let alert = raised[0]
        #expect(alert["PRIORITY"] as? String == "3")
        #expect(alert["TWMON_ALERT"] as? String == "tw_overflow")
        #expect((1...overflow).contains(Int(alert["TWMON_OVERFLOW"] as? String ?? "") ?? 0))
        #expect((alert["MESSAGE"] as? String)?.hasPrefix("namespace: the kernel destroyed ") == true)
        // By the time it clears, every destroyed socket is counted: the kernel's figure.
        #expect(cleared[0]["TWMON_OVERFLOW_SINCE_START"] as? String == String(overflow))
        #expect(cleared[0]["TWMON_OVERFLOW"] as? String == "0")
        #expect(cleared[0]["PRIORITY"] as? String == "5")

        let active = try #require(run.active.alerts.first { $0.kind == .twOverflow })
        #expect(active.subject == .namespace)
        #expect((1...overflow).contains((active.figures as? TWOverflowAlertFigures)?.overflowSinceStart ?? 0))
        #expect(run.after.alerts.isEmpty)
        #expect(run.after.history.filter { $0.kind == .twOverflow }.map(\.event) == [.raised, .cleared])
    }
}
