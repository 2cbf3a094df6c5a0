import CSystemd
import Glibc

/// The listening socket systemd passes to a socket-activated service (`sd_listen_fds`).
public enum SocketActivation {
    /// The passed listening Unix stream socket (fd 3), or nil when the process was not
    /// socket-activated (`LISTEN_PID` is not ours or `LISTEN_FDS` is unset).
    ///
    /// The `LISTEN_*` variables are removed from the environment, so children do not see them.
    public static func listeningSocket() throws(SocketActivationError) -> Int32? {
        let count = sd_listen_fds(1)
        if count < 0 { throw .listenFileDescriptors(SystemCallError(call: "sd_listen_fds", errno: -count)) }
        if count == 0 { return nil }
        guard count == 1 else { throw .unexpectedCount(Int(count)) }
        let descriptor = SD_LISTEN_FDS_START
        guard sd_is_socket_unix(descriptor, streamSocketType, 1, nil, 0) > 0 else {
            throw .notAListeningUnixStreamSocket(descriptor)
        }
        return descriptor
    }

    /// `SOCK_STREAM` as the C `int` libsystemd expects (Glibc imports it as an enum).
    private static let streamSocketType = Int32(SOCK_STREAM.rawValue)
}

/// The sockets passed by systemd cannot be used.
public enum SocketActivationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `sd_listen_fds` failed.
    case listenFileDescriptors(SystemCallError)
    /// More than one socket was passed; twmond listens on one.
    case unexpectedCount(Int)
    /// The passed descriptor is not a listening Unix stream socket.
    case notAListeningUnixStreamSocket(Int32)

    public var description: String {
        switch self {
        case .listenFileDescriptors(let error): "socket activation: \(error)"
        case .unexpectedCount(let count): "socket activation: \(count) sockets passed, expected one (ListenStream= with Accept=no)"
        case .notAListeningUnixStreamSocket(let descriptor): "socket activation: fd \(descriptor) is not a listening Unix stream socket"
        }
    }
}
