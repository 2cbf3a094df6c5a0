import Foundation
import Glibc

/// A private network namespace (`ip netns`) with loopback up, for tests that need real sockets
/// no other process can disturb. Everything started in it is stopped, and the namespace
/// deleted, by `close()`.
final class TestNetworkNamespace: @unchecked Sendable {
    struct CommandResult {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    struct CommandFailed: Error, CustomStringConvertible {
        var command: [String]
        var result: CommandResult
        var description: String {
            "\(command.joined(separator: " ")) exited \(result.status): \(result.standardError)"
        }
    }

    // Suites make namespaces in parallel: the counter is taken under a lock, or two get one name.
    private nonisolated(unsafe) static var counter = 0
    private static let counterLock = NSLock()
    let name: String
    private var background: [Process] = []

    init() throws {
        let number = Self.counterLock.withLock {
            Self.counter += 1
            return Self.counter
        }
        name = "twmon-test-\(getpid())-\(number)"
        try Self.check(["ip", "netns", "add", name])
        try Self.check(["ip", "-n", name, "link", "set", "lo", "up"])
    }

    deinit { close() }

    /// Stops what runs in the namespace and deletes it.
    func close() {
        for process in background where process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        background.removeAll()
        _ = try? Self.run(["ip", "netns", "delete", name])
    }

    /// Runs a command inside the namespace and waits for it.
    @discardableResult
    func run(_ command: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try Self.run(["ip", "netns", "exec", name] + command, environment: environment)
    }

    /// Runs a command inside the namespace and throws unless it exits 0.
    @discardableResult
    func check(_ command: [String]) throws -> CommandResult {
        let result = try run(command)
        guard result.status == 0 else { throw CommandFailed(command: command, result: result) }
        return result
    }

    /// The load several suites check the scan against: on 127.0.0.1:8080, 300 TIME_WAIT the
    /// server closed first, 4 ESTABLISHED, 3 CLOSE_WAIT and 5 client-side TIME_WAIT; on a
    /// dual-stack listener at port 9000, 80 TIME_WAIT and 3 ESTABLISHED from IPv4 clients
    /// (IPv4-mapped rows in tcp6).
    func startMixedLoad() throws {
        try startLoad(["--listen", "127.0.0.1", "--port", "8080", "--time-wait", "300",
                       "--established", "4", "--close-wait", "3", "--client-time-wait", "5"])
        try startLoad(["--listen", "::", "--port", "9000", "--connect", "127.0.0.1",
                       "--time-wait", "80", "--established", "3"])
    }

    /// Starts `twmon-loadgen ARGS --hold` in the namespace and waits for its `ready` line;
    /// returns the JSON line it printed first. The sockets stay until `close()`. With
    /// `asNobody`, the load generator runs as the unprivileged user 65534 (an attacker).
    @discardableResult
    func startLoad(_ arguments: [String], asNobody: Bool = false) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        let user = asNobody ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        process.arguments = ["netns", "exec", name] + user + [TestEnvironment.executable("twmon-loadgen")] + arguments + ["--hold"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        background.append(process)
        var text = ""
        while !text.contains("ready\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty {
                throw CommandFailed(command: arguments, result: CommandResult(status: -1, standardOutput: text, standardError: "load generator ended early"))
            }
            text += String(decoding: chunk, as: UTF8.self)
        }
        return String(text.split(separator: "\n").first ?? "")
    }

    /// Starts a long-running process in the namespace; it is stopped by `close()`.
    func start(_ command: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", name] + command
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        try process.run()
        background.append(process)
        return process
    }

    static func check(_ command: [String]) throws {
        let result = try run(command)
        guard result.status == 0 else { throw CommandFailed(command: command, result: result) }
    }

    static func run(_ command: [String], environment: [String: String] = [:]) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        DispatchQueue.global().async(group: group) { errorData = errors.fileHandleForReading.readDataToEndOfFile() }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus,
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData, as: UTF8.self)
        )
    }
}
