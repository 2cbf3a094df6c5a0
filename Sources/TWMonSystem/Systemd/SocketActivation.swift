import CSystemd
import Glibc

/// The listening sockets systemd passes to a socket-activated twmond (`sd_listen_fds_with_names`):
/// the control socket (`twmond.socket`, a Unix stream socket) and, when `twmond-metrics.socket`
/// is enabled, the metrics endpoint (a TCP socket). They are told apart by their
/// `FileDescriptorName=`: `metrics` is the metrics endpoint, any other name (`control`, or the
/// unit's name when none was set) the control socket.
public struct SocketActivation: Sendable, Equatable {
    /// The name `twmond-metrics.socket` gives its socket (`FileDescriptorName=metrics`).
    public static let metricsName = "metrics"

    /// The control socket passed, if any.
    public var control: Int32?
    /// The metrics endpoint passed, if any.
    public var metrics: Int32?

    public init(control: Int32? = nil, metrics: Int32? = nil) {
        self.control = control
        self.metrics = metrics
    }

    /// The sockets passed; both nil when the process was not socket-activated (`LISTEN_PID` is
    /// not ours or `LISTEN_FDS` is unset). Call once: the `LISTEN_*` variables are removed from
    /// the environment, so children do not see them.
    public static func passedSockets() throws(SocketActivationError) -> SocketActivation {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        if count < 0 { throw .listenFileDescriptors(SystemCallError(call: "sd_listen_fds", errno: -count)) }
        var passed: [(descriptor: Int32, name: String)] = []
        if let names {
            for index in 0..<Int(count) {
                passed.append((SD_LISTEN_FDS_START + Int32(index), names[index].map { String(cString: $0) } ?? ""))
                free(names[index])
            }
            free(names)
        } else {
            passed = (0..<count).map { (SD_LISTEN_FDS_START + $0, "") }
        }
        var sockets = SocketActivation()
        for (descriptor, name) in passed {
            if name == metricsName {
                guard sockets.metrics == nil else { throw .unexpectedCount(Int(count)) }
                guard sd_is_socket(descriptor, AF_UNSPEC, streamSocketType, 1) > 0,
                      sd_is_socket_inet(descriptor, AF_UNSPEC, streamSocketType, 1, 0) > 0
                else { throw .notAListeningTCPSocket(descriptor) }
                sockets.metrics = descriptor
            } else {
                guard sockets.control == nil else { throw .unexpectedCount(Int(count)) }
                guard sd_is_socket_unix(descriptor, streamSocketType, 1, nil, 0) > 0 else {
                    throw .notAListeningUnixStreamSocket(descriptor)
                }
                sockets.control = descriptor
            }
        }
        return sockets
    }

    /// `SOCK_STREAM` as the C `int` libsystemd expects (Glibc imports it as an enum).
    private static let streamSocketType = Int32(SOCK_STREAM.rawValue)
}

/// The sockets passed by systemd cannot be used.
public enum SocketActivationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `sd_listen_fds` failed.
    case listenFileDescriptors(SystemCallError)
    /// More than one control socket, or more than one metrics socket, was passed.
    case unexpectedCount(Int)
    /// The passed control descriptor is not a listening Unix stream socket.
    case notAListeningUnixStreamSocket(Int32)
    /// The descriptor named `metrics` is not a listening TCP socket.
    case notAListeningTCPSocket(Int32)

    public var description: String {
        switch self {
        case .listenFileDescriptors(let error): "socket activation: \(error)"
        case .unexpectedCount(let count): "socket activation: \(count) sockets passed, expected one control socket and at most one named \"metrics\" (ListenStream= with Accept=no)"
        case .notAListeningUnixStreamSocket(let descriptor): "socket activation: fd \(descriptor) is not a listening Unix stream socket"
        case .notAListeningTCPSocket(let descriptor): "socket activation: fd \(descriptor), named \"metrics\", is not a listening TCP socket"
        }
    }
}
