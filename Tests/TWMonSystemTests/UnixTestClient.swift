import Foundation
import Glibc
import TWMonCore
import TWMonSystem

/// A raw Unix-socket client for abusing the control socket: sends arbitrary bytes and reports
/// what came back (a message, the connection's end, or nothing in time). Used by one thread
/// at a time.
final class UnixTestClient: @unchecked Sendable {
    enum Outcome: Equatable {
        /// One NUL-terminated message (without its NUL).
        case message(String)
        /// The server closed the connection (EOF or reset).
        case closed
        /// Nothing arrived in time.
        case timedOut
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let descriptor: Int32
    private var pending: [UInt8] = []

    init(path: String) throws {
        // Assigned only once connected: a throwing init with every stored property set runs
        // deinit, which would close the descriptor twice (perhaps another test's by then).
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        let result = Self.withAddress(of: path) { connect(descriptor, $0, $1) }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw Failure(description: "connect \(path): \(reason)")
        }
        self.descriptor = descriptor
    }

    deinit { Glibc.close(descriptor) }

    /// Calls `body` with the `sockaddr_un` of `path` and its length (a path too long fails).
    static func withAddress(of path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        guard let address = UnixSocketAddress(path: path) else {
            errno = ENAMETOOLONG
            return -1
        }
        return address.withSocketAddress(body)
    }

    /// A Unix stream socket bound at `path` (the file is created), listening when asked to.
    static func boundSocket(at path: String, listening: Bool) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0, withAddress(of: path, { bind(descriptor, $0, $1) }) == 0, !listening || listen(descriptor, 16) == 0 else {
            throw Failure(description: "bind \(path): \(String(cString: strerror(errno)))")
        }
        return descriptor
    }

    /// Sends all of `bytes`; returns false when the server has already closed the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// A Varlink call with a NUL terminator.
    @discardableResult
    func call(_ json: String) -> Bool { send(Array(json.utf8) + [0]) }

    /// Shuts down the sending side (the server sees end of input).
    func finishSending() { shutdown(descriptor, Int32(SHUT_WR)) }

    /// The next message, the connection's end, or `.timedOut` after `timeout`.
    func receive(timeout: Duration = .seconds(5)) -> Outcome {
        let deadline = ContinuousClock.now + timeout
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let end = pending.firstIndex(of: 0) {
                let message = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeSubrange(...end)
                return .message(message)
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return .timedOut }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(max(1, left.inWholeMilliseconds))
            let ready = poll(&poller, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if received < 0 && errno == EINTR { continue }
            if received <= 0 { return .closed }
            pending.append(contentsOf: chunk[..<received])
        }
    }

    /// Waits, without reading, until the server closes the connection; false after `timeout`.
    func waitForHangUp(timeout: Duration) -> Bool {
        // A Unix stream socket whose peer closed reports POLLHUP, whatever is still unread.
        var poller = pollfd(fd: descriptor, events: 0, revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1_000)
        return poll(&poller, 1, milliseconds) == 1 && poller.revents & Int16(POLLHUP) != 0
    }
}
