import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonSystem
import TWMonTestSupport

/// The control socket of the real `twmond` binary, queried with `twmonctl`: self-bound from a
/// configuration, socket-activated as systemd does it, and against real load compared with `ss`.
@Suite("twmond control socket and twmonctl")
struct TwmondControlSocketTests {
    /// A proc root with the captured tables (8080, 8443 and 9000 are servers with TIME_WAIT),
    /// the namespace counters included.
    static func procRoot(in directory: TemporaryDirectory) throws -> String {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TWMonCoreTests/Fixtures")
        let root = directory.file("proc")
        try FileManager.default.createDirectory(atPath: root + "/net", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/sys/net/ipv4", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent("tcp-ipv4.txt").path, toPath: root + "/net/tcp")
        try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent("tcp6-mixed.txt").path, toPath: root + "/net/tcp6")
        try "TCP: inuse 5 orphan 0 tw 9 alloc 6 mem 1\n".write(toFile: root + "/net/sockstat", atomically: true, encoding: .utf8)
        try "262144\n".write(toFile: root + "/sys/net/ipv4/tcp_max_tw_buckets", atomically: true, encoding: .utf8)
        return root
    }

    /// A configuration scanning every 0.2 s that alerts at 2 TIME_WAIT after one scan.
    static func configuration(in directory: TemporaryDirectory, socket: String? = nil) throws -> String {
        let path = directory.file("twmond.toml")
        var text = "[scan]\nnamespaces = \"own\"\ninterval = 0.2\n[alert]\ntime_wait_threshold = 2\nsustain = 1\n"
        if let socket { text += "[control]\nsocket = \"\(socket)\"\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func twmonctl(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess.CommandResult {
        try ChildProcess.run(
            [TestEnvironment.executable("twmonctl")] + arguments,
            environment: environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 }
        )
    }

    /// Starts `command` with stderr discarded; the caller stops it.
    static func start(_ command: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        environment.removeValue(forKey: "LISTEN_FDS")
        environment.removeValue(forKey: "LISTEN_PID")
        process.environment = environment
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits until the daemon behind `socket` has scanned (GetStatus answers).
    static func waitForStatus(_ socket: String, timeout: Duration = .seconds(15)) throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                return try VarlinkClient(path: socket).call("io.twmon.Monitor.GetStatus")
            } catch {
                guard ContinuousClock.now < deadline else { throw error }
                usleep(50_000)
            }
        }
    }

    @Test func twmonctlQueriesASelfBoundDaemon() async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let socket = directory.file("control.sock")
            let root = try Self.procRoot(in: directory)
            let daemon = try Self.start([TestEnvironment.executable("twmond"), "--config", try Self.configuration(in: directory, socket: socket), "--proc-root", root])
            defer { if daemon.isRunning { daemon.terminate() } }
            _ = try Self.waitForStatus(socket)

            var info = stat()
            #expect(stat(socket, &info) == 0 && info.st_mode & 0o777 == 0o666)

            let status = try Self.twmonctl(["status", "--socket", socket])
            #expect(status.status == 0, "\(status.standardError)")
            #expect(status.standardOutput.hasPrefix("twmond \(TWMonVersion.current), up "))
            #expect(status.standardOutput.contains("alerts:     3 active"))

            // The daemon's table is the one `twmonctl scan` reads from the same files.
            let ports = try Self.twmonctl(["ports", "--json"], environment: ["TWMON_SOCKET": socket])
            let scan = try Self.twmonctl(["scan", "--json", "--proc-root", root])
            #expect(try SocketCensus(scanJSON: ports.standardOutput) == SocketCensus(scanJSON: scan.standardOutput))
            let table = try Self.twmonctl(["ports", "--socket", socket, "--listening", "--state", "time-wait", "--limit", "2"])
            #expect(table.status == 0)
            #expect(table.standardOutput.hasPrefix("PORT "))
            #expect(table.standardOutput.split(separator: "\n").count == 4)

            let alerts = try Self.twmonctl(["alerts", "--socket", socket, "--json"])
            let listing = try JSONValue.parse(Array(alerts.standardOutput.utf8)).decode(AlertListing.self)
            #expect(listing.alerts.map(\.port) == [8080, 8443, 9000])
            #expect(try Self.twmonctl(["alerts", "--socket", socket]).standardOutput.hasPrefix("ACTIVE\n  time_wait        :8080 "))

            let check = try Self.twmonctl(["check", "--socket", socket])
            #expect(check.status == MonitoringCheck.State.warning.rawValue, "\(check.standardOutput)")
            #expect(check.standardOutput.hasPrefix("TWMON WARNING - "))
            #expect(check.standardOutput.contains(" | port_time_wait="))
            #expect(try Self.twmonctl(["check", "--socket", socket, "--warning", "1000"]).status == MonitoringCheck.State.ok.rawValue)
            #expect(try Self.twmonctl(["check", "--socket", socket, "--warning", "0"]).status == MonitoringCheck.State.unknown.rawValue)
            // Beyond any count: a usage error (UNKNOWN), not a trap.
            let huge = try Self.twmonctl(["check", "--socket", socket, "--warning", "4611686018427387904"])
            #expect(huge.status == MonitoringCheck.State.unknown.rawValue)
            #expect(huge.standardOutput == "TWMON UNKNOWN - --warning must be from 1 to 2147483647, got 4611686018427387904\n")

            // SIGTERM: a clean exit that removes the socket file it bound.
            daemon.terminate()
            daemon.waitUntilExit()
            #expect(daemon.terminationReason == .exit && daemon.terminationStatus == 0)
            #expect(access(socket, F_OK) != 0)

            let gone = try Self.twmonctl(["status", "--socket", socket])
            #expect(gone.status == 1)
            #expect(gone.standardError == "twmonctl: twmond is not running? cannot connect to \(socket): No such file or directory\n")
            let unknown = try Self.twmonctl(["check", "--socket", socket])
            #expect(unknown.status == MonitoringCheck.State.unknown.rawValue)
            #expect(unknown.standardOutput.hasPrefix("TWMON UNKNOWN - twmond is not running? cannot connect to "))
        }
    }

    /// Started the way systemd starts it with twmond.socket: the listening socket is fd 3,
    /// `--socket` is not bound, and the socket file is left to whoever created it.
    @Test func socketActivated() async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let activated = directory.file("activated.sock"), unused = directory.file("unused.sock")
            let daemon = try Self.start([
                "systemd-socket-activate", "--listen", activated,
                TestEnvironment.executable("twmond"), "--config", try Self.configuration(in: directory),
                "--proc-root", try Self.procRoot(in: directory), "--socket", unused,
            ])
            defer { if daemon.isRunning { daemon.terminate() } }
            let deadline = ContinuousClock.now + .seconds(10)
            while access(activated, F_OK) != 0 && ContinuousClock.now < deadline { usleep(20_000) }

            // The first connection makes systemd-socket-activate start twmond on the socket.
            let status = try Self.waitForStatus(activated).decode(MonitorStatus.self)
            #expect(status.alerts.map(\.port) == [8080, 8443, 9000])
            #expect(try VarlinkClient(path: activated).call("org.varlink.service.GetInfo")["product"] == .string("twmond"))
            #expect(access(unused, F_OK) != 0)

            daemon.terminate()
            daemon.waitUntilExit()
            #expect(daemon.terminationReason == .exit && daemon.terminationStatus == 0)
            #expect(access(activated, F_OK) == 0)
        }
    }
}

