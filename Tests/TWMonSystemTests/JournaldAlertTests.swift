import Foundation
import Testing
import TWMonCore
import TWMonTestSupport

/// Alerts as an operator reads them: a real systemd-journald (private, in its own mount
/// namespace), a real network namespace with TIME_WAIT load on a listening port, and
/// `journalctl -o json` to read the entries back.
@Suite(.enabled(if: TestEnvironment.runsRootTests, TestEnvironment.rootSkipReason))
struct JournaldAlertTests {
    @Test func raisedAndClearedEntriesCarryEveryField() throws {
        let directory = try TemporaryDirectory()
        let config = directory.file("twmond.toml")
        try """
            [scan]
            namespaces = "own"
            interval = 0.5
            [alert]
            time_wait_threshold = 100
            sustain = 2
            repeat = 0
            [ports.9999]
            ignore = true
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let output = directory.file("journal.json")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/journald-alert.sh").path
        let run = try ChildProcess.run([
            "unshare", "-m", "-n", "--propagation", "private", "bash", script,
            TestEnvironment.binDirectory.path, config, output,
        ])
        #expect(run.status == 0, "journald-alert.sh failed: \(run.standardError)")
        #expect(run.standardError.contains("daemon exit status 0"))

        let entries = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let raised = entries.filter { $0["MESSAGE_ID"] as? String == AlertKind.timeWait.raisedMessageID }
        let cleared = entries.filter { $0["MESSAGE_ID"] as? String == AlertKind.timeWait.clearedMessageID }
        // One entry per transition, no reminders (repeat = 0).
        try #require(raised.count == 1 && cleared.count == 1, "entries: \(entries.map { $0["MESSAGE"] ?? "" })")

        let alert = raised[0]
        #expect(alert["PRIORITY"] as? String == "4")
        #expect(alert["SYSLOG_IDENTIFIER"] as? String == "twmond")
        #expect(alert["TWMON_ALERT"] as? String == "time_wait")
        #expect(alert["TWMON_EVENT"] as? String == "raised")
        #expect(alert["TWMON_PORT"] as? String == "8080")
        #expect(alert["TWMON_TIME_WAIT"] as? String == "400")
        #expect(alert["TWMON_THRESHOLD"] as? String == "100")
        #expect(alert["TWMON_CLEAR_BELOW"] as? String == "80")
        #expect(alert["TWMON_ESTABLISHED"] as? String == "3")
        #expect(alert["TWMON_TOP_PEERS"] as? String == "127.0.0.1=400")
        // The listener is in the test's own cgroup: named only when that is a unit's.
        let ownCgroup = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8).split(separator: "\n")
            .first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) } ?? "/"
        let port = "port 8080" + PortOwner.suffix(CgroupOwnerParser.owner(cgroupPath: ownCgroup))
        #expect(alert["MESSAGE"] as? String
            == port + ": 400 sockets in TIME_WAIT, ≈ 6.7 closes/s by the server (threshold 100) — the server is closing connections first")
        // 400 closes within the last minute.
        #expect(alert["TWMON_CLOSE_RATE"] as? String == "6.7")
        #expect(alert["TWMON_CGROUP"] as? String == ownCgroup)

        let clear = cleared[0]
        #expect(clear["PRIORITY"] as? String == "5")
        #expect(clear["TWMON_EVENT"] as? String == "cleared")
        #expect(clear["TWMON_PORT"] as? String == "8080")
        #expect(Int(clear["TWMON_TIME_WAIT"] as? String ?? "") ?? .max < 80)
        #expect(clear["TWMON_PEAK"] as? String == "400")
        // The listener is gone by then, and with it the owner.
        #expect((clear["MESSAGE"] as? String)?.hasPrefix("port 8080: TIME_WAIT down to ") == true)

        // Ordinary log lines went through swift-log into the same journal, with fields.
        let started = entries.first { ($0["MESSAGE"] as? String) == "twmond starting" }
        #expect(started?["TWMON_CONFIG"] as? String == config)
        #expect(started?["PRIORITY"] as? String == "6")
    }
}

/// A temporary directory removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "twmon-test-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: created)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}
