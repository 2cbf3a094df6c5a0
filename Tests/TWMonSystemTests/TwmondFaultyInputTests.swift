import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonSystem
import TWMonTestSupport

/// The real `twmond` against a `--proc-root` whose files turn hostile after the first good
/// scan, and configurations that are not files: it never hangs, never grows without bound,
/// never traps; it keeps answering with the last good snapshot and says what is wrong
/// (issue 10, C and D). Unprivileged: no namespace needed.
@Suite("twmond under faulty input")
struct TwmondFaultyInputTests {
    /// A running daemon whose stderr (its log, JOURNAL_STREAM unset) goes to a file.
    final class Daemon {
        let process = Process()
        let socket: String
        let log: String

        /// `notifySocket`: where its sd_notify messages go, if anywhere.
        init(directory: TemporaryDirectory, configuration: String, procRoot: String, notifySocket: String? = nil) throws {
            socket = directory.file("control.sock")
            log = directory.file("twmond.log")
            FileManager.default.createFile(atPath: log, contents: nil)
            process.executableURL = URL(fileURLWithPath: TestEnvironment.executable("twmond"))
            process.arguments = ["--config", configuration, "--proc-root", procRoot, "--socket", socket]
            var environment = ProcessInfo.processInfo.environment
            for key in ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "JOURNAL_STREAM", "WATCHDOG_USEC"] {
                environment.removeValue(forKey: key)
            }
            environment["NOTIFY_SOCKET"] = notifySocket
            process.environment = environment
            process.standardError = FileHandle(forWritingAtPath: log)
            try process.run()
        }

        deinit { if process.isRunning { process.terminate() } }

        func status() throws -> MonitorStatus {
            try VarlinkClient(path: socket).call("io.twmon.Monitor.GetStatus").decode(MonitorStatus.self)
        }

