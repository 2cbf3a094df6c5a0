import Glibc

/// A process started with `posix_spawnp` (the command is looked up in PATH), for the system
/// tests and the benchmark. Its stdout and stderr are each inherited, discarded, captured on a
/// pipe or appended to a file. It starts with default signal dispositions, an empty signal mask
/// and no descriptors but 0, 1 and 2. `checkInterrupted` runs at least every quarter of a second
/// while its output is read, and when a signal interrupts `wait()`; it may throw to stop early
/// (the benchmark's SIGINT).
public final class ChildProcess {
    /// Where one of the child's output streams goes.
    public enum Stream: Sendable {
        case inherited
        case discarded
        /// On a pipe, read by `readUntil(line:timeout:)` or `run`.
        case captured
        /// Appended to the file, which is made when missing.
        case appended(toFile: String)
    }

    /// What a command run to completion left: its exit status and what it printed.
    public struct CommandResult: Sendable {
        /// The exit status, or 128 + the signal that ended it.
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
    }

    /// The child could not be started or read, did not print what was awaited, or exited other than 0.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let pid: pid_t
    /// The command line, as started.
    public let arguments: [String]
    private let checkInterrupted: () throws -> Void
    /// The read ends of the captured stdout and stderr; -1 when not captured or at end of file.
    private var pipes: [Int32] = [-1, -1]
    private var received: [[UInt8]] = [[], []]
    private var exitStatus: Int32?

    /// Starts `arguments`. `environment` is the child's whole environment; nil passes this
    /// process's on. Throws `Failure` when the child cannot be started.
    public init(
        _ arguments: [String], output: Stream = .inherited, errors: Stream = .inherited, environment: [String: String]? = nil,
        checkInterrupted: @escaping () throws -> Void = {}
    ) throws {
        self.arguments = arguments
        self.checkInterrupted = checkInterrupted
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var readEnds: [Int32] = [-1, -1], writeEnds: [Int32] = []
        defer { writeEnds.forEach { _ = close($0) } }
        func closeReadEnds() { readEnds.forEach { _ = $0 >= 0 ? close($0) : 0 } }
        for (descriptor, stream) in [(Int32(1), output), (Int32(2), errors)] {
            switch stream {
            case .inherited:
                break
            case .discarded:
                posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0)
            case .appended(let path):
                posix_spawn_file_actions_addopen(&actions, descriptor, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .captured:
                var ends: [Int32] = [-1, -1]
                guard pipe(&ends) == 0 else {
                    closeReadEnds()
                    throw Failure(description: "pipe: \(String(cString: strerror(errno)))")
                }
                for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
                readEnds[Int(descriptor) - 1] = ends[0]
                writeEnds.append(ends[1])
                posix_spawn_file_actions_adddup2(&actions, ends[1], descriptor)
            }
        }
        // Descriptors this process opened without O_CLOEXEC (Foundation's pipes, or a pipe above
        // before its fcntl) would keep a pipe of another test open for as long as this child runs.
        _ = posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }
        var child: pid_t = 0
        let result = envp.map { envp in
            posix_spawnp(&child, arguments[0], &actions, &attributes, argv, envp)
        } ?? posix_spawnp(&child, arguments[0], &actions, &attributes, argv, environ)
        guard result == 0 else {
            closeReadEnds()
            throw Failure(description: "cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        pid = child
        pipes = readEnds
    }

    deinit {
        stop()
        pipes.forEach { _ = $0 >= 0 ? close($0) : 0 }
    }

    /// Runs a command to completion with its stdout and stderr captured. A command that cannot
    /// be started ends with status 127 and the reason as its stderr, as under a shell. Throws
    /// `Failure` when the output cannot be read, and what `checkInterrupted` throws.
    @discardableResult
    public static func run(
        _ arguments: [String], environment: [String: String]? = nil, checkInterrupted: @escaping () throws -> Void = {}
    ) throws -> CommandResult {
        let child: ChildProcess
        do {
            child = try ChildProcess(
                arguments, output: .captured, errors: .captured, environment: environment, checkInterrupted: checkInterrupted
            )
        } catch let failure as Failure {
            return CommandResult(status: 127, standardOutput: "", standardError: failure.description)
        }
        while try child.readAvailable(timeout: .seconds(3_600)) {}
        let status = try child.wait()
        return CommandResult(
            status: status,
            standardOutput: String(decoding: child.received[0], as: UTF8.self),
            standardError: String(decoding: child.received[1], as: UTF8.self)
        )
    }

    /// Runs a command to completion like `run`; throws `Failure`, with its stderr, unless it exits 0.
    @discardableResult
    public static func check(
        _ arguments: [String], environment: [String: String]? = nil, checkInterrupted: @escaping () throws -> Void = {}
    ) throws -> CommandResult {
        let result = try run(arguments, environment: environment, checkInterrupted: checkInterrupted)
        guard result.status == 0 else {
            throw Failure(description: "\(arguments.joined(separator: " ")) exited \(result.status): \(result.standardError)")
        }
        return result
    }

    /// Waits for the process to end and returns its exit status (128 + signal when killed).
    @discardableResult
    public func wait() throws -> Int32 {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { exitStatus = -1; return -1 }
            try checkInterrupted()
        }
        return ended(status)
    }

