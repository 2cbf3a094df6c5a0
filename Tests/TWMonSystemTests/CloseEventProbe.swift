import Foundation
import Glibc
import TWMonCore
import TWMonTestSupport

/// `twmon-bench events` running as a child, as root or as user 65534 with the capabilities
/// given: the close-event source opened by another process, read on demand.
final class CloseEventProbe {
    /// Why the probe exited instead of printing `ready`: its status and standard error.
    struct OpenFailed: Error, CustomStringConvertible {
        var status: Int32
        var standardError: String
        var description: String { "twmon-bench events exited \(status): \(standardError)" }
    }

    private let process = Process()
    private let input = Pipe(), output = Pipe(), errors = Pipe()
    private var buffer = Data()

    /// Starts the probe; `capabilities` nil runs it as the test's own user, else as 65534
    /// holding exactly those capabilities (`["bpf", "perfmon"]`; `[]`: none). Returns once the
    /// source is open; throws `OpenFailed` when it could not be.
    init(capabilities: [String]? = nil) throws {
        let bench = TestEnvironment.executable("twmon-bench")
        if let capabilities {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            var arguments = ["--reuid=65534", "--regid=65534", "--clear-groups"]
            if !capabilities.isEmpty {
                let list = capabilities.map { "+" + $0 }.joined(separator: ",")
                arguments += ["--inh-caps=\(list)", "--ambient-caps=\(list)"]
            }
            process.arguments = arguments + [bench, "events"]
        } else {
            process.executableURL = URL(fileURLWithPath: bench)
            process.arguments = ["events"]
        }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        guard try nextLine() == "ready" else {
            process.waitUntilExit()
            throw OpenFailed(status: process.terminationStatus,
                             standardError: String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
    }

    deinit { close() }

    /// One read of the source, as the probe printed it.
    func read() throws -> JSONValue {
        input.fileHandleForWriting.write(Data("\n".utf8))
        guard let line = try nextLine() else { throw OpenFailed(status: -1, standardError: "no reply") }
        return try JSONValue.parse(Array(line.utf8))
    }

    func close() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.waitUntilExit() }
    }

    private func nextLine() throws -> String? {
        while true {
            if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<end], as: UTF8.self)
                buffer = Data(buffer[(end + 1)...])
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }
}

/// The figures of one port in a probe's reply.
struct ProbedPort: Equatable {
    var activeCloses = 0, resets = 0, passiveCloses = 0, closeWaitEnds = 0
    var closers: [(pid: Int, comm: String, closes: Int)] = []

    static func == (left: ProbedPort, right: ProbedPort) -> Bool {
        (left.activeCloses, left.resets, left.passiveCloses, left.closeWaitEnds)
            == (right.activeCloses, right.resets, right.passiveCloses, right.closeWaitEnds)
    }

    /// The entry for `port` (side `local` unless given) in namespace `inode`; zeros when absent.
    init(_ reply: JSONValue, namespace inode: Int, port: Int, side: String = "local") throws {
        guard case .array(let ports) = try reply.field("ports") else { return }
        for entry in ports where try entry.int("namespace") == inode && entry.int("port") == port && entry.string("side") == side {
            activeCloses = try entry.int("active_closes")
            resets = try entry.int("resets")
            passiveCloses = try entry.int("passive_closes")
            closeWaitEnds = try entry.int("close_wait_ends")
            if case .array(let list) = try entry.field("closers") {
                closers = try list.map { (try $0.int("pid"), try $0.string("comm"), try $0.int("closes")) }
            }
        }
    }

    init(activeCloses: Int = 0, resets: Int = 0, passiveCloses: Int = 0, closeWaitEnds: Int = 0) {
        self.activeCloses = activeCloses
        self.resets = resets
        self.passiveCloses = passiveCloses
        self.closeWaitEnds = closeWaitEnds
    }
}
