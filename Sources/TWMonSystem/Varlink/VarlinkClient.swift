// sys/socket.h's SOCK_* constants reach this module through CSystemd's headers (sd-daemon.h),
// which own them here; Glibc alone does not export them to files of this module.
import CSystemd
import Glibc
import TWMonCore

/// A small blocking Varlink client over a Unix stream socket, for `twmonctl` and tests: one
/// call at a time, each with a receive timeout.
public final class VarlinkClient {
    /// Replies larger than this are refused (a ListPorts reply of every port is a few MB).
    public static let maximumReplySize = 64 << 20

    /// The socket's path.
    public let path: String
    private let descriptor: Int32
    private var pending: [UInt8] = []

    /// Connects to the socket at `path`; `timeout` bounds every send and receive.
    public init(path: String, timeout: Duration = .seconds(5)) throws(VarlinkClientError) {
        self.path = path
        guard let address = UnixSocketAddress(path: path) else {
            throw .connect(path: path, SystemCallError(call: "connect", subject: path, errno: ENAMETOOLONG))
        }
        let socketType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        // A local until connected: once every stored property is set, a throwing init runs
        // deinit, which would close the descriptor a second time (by then perhaps another
        // thread's newly opened file).
        let descriptor: Int32
        do {
            descriptor = try retryingSystemCall("socket") { socket(AF_UNIX, socketType, 0) }
        } catch {
            throw .connect(path: path, error)
        }
        do {
            var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
            for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
                _ = try retryingSystemCall("setsockopt") {
                    setsockopt(descriptor, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size))
                }
            }
            _ = try retryingSystemCall("connect", subject: path) {
                address.withSocketAddress { connect(descriptor, $0, $1) }
            }
        } catch {
            Glibc.close(descriptor)
            throw .connect(path: path, error)
        }
        self.descriptor = descriptor
    }

    deinit { Glibc.close(descriptor) }

    /// Calls `method` and returns the reply's parameters; an error reply throws `.remote`.
    public func call(_ method: String, parameters: [(key: String, value: JSONValue)] = []) throws(VarlinkClientError) -> JSONValue {
        try send(VarlinkCall(method: method, parameters: parameters).message + [0])
        let reply: JSONValue
        do {
            reply = try JSONValue.parse(try receiveMessage())
        } catch let error as JSONParseError {
            throw .invalidReply("\(error)")
        } catch let error as VarlinkClientError {
            throw error
        } catch {
            throw .invalidReply("\(error)")
        }
        guard case .object = reply else { throw .invalidReply("not a JSON object") }
        let replyParameters = reply["parameters"] ?? .object([])
        if case .string(let name)? = reply["error"] {
            throw .remote(name: name, parameters: replyParameters)
        }
        return replyParameters
    }

    private func send(_ bytes: [UInt8]) throws(VarlinkClientError) {
        var offset = 0
        while offset < bytes.count {
            let sent: Int
            do {
                sent = try retryingSystemCall("send", subject: path) {
                    bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                }
            } catch {
                throw error.errno == EAGAIN ? .timedOut : .io(error)
            }
            offset += sent
        }
    }

    private func receiveMessage() throws(VarlinkClientError) -> [UInt8] {
        var scanned = 0
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let end = pending[scanned...].firstIndex(of: 0) {
                let message = Array(pending[..<end])
                pending.removeSubrange(...end)
                return message
            }
            scanned = pending.count
            guard pending.count <= Self.maximumReplySize else { throw .replyTooLarge(limit: Self.maximumReplySize) }
            let received: Int
            do {
                received = try retryingSystemCall("recv", subject: path) {
                    chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                }
            } catch {
                throw error.errno == EAGAIN ? .timedOut : .io(error)
            }
            if received == 0 { throw .closedByPeer }
            pending.append(contentsOf: chunk[..<received])
        }
    }
}

/// A Varlink call failed.
public enum VarlinkClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The socket could not be opened or connected (no daemon listening there).
    case connect(path: String, SystemCallError)
    /// Sending or receiving failed.
    case io(SystemCallError)
    /// No reply within the timeout.
    case timedOut
    /// The service closed the connection before replying.
    case closedByPeer
    /// The reply exceeded `limit` bytes.
    case replyTooLarge(limit: Int)
    /// The reply is not a Varlink message.
    case invalidReply(String)
    /// The service answered with a Varlink error.
    case remote(name: String, parameters: JSONValue)

    public var description: String {
        switch self {
        case .connect(let path, let error): "cannot connect to \(path): \(String(cString: strerror(error.errno)))"
        case .io(let error): "\(error)"
        case .timedOut: "no reply in time"
        case .closedByPeer: "the connection was closed before a reply"
        case .replyTooLarge(let limit): "reply larger than \(limit) bytes"
        case .invalidReply(let reason): "invalid reply: \(reason)"
        case .remote(let name, let parameters): "\(name) \(Self.compact(parameters))"
        }
    }

    private static func compact(_ value: JSONValue) -> String {
        var json = JSONWriter()
        value.write(into: &json)
        return json.string
    }
}
