import Glibc
import TWMonSystem

/// A real `NOTIFY_SOCKET`: the datagram socket systemd listens on, bound by a test so it can
/// read exactly what the daemon sends.
final class NotifySocket {
    let path: String
    private let descriptor: Int32

    struct Failure: Error { var call: String; var code: Int32 }

    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(call: "socket", code: errno) }
        guard let address = UnixSocketAddress(path: path) else { throw Failure(call: "bind", code: ENAMETOOLONG) }
        let result = address.withSocketAddress { bind(descriptor, $0, $1) }
        guard result == 0 else { throw Failure(call: "bind", code: errno) }
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// The next datagram, or nil after `timeout` seconds.
    func receive(timeout: Double) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1_000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Datagrams until one satisfies `predicate` (returned last), or nil on timeout.
    func receive(until predicate: (String) -> Bool, timeout: Double, into log: inout [String]) -> String? {
        let deadline = Self.now() + timeout
        while Self.now() < deadline {
            guard let message = receive(timeout: deadline - Self.now()) else { return nil }
            log.append(message)
            if predicate(message) { return message }
        }
        return nil
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
