import Glibc

/// Why the benchmark stopped early.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// SIGINT/SIGTERM set this; every wait checks it, so the benchmark unwinds and cleans up.
nonisolated(unsafe) private var interruptedBySignal: sig_atomic_t = 0

/// Catches SIGINT and SIGTERM. The signal may reach any of the process's threads, so every wait
/// is short (at most a quarter of a second) and checks the flag after it; then the callers'
/// `defer` blocks stop processes and delete namespaces.
func catchInterruptions() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in interruptedBySignal = 1 }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
    sigaction(SIGTERM, &action, nil)
}

func checkInterrupted() throws {
    if interruptedBySignal != 0 { throw BenchFailure("interrupted") }
}

/// Seconds on CLOCK_MONOTONIC.
func monotonicNow() -> Double { Cost.now(CLOCK_MONOTONIC) }

/// A process started with `posix_spawnp`, optionally with its stdout on a pipe.
final class ChildProcess {
    let pid: pid_t
    let arguments: [String]
    /// The read end of the child's stdout, when captured.
    private(set) var output: Int32 = -1
    private var exitStatus: Int32?
    private var pending: [UInt8] = []

    /// Starts `arguments` (looked up in PATH). stderr goes to `errorPath` or is inherited.
    init(_ arguments: [String], captureOutput: Bool = false, errorPath: String? = nil, environment: [String]? = nil) throws {
        self.arguments = arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var pipeEnds: [Int32] = [-1, -1]
        if captureOutput {
            guard pipe(&pipeEnds) == 0 else { throw BenchFailure("pipe: \(String(cString: strerror(errno)))") }
            for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        if let errorPath {
            posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Children get the default signal dispositions and an empty mask.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { $0.map { strdup($0) } + [nil] }
        defer { envp?.forEach { free($0) } }
        var child: pid_t = 0
        let result = envp.map { envp in
            posix_spawnp(&child, arguments[0], &actions, &attributes, argv, envp)
        } ?? posix_spawnp(&child, arguments[0], &actions, &attributes, argv, environ)
        if captureOutput { close(pipeEnds[1]) }
        guard result == 0 else {
            if captureOutput { close(pipeEnds[0]) }
            throw BenchFailure("cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        pid = child
        output = pipeEnds[0]
    }

    deinit {
        stop()
        if output >= 0 { close(output) }
    }

    /// Runs a command to completion and returns its stdout; throws unless it exits 0.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let child = try ChildProcess(arguments, captureOutput: true)
        let text = try child.readToEnd()
        let status = try child.wait()
        guard status == 0 else { throw BenchFailure("\(arguments.joined(separator: " ")) exited with status \(status)") }
        return text
    }

    /// Runs a clean-up command to completion, also after an interruption; output discarded.
    static func runRegardless(_ arguments: [String]) {
        guard let child = try? ChildProcess(arguments) else { return }
        var status: Int32 = 0
        while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
        child.exitStatus = status
    }

    /// Waits for the process to end and returns its exit status (128 + signal when killed).
    @discardableResult
    func wait() throws -> Int32 {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { exitStatus = -1; return -1 }
            try checkInterrupted()
        }
        let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        exitStatus = code
        return code
    }

    /// True while the process runs.
    var isRunning: Bool {
        guard exitStatus == nil else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            return false
        }
        return true
    }

    /// Sends SIGTERM and waits up to 10 s, then SIGKILL. Safe to call more than once.
    func stop() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = monotonicNow() + 10
        while isRunning && monotonicNow() < deadline { usleep(20_000) }
        if isRunning {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            exitStatus = 128 + SIGKILL
        }
    }

    /// Reads stdout until a line equal to `line` arrives; returns the text before it.
    func readUntil(line expected: String, timeout: Double) throws -> String {
        let deadline = monotonicNow() + timeout
        while true {
            // Complete lines only: the last piece is unterminated (or empty).
            let lines = String(decoding: pending, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            if let index = lines.dropLast().firstIndex(where: { $0 == expected }) {
                return lines[..<index].joined(separator: "\n")
            }
            let left = deadline - monotonicNow()
            guard left > 0 else { throw BenchFailure("\(arguments[0]) printed no '\(expected)' within \(Int(timeout)) s") }
            guard try readChunk(timeout: left) else {
                throw BenchFailure("\(arguments.joined(separator: " ")) ended early (status \(try wait()))")
            }
        }
    }

    /// Reads stdout to its end.
    func readToEnd() throws -> String {
        while try readChunk(timeout: 3_600) {}
        return String(decoding: pending, as: UTF8.self)
    }

    /// Appends what is available on stdout to `pending`; false at end of file.
    private func readChunk(timeout: Double) throws -> Bool {
        try checkInterrupted()
        var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(min(timeout, 0.25) * 1_000))
        if ready < 0 {
            guard errno == EINTR else { throw BenchFailure("poll: \(String(cString: strerror(errno)))") }
            try checkInterrupted()
            return true
        }
        guard ready > 0 else { return true }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = read(output, &buffer, buffer.count)
        if count < 0 {
            guard errno == EINTR else { throw BenchFailure("read: \(String(cString: strerror(errno)))") }
            try checkInterrupted()
            return true
        }
        pending += buffer[0..<count]
        return count > 0
    }
}
