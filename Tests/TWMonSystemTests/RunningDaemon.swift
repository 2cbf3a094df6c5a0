import Foundation
import Glibc
import TWMonCore
import TWMonSystem

/// A real `twmond` process started for a test (optionally inside a network namespace), its
/// stderr (where it echoes its journal entries) kept in a file, with what a test measures of
/// it: CPU time and resident memory from /proc, and how long it takes to stop.
final class RunningDaemon: @unchecked Sendable {
    let process: Process
    /// Where its stderr goes.
    let logPath: String
    /// Its control socket.
    let socket: String

    /// Starts `twmond ARGUMENTS` (with `ip netns exec NAME` in front when `namespace` is given:
    /// `ip` execs, so the PID stays twmond's). `NOTIFY_SOCKET` is set when `notify` is given.
    /// With `keepingMounts`, the namespace is entered with `nsenter --net` instead, which keeps
    /// the host's /sys (`ip netns exec` mounts a fresh sysfs, without the cgroup2 mount).
    init(
        _ arguments: [String], socket: String, in directory: TemporaryDirectory, namespace: String? = nil, notify: String? = nil,
        keepingMounts: Bool = false
    ) throws {
        self.socket = socket
        logPath = directory.file("twmond-\(UUID().uuidString.prefix(8)).log")
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        if let namespace, keepingMounts {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
            process.arguments = ["--net=/run/netns/\(namespace)", TestEnvironment.executable("twmond")] + arguments
        } else if let namespace {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", namespace, TestEnvironment.executable("twmond")] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: TestEnvironment.executable("twmond"))
            process.arguments = arguments
        }
        var environment = ProcessInfo.processInfo.environment
        for name in ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"] {
            environment.removeValue(forKey: name)
        }
        if let notify { environment["NOTIFY_SOCKET"] = notify }
        process.environment = environment
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
    }

    deinit { stop() }

    var pid: Int32 { process.processIdentifier }

    /// Waits until GetStatus answers.
    func waitUntilServing(timeout: Duration = .seconds(30)) throws {
        _ = try TwmondControlSocketTests.waitForStatus(socket, timeout: timeout)
    }

    /// User plus system CPU seconds used so far (/proc/PID/stat, clock ticks of 1/100 s).
    func cpuSeconds() throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name in parentheses: state is field 3, utime 14, stime 15.
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        return Double(Int(fields[11])! + Int(fields[12])!) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory in bytes (VmRSS of /proc/PID/status).
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }!
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])! * 1024
    }

    /// GetStatus answered on a fresh connection: the reply and how long it took, connect included.
    func timedStatus(timeout: Duration = .seconds(5)) throws -> (status: JSONValue, took: Duration) {
        let started = ContinuousClock.now
        let reply = try VarlinkClient(path: socket, timeout: timeout).call("io.twmon.Monitor.GetStatus")
        return (reply, ContinuousClock.now - started)
    }

    /// Everything it wrote to stderr so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends `signal`.
    func send(_ signal: Int32) { kill(pid, signal) }

    /// SIGTERM, then waits for the exit; returns how long that took (SIGKILL after 40 s).
    @discardableResult
    func stop() -> Duration {
        guard process.isRunning else { return .zero }
        let started = ContinuousClock.now
        send(SIGTERM)
        while process.isRunning && ContinuousClock.now - started < .seconds(40) { usleep(5_000) }
        let took = ContinuousClock.now - started
        if process.isRunning { send(SIGKILL) }
        process.waitUntilExit()
        return took
    }
}
