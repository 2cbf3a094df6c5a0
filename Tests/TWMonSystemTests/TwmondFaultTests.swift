import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonSystem
import TWMonTestSupport

/// The real `twmond` when its work goes wrong: a scan that starts failing, a reload to a
/// source it cannot scan, SIGTERM during a long interval, a second instance on its socket,
/// a reload of the log level. Runs on the fixture tables; no root needed.
@Suite("twmond under faults")
struct TwmondFaultTests {
    /// A configuration scanning `procRoot` every `interval` s that alerts at 2 TIME_WAIT.
    static func writeConfiguration(_ path: String, procRoot: String, interval: String = "0.2", logLevel: String = "info") throws {
        try """
            [scan]
            namespaces = "own"
            interval = \(interval)
            proc_root = "\(procRoot)"
            [alert]
            time_wait_threshold = 2
            sustain = 1
            [log]
            level = "\(logLevel)"

            """.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func start(in directory: TemporaryDirectory, interval: String = "0.2", notify: String? = nil) throws -> (RunningDaemon, config: String, root: String) {
        let root = try TwmondControlSocketTests.procRoot(in: directory)
        let config = directory.file("twmond.toml")
        try writeConfiguration(config, procRoot: root, interval: interval)
        let socket = directory.file("control.sock")
        let daemon = try RunningDaemon(["--config", config, "--socket", socket], socket: socket, in: directory, notify: notify)
        try daemon.waitUntilServing()
        return (daemon, config, root)
    }

    /// Polls GetStatus every 20 ms until `condition` holds; returns the status and how long
    /// it took, or nil after `timeout`.
    static func waitForStatus(_ daemon: RunningDaemon, timeout: Duration = .seconds(10), _ condition: (MonitorStatus) -> Bool) throws -> (MonitorStatus, Duration)? {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < timeout {
            let status = try daemon.timedStatus().status.decode(MonitorStatus.self)
            if condition(status) { return (status, ContinuousClock.now - started) }
            usleep(20_000)
        }
        return nil
    }

    /// net/tcp replaced by a directory: the next scan's failure is in GetStatus.problem and in
    /// STATUS at once (within 1 s, scans every 0.2 s), the age of the last good scan grows,
    /// and `twmonctl check` says UNKNOWN once it passes three intervals. Restoring the file
    /// clears it all.
    @Test func aFailingScanIsPublishedAndCheckTurnsUnknown() async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let notify = try NotifyListener(path: directory.file("notify.sock"))
            let (daemon, _, root) = try Self.start(in: directory, notify: notify.path)
            #expect(try TwmondControlSocketTests.twmonctl(["check", "--socket", daemon.socket]).status == MonitoringCheck.State.warning.rawValue)
            let table = root + "/net/tcp"
            let saved = try Data(contentsOf: URL(fileURLWithPath: table))
            var log: [String] = []
            while notify.receive(timeout: 0.01) != nil {}

            try FileManager.default.removeItem(atPath: table)
            try FileManager.default.createDirectory(atPath: table, withIntermediateDirectories: false)
            let failing = try Self.waitForStatus(daemon) { $0.problem?.contains("scan failed") == true }
            #expect(failing != nil && failing!.1 < .seconds(1), "\(String(describing: failing))")
            #expect(notify.receive(until: { $0.contains("STATUS=Scan failing: scan failed") }, timeout: 2, into: &log) != nil, "\(log)")

            let stale = try Self.waitForStatus(daemon) { $0.scanAgeSeconds >= 1 }
            #expect(stale != nil)
            let check = try TwmondControlSocketTests.twmonctl(["check", "--socket", daemon.socket])
            #expect(check.status == MonitoringCheck.State.unknown.rawValue)
            #expect(check.standardOutput.hasPrefix("TWMON UNKNOWN - last successful scan "), "\(check.standardOutput)")
            #expect(check.standardOutput.contains("scan failed"))

            try FileManager.default.removeItem(atPath: table)
            try saved.write(to: URL(fileURLWithPath: table))
            #expect(try Self.waitForStatus(daemon) { $0.problem == nil && $0.scanAgeSeconds == 0 } != nil)
            #expect(try TwmondControlSocketTests.twmonctl(["check", "--socket", daemon.socket]).status == MonitoringCheck.State.warning.rawValue)
        }
    }

    /// A reload to `scan.proc_root = "/nonexistent"` is refused like an invalid file: the
    /// running configuration keeps scanning, the refusal is logged at PRIORITY=3 (`error`)
    /// and shown in STATUS and GetStatus.problem.
    @Test func aReloadToAProcRootThatCannotBeScannedIsRefused() async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let notify = try NotifyListener(path: directory.file("notify.sock"))
            let (daemon, config, _) = try Self.start(in: directory, notify: notify.path)
            try Self.writeConfiguration(config, procRoot: "/nonexistent")
            var log: [String] = []
            daemon.send(SIGHUP)
            #expect(notify.receive(until: { $0.contains("STATUS=") && $0.contains("reload failed") }, timeout: 5, into: &log) != nil, "\(log)")
            let refused = try Self.waitForStatus(daemon) { $0.problem?.contains("reload failed") == true }
            #expect(refused?.0.problem?.contains("scan.proc_root: cannot scan") == true, "\(String(describing: refused?.0.problem))")
            // Still scanning the old root.
            let count = refused?.0.scanCount ?? 0
            let later = try Self.waitForStatus(daemon) { $0.scanCount > count + 2 }
            #expect(later != nil && later!.0.problem?.contains("scan failed") == false)
            #expect(later?.0.alerts.map(\.port) == [8080, 8443, 9000])
            #expect(daemon.log.contains("twmond: error: configuration reload failed, running configuration kept"), "\(daemon.log)")
        }
    }

    /// SIGTERM in the middle of a 30 s interval stops twmond within 1 s, exit 0.
    @Test func sigtermDuringALongIntervalStopsAtOnce() async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let (daemon, _, _) = try Self.start(in: directory, interval: "30")
            usleep(300_000)
            let took = daemon.stop()
            print("SIGTERM with interval = 30: stopped after \(took)")
            #expect(took < .seconds(1))
            #expect(daemon.process.terminationReason == .exit && daemon.process.terminationStatus == 0)
        }
    }

    /// A second twmond given the socket path of a running one refuses to start (exit 1, a
    /// clear message) and leaves the first one's socket alone: the first still answers.
    @Test func aSecondDaemonOnALiveSocketIsRefused() async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let (first, config, _) = try Self.start(in: directory)
            var before = stat()
            #expect(stat(first.socket, &before) == 0)
            let second = try RunningDaemon(["--config", config, "--socket", first.socket], socket: first.socket, in: directory)
            let started = ContinuousClock.now
            while second.process.isRunning && ContinuousClock.now - started < .seconds(10) { usleep(20_000) }
            try #require(!second.process.isRunning, "the second twmond runs on: \(first.log)")
            #expect(second.process.terminationStatus == 1)
            #expect(second.log.contains("is serving \(first.socket); refusing to replace its socket"), "\(second.log)")
            var after = stat()
            #expect(stat(first.socket, &after) == 0 && after.st_ino == before.st_ino)
            #expect(try first.timedStatus().took < .seconds(1))
        }
    }

    /// `log.level` reloaded from info to debug reaches the control server's logger (its
    /// debug line about closing a connection that sent garbage appears only after the reload).
    @Test func reloadingTheLogLevelReachesTheControlServer() async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let (daemon, config, root) = try Self.start(in: directory)
            func sendGarbage() throws {
                let client = try UnixTestClient(path: daemon.socket)
                client.send([0xFF, 0])
                #expect(client.receive(timeout: .seconds(2)) == .closed)
            }
            let debugLine = "twmond: debug: closing control connection"
            try sendGarbage()
            usleep(200_000)
            #expect(!daemon.log.contains(debugLine))

            try Self.writeConfiguration(config, procRoot: root, logLevel: "debug")
            daemon.send(SIGHUP)
            try ControlServerHarness.waitUntil { daemon.log.contains("configuration reloaded") }
            try sendGarbage()
            try ControlServerHarness.waitUntil { daemon.log.contains(debugLine) }
        }
    }
}
