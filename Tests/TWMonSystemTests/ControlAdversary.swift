import Foundation
import Glibc

/// `Tests/scripts/control-adversary.py` running against a control socket, as `nobody`
/// (`setpriv`, with the system python3: the toolchain's is not executable by other users) or
/// as the test's own user; optionally inside a network namespace.
final class ControlAdversary: @unchecked Sendable {
    enum Mode: String, CaseIterable, Sendable {
        /// Holds its connections and sends nothing.
        case idle
        /// Calls GetStatus every 8 s on each connection.
        case calling
        /// Reconnects as soon as a connection is closed.
        case reconnect
        /// Asks for the whole ListPorts table and never reads the reply.
        case noread
    }

    static let nobody: UInt32 = 65_534
    /// A command prefix that runs the rest as `nobody`, without supplementary groups.
    static let asNobody = ["/usr/bin/setpriv", "--reuid=\(nobody)", "--regid=\(nobody)", "--clear-groups"]
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/control-adversary.py").path

    private let process = Process()
    private let output = Pipe()

    /// Starts `count` connections of `mode` against `socket` and waits until they were opened.
    init(_ mode: Mode, count: Int, socket: String, asNobody: Bool = true, namespace: String? = nil) throws {
        var command = ["/usr/bin/python3", Self.script, mode.rawValue, String(count), socket]
        if asNobody { command = Self.asNobody + command }
        if let namespace { command = ["/usr/sbin/ip", "netns", "exec", namespace] + command }
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        while !text.contains("ready\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw UnixTestClient.Failure(description: "the adversary ended early: \(text)") }
            text += String(decoding: chunk, as: UTF8.self)
        }
    }

    deinit { _ = stop() }

    /// Stops it; returns its closing JSON line (`{"connects": N, "closed": M}`).
    func stop() -> String {
        guard process.isRunning else { return "" }
        // setpriv and ip exec, so this is the python process.
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n").last.map(String.init) ?? ""
    }
}