        var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        /// Waits up to `timeout` for `condition`.
        func wait(_ timeout: Duration = .seconds(10), until condition: () throws -> Bool) rethrows -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if try condition() { return true }
                usleep(50_000)
            }
            return try condition()
        }

        /// VmRSS in KiB.
        var residentKiB: Int {
            let text = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            let line = text.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }

        /// SIGTERM; true when it exited cleanly within `timeout`.
        func stop(within timeout: Duration = .seconds(5)) -> Bool {
            process.terminate()
            let deadline = ContinuousClock.now + timeout
            while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
            guard !process.isRunning else { return false }
            return process.terminationReason == .exit && process.terminationStatus == 0
        }
    }

    /// What replaces a table after the first good scan.
    enum Hostile: String, CaseIterable, Sendable {
        case fifoAsTCP = "FIFO as net/tcp"
        case devZeroAsTCP6 = "/dev/zero as net/tcp6"
        case hugeLineInTCP = "48 MiB line in net/tcp"
        case directoryAsTCP = "directory as net/tcp"

        func install(in root: String) throws -> String {
            switch self {
            case .fifoAsTCP:
                unlink(root + "/net/tcp")
                guard mkfifo(root + "/net/tcp", 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
                return "\(root)/net/tcp is a FIFO, not a regular file"
            case .devZeroAsTCP6:
                unlink(root + "/net/tcp6")
                try FileManager.default.createSymbolicLink(atPath: root + "/net/tcp6", withDestinationPath: "/dev/zero")
                return "\(root)/net/tcp6 is a character device, not a regular file"
            case .hugeLineInTCP:
                var bytes = Array("  sl  local_address rem_address   st\n".utf8)
                bytes += [UInt8](repeating: UInt8(ascii: "0"), count: 48 << 20)
                bytes.append(UInt8(ascii: "\n"))
                try Data(bytes).write(to: URL(fileURLWithPath: root + "/net/tcp.new"))
                rename(root + "/net/tcp.new", root + "/net/tcp")
                return "\(root)/net/tcp has a line longer than \(ProcFileReader.defaultMaximumLineLength) bytes"
            case .directoryAsTCP:
                unlink(root + "/net/tcp")
                try FileManager.default.createDirectory(atPath: root + "/net/tcp", withIntermediateDirectories: false)
                return "\(root)/net/tcp is a directory, not a regular file"
            }
        }
    }

    @Test(arguments: Hostile.allCases)
    func aHostileTableFailsTheScanNotTheDaemon(_ hostile: Hostile) async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let root = try TwmondControlSocketTests.procRoot(in: directory)
            let daemon = try Daemon(
                directory: directory, configuration: try TwmondControlSocketTests.configuration(in: directory), procRoot: root
            )
            _ = try TwmondControlSocketTests.waitForStatus(daemon.socket)
            let good = try daemon.status()
            let residentBefore = daemon.residentKiB

            let expected = try hostile.install(in: root)
            #expect(daemon.wait { daemon.logText.contains(expected) }, "log: \(daemon.logText.suffix(2_000))")
            // Several failing scans later: still running, answering at once with the last good table.
            usleep(600_000)
            #expect(daemon.process.isRunning)
            let started = ContinuousClock.now
            let kept = try daemon.status()
            #expect(ContinuousClock.now - started < .seconds(1))
            #expect(kept.totals == good.totals)
            #expect(kept.alerts.map(\.port) == good.alerts.map(\.port))
            // Bounded memory: no buffer grew towards the hostile file's size.
            #expect(daemon.residentKiB - residentBefore < 16 * 1024, "VmRSS \(residentBefore) → \(daemon.residentKiB) KiB")
            #expect(daemon.stop(), "twmond did not stop cleanly on SIGTERM")
        }
    }

    /// The namespace figures of the new alert kinds come from the proc root like the others:
    /// TcpExt from ROOT/net/netstat, the ephemeral range and tcp_tw_reuse from ROOT/sys. An
    /// increase of TCPTimeWaitOverflow there raises tw_overflow; a port range the kernel could
    /// not print is a problem naming the file, not a trap.
    @Test func namespaceFiguresOfTheNewKindsComeFromTheProcRoot() async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let root = try TwmondControlSocketTests.procRoot(in: directory)
            func netstat(_ overflow: Int) throws {
                try "TcpExt: SyncookiesSent TWRecycled TCPTimeWaitOverflow\nTcpExt: 0 3 \(overflow)\n"
                    .write(toFile: root + "/net/netstat", atomically: true, encoding: .utf8)
            }
            try netstat(100)
            try "40000\t40009\n".write(toFile: root + "/sys/net/ipv4/ip_local_port_range", atomically: true, encoding: .utf8)
            try "40000\n".write(toFile: root + "/sys/net/ipv4/ip_local_reserved_ports", atomically: true, encoding: .utf8)
            try "1\n".write(toFile: root + "/sys/net/ipv4/tcp_tw_reuse", atomically: true, encoding: .utf8)
            let configuration = directory.file("twmond.toml")
            try "[scan]\nnamespaces = \"own\"\ninterval = 0.2\n[alert]\nsustain = 3\n".write(toFile: configuration, atomically: true, encoding: .utf8)
            let daemon = try Daemon(directory: directory, configuration: configuration, procRoot: root)
            let status = try TwmondControlSocketTests.waitForStatus(daemon.socket).decode(MonitorStatus.self)
            #expect(status.problem == nil)
            #expect(status.namespace?.ephemeralPorts == EphemeralPortRange(low: 40_000, high: 40_009, reserved: 1))
            #expect(status.namespace?.twReuse == 1)
            #expect(status.namespace?.timeWaitEvents == TimeWaitEventCounters(overflow: 100, recycled: 3))
            // The counter goes up by 50: tw_overflow at once, with what twmond saw since it started.
            try netstat(150)
            #expect(try daemon.wait { try daemon.status().alerts.contains { $0.kind == .twOverflow } })
            let alert = try #require(try daemon.status().alerts.first { $0.kind == .twOverflow })
            #expect((alert.figures as? TWOverflowAlertFigures)?.overflowSinceStart == 50)
            #expect(daemon.logText.contains("error: namespace: the kernel destroyed 50 TIME_WAIT sockets"))
            // A range no kernel prints.
            try "0 70000\n".write(toFile: root + "/sys/net/ipv4/ip_local_port_range", atomically: true, encoding: .utf8)
            #expect(try daemon.wait { try daemon.status().problem?.contains(root + "/sys/net/ipv4/ip_local_port_range") == true })
            try "32768 60999\n".write(toFile: root + "/sys/net/ipv4/ip_local_port_range", atomically: true, encoding: .utf8)
            #expect(try daemon.wait { try daemon.status().problem == nil })
            // 28232 ports, 40000 still reserved.
            #expect(try daemon.status().namespace?.ephemeralPorts?.usable == 28_231)
            #expect(daemon.stop())
        }
    }

    /// A netstat without TcpExt (a kernel or a proc root that lacks it) would leave tw_overflow
    /// silent for good: a problem in GetStatus and STATUS, logged once, gone when TcpExt is
    /// back. A reversed port range is a problem that says so.
    @Test func missingTcpExtAndAReversedRangeAreProblems() async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let root = try TwmondControlSocketTests.procRoot(in: directory)
            try "IpExt: InNoRoutes InTruncatedPkts\nIpExt: 0 0\n".write(toFile: root + "/net/netstat", atomically: true, encoding: .utf8)
            let notify = try NotifyListener(path: directory.file("notify.sock"))
            let daemon = try Daemon(
                directory: directory, configuration: try TwmondControlSocketTests.configuration(in: directory), procRoot: root,
                notifySocket: notify.path
            )
            let problem = "namespace counters: \(root)/net/netstat has no TcpExt TCPTimeWaitOverflow and TWRecycled counters, so tw_overflow cannot fire"
            let status = try TwmondControlSocketTests.waitForStatus(daemon.socket).decode(MonitorStatus.self)
            #expect(status.problem == problem)
            var messages: [String] = []
            #expect(notify.receive(until: { $0.contains("STATUS=") && $0.contains(problem) }, timeout: 5, into: &messages) != nil, "\(messages)")
            // Logged once, however many scans (0.2 s apart) see it.
            #expect(try daemon.wait { try daemon.status().scanCount >= 5 })
            #expect(daemon.logText.components(separatedBy: "netstat has no TcpExt").count == 2, "\(daemon.logText)")
            try "TcpExt: TWRecycled TCPTimeWaitOverflow\nTcpExt: 0 0\n".write(toFile: root + "/net/netstat", atomically: true, encoding: .utf8)
            #expect(try daemon.wait { try daemon.status().problem == nil })
            try "60999\t32768\n".write(toFile: root + "/sys/net/ipv4/ip_local_port_range", atomically: true, encoding: .utf8)
            #expect(try daemon.wait {
                try daemon.status().problem == "namespace counters: \(root)/sys/net/ipv4/ip_local_port_range is \"60999 32768\", first port 60999 is above last port 32768"
            }, "\((try? daemon.status().problem) ?? "no problem")")
            #expect(daemon.stop())
        }
    }

    /// `tw 9223372036854775807` in sockstat with the default namespace alert (ratio 0.8): a
    /// reported problem, and the port alerts go on.
    @Test(arguments: ["9223372036854775807", "-5"])
    func nonsenseInSockstatIsAProblemNotATrap(_ value: String) async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let root = try TwmondControlSocketTests.procRoot(in: directory)
            try "TCP: inuse 5 orphan 0 tw \(value) alloc 6 mem 1\n".write(toFile: root + "/net/sockstat", atomically: true, encoding: .utf8)
            let daemon = try Daemon(
                directory: directory, configuration: try TwmondControlSocketTests.configuration(in: directory), procRoot: root
            )
            let status = try TwmondControlSocketTests.waitForStatus(daemon.socket).decode(MonitorStatus.self)
            let problem = "namespace counters: \(root)/net/sockstat: tw is \"\(value)\", not a count from 0 to 2147483647"
            #expect(status.problem == problem)
            #expect(status.namespace == nil)
            #expect(status.alerts.map(\.port) == [8080, 8443, 9000])
            #expect(daemon.logText.contains(problem))
            // A good value later: the problem is gone and the namespace figures are back.
            try "TCP: inuse 5 orphan 0 tw 9 alloc 6 mem 1\n".write(toFile: root + "/net/sockstat", atomically: true, encoding: .utf8)
            #expect(try daemon.wait { try daemon.status().problem == nil })
            #expect(try daemon.status().namespace?.timeWait == NamespaceTimeWait(timeWait: 9, maxBuckets: 262_144))
            #expect(daemon.stop())
        }
    }

    /// The largest `tcp_max_tw_buckets` the kernel allows with `tw_buckets_ratio = 1.0`: a
    /// threshold, no trap; a limit beyond any `int` is a reported problem.
    @Test func hugeBucketLimits() async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let root = try TwmondControlSocketTests.procRoot(in: directory)
            let configuration = directory.file("twmond.toml")
            try "[scan]\nnamespaces = \"own\"\ninterval = 0.2\n[alert]\ntw_buckets_ratio = 1.0\nsustain = 1\n".write(toFile: configuration, atomically: true, encoding: .utf8)
            try "2147483647\n".write(toFile: root + "/sys/net/ipv4/tcp_max_tw_buckets", atomically: true, encoding: .utf8)
            let daemon = try Daemon(directory: directory, configuration: configuration, procRoot: root)
            let status = try TwmondControlSocketTests.waitForStatus(daemon.socket).decode(MonitorStatus.self)
            #expect(status.problem == nil)
            #expect(status.namespace?.timeWait == NamespaceTimeWait(timeWait: 9, maxBuckets: 2_147_483_647))
            try "9223372036854775807\n".write(toFile: root + "/sys/net/ipv4/tcp_max_tw_buckets", atomically: true, encoding: .utf8)
            #expect(try daemon.wait { try daemon.status().problem?.contains("tcp_max_tw_buckets is \"9223372036854775807\", not a count") == true })
            #expect(daemon.stop())
        }
    }

    /// Hostile calls on one connection to the real daemon: each gets its error reply and the
    /// same connection is answered afterwards (they used to drop it, or be accepted).
    @Test func hostileVarlinkCallsKeepTheConnection() async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let daemon = try Daemon(
                directory: directory, configuration: try TwmondControlSocketTests.configuration(in: directory),
                procRoot: try TwmondControlSocketTests.procRoot(in: directory)
            )
            _ = try TwmondControlSocketTests.waitForStatus(daemon.socket)
            let client = try UnixTestClient(path: daemon.socket)
            let invalid = { (parameter: String) in
                UnixTestClient.Outcome.message(#"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"\#(parameter)"}}"#)
            }
            let calls: [(String, UnixTestClient.Outcome)] = [
                (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":1e999}}"#, invalid("limit")),
                (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":\#(String(repeating: "7", count: 60_000))}}"#, invalid("limit")),
                (#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"limit":1,"limit":2}}"#, invalid("limit")),
                (#"{"method":"io.twmon.Monitor.GetStatus","upgrade":true}"#, invalid("upgrade")),
            ]
            for (call, expected) in calls {
                #expect(client.call(call))
                #expect(client.receive() == expected, "\(call.prefix(80))")
            }
            #expect(client.call(#"{"method":"io.twmon.Monitor.ListPorts","parameters":{"state":"time_wait"}}"#))
            guard case .message(let invalidState) = client.receive() else {
                Issue.record("no reply to a lowercase state")
                return
            }
            #expect(invalidState.hasPrefix(#"{"error":"io.twmon.Monitor.InvalidState","parameters":{"state":"time_wait""#))
            #expect(client.call(#"{"method":"org.varlink.service.GetInfo"}"#))
            guard case .message(let info) = client.receive() else {
                Issue.record("the connection was not kept")
                return
            }
            #expect(info.contains(#""product":"twmond""#))
            #expect(daemon.stop())
        }
    }

    /// A configuration that is a FIFO or /dev/zero: `--check-config` answers at once with a
    /// clear error, and a reload to it is refused while the daemon goes on. An abstract socket
    /// name is refused too.
    @Test func configurationsThatAreNotFiles() async throws {
        try await OwnThread.run {
            let directory = try TemporaryDirectory()
            let fifo = directory.file("fifo.toml")
            #expect(mkfifo(fifo, 0o600) == 0)
            for (path, kind) in [(fifo, "FIFO"), ("/dev/zero", "character device")] {
                let started = ContinuousClock.now
                let check = try ChildProcess.run(["timeout", "10", TestEnvironment.executable("twmond"), "--check-config", "--config", path])
                #expect(ContinuousClock.now - started < .seconds(5))
                #expect(check.status == 1)
                #expect(check.standardError == "twmond: invalid configuration:\n  \(path): file: cannot read: \(path) is a \(kind), not a regular file\n")
            }

            // `@name`, from the file or from --socket, is refused rather than bound as a file.
            let root = try TwmondControlSocketTests.procRoot(in: directory)
            let abstract = try TwmondControlSocketTests.configuration(in: directory, socket: "@twmond-test")
            let fromFile = try ChildProcess.run(["timeout", "10", TestEnvironment.executable("twmond"), "--check-config", "--config", abstract])
            #expect(fromFile.status == 1)
            #expect(fromFile.standardError.contains("control.socket: abstract sockets (@name) are not supported"))
            let fromFlag = try ChildProcess.run([
                "timeout", "10", TestEnvironment.executable("twmond"), "--config", try TwmondControlSocketTests.configuration(in: directory),
                "--proc-root", root, "--socket", "@twmond-test",
            ])
            #expect(fromFlag.status == 1)
            #expect(fromFlag.standardError == "twmond: invalid configuration:\n  --socket: abstract sockets (@name) are not supported; give an absolute path, got \"@twmond-test\"\n")

            let configuration = try TwmondControlSocketTests.configuration(in: directory)
            let daemon = try Daemon(directory: directory, configuration: configuration, procRoot: root)
            _ = try TwmondControlSocketTests.waitForStatus(daemon.socket)
            unlink(configuration)
            #expect(mkfifo(configuration, 0o600) == 0)
            kill(daemon.process.processIdentifier, SIGHUP)
            let refused = "reload failed, running previous configuration: \(configuration): file: cannot read: \(configuration) is a FIFO, not a regular file"
            #expect(try daemon.wait { try daemon.status().problem == refused }, "problem: \(String(describing: try? daemon.status().problem))")
            #expect(try daemon.status().timeWaitThreshold == 2)
            #expect(daemon.stop())
        }
    }
}
