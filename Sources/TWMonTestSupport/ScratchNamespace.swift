import Glibc
import Synchronization

/// A private network namespace (`ip netns`) with loopback up, for the system tests and the
/// benchmark: real sockets no other process can disturb, and commands run inside it. `close()`
/// stops everything started in it, newest first, then deletes it.
public final class ScratchNamespace: @unchecked Sendable {
    public let name: String
    private let checkInterrupted: () throws -> Void
    private var processes: [ChildProcess] = []
    private var deleted = false
    private static let made = Atomic(0)

    /// Adds the namespace and sets its loopback up. Without a `name` it is `twmon-test-PID-N`,
    /// unique in this process. `checkInterrupted` runs during every wait of the commands run in
    /// it (see `ChildProcess`).
    public init(name: String? = nil, checkInterrupted: @escaping () throws -> Void = {}) throws {
        self.name = name ?? "twmon-test-\(getpid())-\(Self.made.add(1, ordering: .relaxed).newValue)"
        self.checkInterrupted = checkInterrupted
        try ChildProcess.check(["ip", "netns", "add", self.name], checkInterrupted: checkInterrupted)
        do {
            try ChildProcess.check(["ip", "-n", self.name, "link", "set", "lo", "up"], checkInterrupted: checkInterrupted)
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Runs a command inside the namespace to completion, stdout and stderr captured; see
    /// `ChildProcess.run`.
    @discardableResult
    public func run(_ command: [String]) throws -> ChildProcess.CommandResult {
        try ChildProcess.run(["ip", "netns", "exec", name] + command, checkInterrupted: checkInterrupted)
    }

    /// Runs a command inside the namespace and throws unless it exits 0; see `ChildProcess.check`.
    @discardableResult
    public func check(_ command: [String]) throws -> ChildProcess.CommandResult {
        try ChildProcess.check(["ip", "netns", "exec", name] + command, checkInterrupted: checkInterrupted)
    }

    /// Starts a command inside the namespace; it is stopped by `close()`. `ip netns exec`
    /// replaces itself with the command, so the process id is the command's.
    @discardableResult
    public func start(
        _ command: [String], output: ChildProcess.Stream = .inherited, errors: ChildProcess.Stream = .inherited,
        environment: [String: String]? = nil
    ) throws -> ChildProcess {
        let process = try ChildProcess(
            ["ip", "netns", "exec", name] + command, output: output, errors: errors, environment: environment,
            checkInterrupted: checkInterrupted
        )
        processes.append(process)
        return process
    }

    /// Starts `COMMAND --hold`, a `twmon-loadgen` command line (perhaps behind `setpriv`), and
    /// waits for its `ready` line: then its sockets exist, and stay until `close()`. Returns the
    /// process and the JSON line it printed about them.
    @discardableResult
    public func startLoad(_ command: [String], timeout: Duration = .seconds(300)) throws -> (process: ChildProcess, report: String) {
        let process = try start(command + ["--hold"], output: .captured)
        let printed = try process.readUntil(line: "ready", timeout: timeout)
        return (process, String(printed.split(separator: "\n").first ?? ""))
    }

    /// Stops the processes started in the namespace, newest first, and deletes it. Safe to
    /// call twice; never interrupted.
    public func close() {
        for process in processes.reversed() { process.stop() }
        processes.removeAll()
        guard !deleted else { return }
        deleted = true
        _ = try? ChildProcess.run(["ip", "netns", "delete", name])
    }
}