/// The same against real sockets in a private network namespace: what `twmonctl` reports from
/// the daemon agrees with `ss`.
@Suite(.serialized, .enabled(if: TestEnvironment.runsRootTests, TestEnvironment.rootSkipReason))
struct TwmondAgainstKernelTests {
    @Test func twmonctlPortsAndStatusAgreeWithSS() async throws {
        try await OwnThread.run {
            let namespace = try ScratchNamespace()
            defer { namespace.close() }
            try namespace.startMixedLoad()
            let directory = try TemporaryDirectory()
            let socket = directory.file("control.sock")
            _ = try namespace.start([TestEnvironment.executable("twmond"), "--config",
                                     try TwmondControlSocketTests.configuration(in: directory), "--socket", socket])
            _ = try TwmondControlSocketTests.waitForStatus(socket)

            // ss before and after, and the daemon's answers in between, until all agree (a scan
            // every 0.2 s catches up with connections still finishing their close).
            func totals(_ census: SocketCensus) -> [String: Int] {
                census.ports.values.reduce(into: [:]) { $0.merge($1, uniquingKeysWith: +) }
            }
            var attempt = 0
            var listed: SocketCensus, reported: SocketCensus, status: MonitorStatus
            repeat {
                if attempt > 0 { usleep(100_000) }
                attempt += 1
                let before = SocketCensus(ssOutput: try namespace.check(["ss", "-tanH"]).standardOutput)
                let ports = try TwmondControlSocketTests.twmonctl(["ports", "--json", "--socket", socket])
                let statusReply = try TwmondControlSocketTests.twmonctl(["status", "--json", "--socket", socket])
                listed = SocketCensus(ssOutput: try namespace.check(["ss", "-tanH"]).standardOutput)
                reported = try SocketCensus(scanJSON: ports.standardOutput)
                status = try JSONValue.parse(Array(statusReply.standardOutput.utf8)).decode(MonitorStatus.self)
                if before == listed && reported == listed && status.totals.names == totals(listed) { break }
            } while attempt < 50
            #expect(reported == listed)
            #expect(reported.ports[8080] == ["LISTEN": 1, "TIME_WAIT": 300, "ESTABLISHED": 4, "CLOSE_WAIT": 3])
            #expect(status.totals.names == totals(listed))
            #expect(status.serverPorts == 2)
        }
    }
}

extension StateCounts {
    /// `["TIME_WAIT": 300, …]`, as `SocketCensus` counts.
    var names: [String: Int] {
        Dictionary(uniqueKeysWithValues: nonZero.map { ($0.state.name, $0.count) })
    }
}