    /// True while the process runs.
    public var isRunning: Bool {
        guard exitStatus == nil else { return false }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return true }
        ended(status)
        return false
    }

    /// Sends SIGTERM and waits up to 10 s, then SIGKILL. Safe to call more than once; never
    /// interrupted.
    public func stop() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(10)
        while isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if isRunning {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            exitStatus = 128 + SIGKILL
        }
    }

    /// Reads the captured stdout until a line equal to `expected` arrives; returns the text
    /// before it. Throws `Failure` when stdout ends first or `timeout` passes.
    public func readUntil(line expected: String, timeout: Duration) throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            // Complete lines only: the last piece is unterminated (or empty).
            let lines = String(decoding: received[0], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            if let index = lines.dropLast().firstIndex(where: { $0 == expected }) {
                return lines[..<index].joined(separator: "\n")
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw Failure(description: "\(arguments[0]) printed no '\(expected)' within \(timeout)") }
            guard pipes[0] >= 0 else {
                throw Failure(description: "\(arguments.joined(separator: " ")) ended early (status \(try wait()))")
            }
            _ = try readAvailable(timeout: left)
        }
    }

    /// Waits up to `timeout` (at most a quarter of a second) for the captured pipes and appends
    /// what they hold to `received`; false once every one is at its end.
    private func readAvailable(timeout: Duration) throws -> Bool {
        try checkInterrupted()
        let open = pipes.indices.filter { pipes[$0] >= 0 }
        guard !open.isEmpty else { return false }
        var pollers = open.map { pollfd(fd: pipes[$0], events: Int16(POLLIN), revents: 0) }
        let wait = min(timeout, .milliseconds(250)).components
        let ready = poll(&pollers, nfds_t(pollers.count), Int32(wait.seconds * 1_000 + wait.attoseconds / 1_000_000_000_000_000))
        if ready < 0 {
            guard errno == EINTR else { throw Failure(description: "poll: \(String(cString: strerror(errno)))") }
            return true
        }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        for (stream, poller) in zip(open, pollers) where poller.revents != 0 {
            let count = read(pipes[stream], &buffer, buffer.count)
            if count < 0 {
                guard errno == EINTR else { throw Failure(description: "read: \(String(cString: strerror(errno)))") }
            } else if count == 0 {
                close(pipes[stream])
                pipes[stream] = -1
            } else {
                received[stream] += buffer[0..<count]
            }
        }
        return true
    }

    /// Records a `waitpid` status as the exit status.
    @discardableResult
    private func ended(_ status: Int32) -> Int32 {
        let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        exitStatus = code
        return code
    }
}

/// posix_spawn_file_actions_addclosefrom_np(3) (glibc 2.34), which Glibc's module map leaves
/// out (it needs _GNU_SOURCE).
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func posix_spawn_file_actions_addclosefrom_np(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
