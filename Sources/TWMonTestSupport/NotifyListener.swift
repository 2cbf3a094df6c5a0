import Glibc
import TWMonSystem

/// A real `NOTIFY_SOCKET`: the datagram socket systemd listens on, bound by a test or the
/// benchmark so it reads exactly what twmond sends. The socket file is removed first (a stale
/// one would fail the bind) and again when the listener goes.
public final class NotifyListener {
    /// The socket's path, for `NOTIFY_SOCKET`.
    public let path: String
    private let descriptor: Int32

    /// A system call failed; `description` names it, the path where one is involved, and the errno text.
    public struct Failure: Error, CustomStringConvertible {
        public var call: String
        public var code: Int32
        public var description: String { "\(call): \(String(cString: strerror(code)))" }
    }

    public init(path: String) throws {
        self.path = path
        unlink(path)
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(call: "socket", code: errno) }
        guard let address = UnixSocketAddress(path: path) else {
            Glibc.close(descriptor)
            throw Failure(call: "bind \(path) (path too long)", code: ENAMETOOLONG)
        }
        let result = address.withSocketAddress { bind(descriptor, $0, $1) }
        guard result == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw Failure(call: "bind \(path)", code: code)
        }
    }

    deinit {
        Glibc.close(descriptor)
        unlink(path)
    }

    /// The next datagram, or nil after `timeout` seconds.
    public func receive(timeout: Double) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1_000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Datagrams until one satisfies `predicate` (returned last), or nil on timeout; every
    /// datagram read is appended to `log`.
    public func receive(until predicate: (String) -> Bool, timeout: Double, into log: inout [String]) -> String? {
        let deadline = Self.now() + timeout
        while Self.now() < deadline {
            guard let message = receive(timeout: deadline - Self.now()) else { return nil }
            log.append(message)
            if predicate(message) { return message }
        }
        return nil
    }

    /// How many of the datagrams that arrive within `timeout` seconds (at least one wait, then
    /// whatever is queued) report a scan (carry `STATUS=`). `checkInterrupted` runs before
    /// every wait and may throw to stop early.
    public func scansReported(within timeout: Double, checkInterrupted: () throws -> Void = {}) throws -> Int {
        var scans = 0
        var wait = Int32(timeout * 1_000)
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            try checkInterrupted()
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, wait)
            if ready < 0 {
                guard errno == EINTR else { throw Failure(call: "poll", code: errno) }
                continue
            }
            guard ready > 0 else { return scans }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0, String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n").contains(where: { $0.hasPrefix("STATUS=") }) {
                scans += 1
            }
            wait = 0
        }
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
