import Foundation
import Glibc
import Testing
import TWMonTestSupport

/// twmond against a real notify socket: the exact sd_notify sequence systemd relies on.
/// Runs unprivileged: the daemon reads captured tables through `--proc-root`.
@Suite struct NotifySequenceTests {
    /// A proc root with the captured tables (8080, 8443 and 9000 are servers with TIME_WAIT).
    private func procRoot(in directory: TemporaryDirectory) throws -> String {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TWMonCoreTests/Fixtures")
        let root = directory.file("proc")
        try FileManager.default.createDirectory(atPath: root + "/net", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent("tcp-ipv4.txt").path, toPath: root + "/net/tcp")
        try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent("tcp6-mixed.txt").path, toPath: root + "/net/tcp6")
        return root
    }

    @Test func readyStatusReloadingReadyStoppingAndWatchdog() throws {
        let directory = try TemporaryDirectory()
        let config = directory.file("twmond.toml")
        try "[scan]\nnamespaces = \"own\"\ninterval = 0.2\n[alert]\ntime_wait_threshold = 2\nsustain = 1\n".write(toFile: config, atomically: true, encoding: .utf8)
        let notify = try NotifyListener(path: directory.file("notify.sock"))
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: TestEnvironment.executable("twmond"))
        daemon.arguments = ["--config", config, "--proc-root", try procRoot(in: directory), "--socket", directory.file("control.sock")]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notify.path
        environment["WATCHDOG_USEC"] = "400000"
        environment.removeValue(forKey: "WATCHDOG_PID")
        environment.removeValue(forKey: "JOURNAL_STREAM")
        daemon.environment = environment
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate() } }

        var log: [String] = []
        let ready = try #require(notify.receive(until: { $0.contains("READY=1") }, timeout: 10, into: &log), "no READY=1: \(log)")
        // READY=1 comes with the first status: three server ports in alert.
        #expect(ready.contains("STATUS=3 alerts: :8080 TIME_WAIT 3≥2"))
        #expect(log.dropLast().allSatisfy { !$0.contains("READY=1") })

        // Status after every scan, and the watchdog (every 200 ms for WATCHDOG_USEC=400000).
        var beforeReload: [String] = []
        var pings = 0
        _ = notify.receive(until: { message in
            if message == "WATCHDOG=1" { pings += 1 }
            return pings >= 3
        }, timeout: 5, into: &beforeReload)
        #expect(beforeReload.count(where: { $0 == "WATCHDOG=1" }) >= 3)
        #expect(beforeReload.contains { $0.hasPrefix("STATUS=") && !$0.contains("\n") })

        // SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1.
        kill(daemon.processIdentifier, SIGHUP)
        var reload: [String] = []
        let reloading = try #require(notify.receive(until: { $0.contains("RELOADING=1") }, timeout: 5, into: &reload))
        let monotonic = reloading.split(separator: "\n").first { $0.hasPrefix("MONOTONIC_USEC=") }
        #expect(monotonic.flatMap { UInt64($0.dropFirst("MONOTONIC_USEC=".count)) } ?? 0 > 0)
        #expect(notify.receive(until: { $0.contains("READY=1") }, timeout: 5, into: &reload) != nil, "\(reload)")

        // A broken file on reload: the old configuration stays, STATUS says so.
        try "[alert]\ntime_wait_threshold = 0\n".write(toFile: config, atomically: true, encoding: .utf8)
        kill(daemon.processIdentifier, SIGHUP)
        var broken: [String] = []
        let failed = notify.receive(until: { $0.contains("reload failed") }, timeout: 5, into: &broken)
        #expect(failed?.contains("alert.time_wait_threshold") == true, "\(broken)")
        #expect(failed?.contains("3 alerts") == true, "old threshold 2 still applies: \(broken)")
        #expect(daemon.isRunning)

        // SIGTERM: STOPPING=1 and a clean exit.
        daemon.terminate()
        var stopping: [String] = []
        #expect(notify.receive(until: { $0.contains("STOPPING=1") }, timeout: 5, into: &stopping) != nil, "\(stopping)")
        daemon.waitUntilExit()
        #expect(daemon.terminationReason == .exit && daemon.terminationStatus == 0)
    }

    @Test func checkConfigPrintsTheEffectiveConfigurationOrTheErrors() throws {
        let directory = try TemporaryDirectory()
        let good = directory.file("good.toml"), bad = directory.file("bad.toml")
        try "[alert]\ntime_wait_threshold = 7000\n".write(toFile: good, atomically: true, encoding: .utf8)
        try "[alert]\nsustain = 0\nbogus = 1\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let twmond = TestEnvironment.executable("twmond")
        let valid = try ChildProcess.run([twmond, "--check-config", "--config", good])
        #expect(valid.status == 0)
        #expect(valid.standardOutput.contains("time_wait_threshold = 7000"))
        let invalid = try ChildProcess.run([twmond, "--check-config", "--config", bad])
        #expect(invalid.status == 1)
        #expect(invalid.standardError.contains("alert.sustain: must be from 1 to 1000, got 0"))
        #expect(invalid.standardError.contains("alert.bogus: unknown key"))
        let missing = try ChildProcess.run([twmond, "--check-config", "--config", directory.file("nope.toml")])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("does not exist"))
    }
}
