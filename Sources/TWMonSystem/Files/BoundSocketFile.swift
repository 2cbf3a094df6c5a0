// sys/socket.h's SOCK_* constants reach this module through CSystemd's headers.
import CSystemd
import Glibc

/// A Unix socket file a server bound itself: made world-connectable, and removed at shutdown
/// only while it is still the same file (another instance may have replaced it since).
public struct BoundSocketFile: Sendable {
    /// Anyone may connect: the API is read-only and /proc/net/tcp shows the same to everyone.
    static let mode: mode_t = 0o666

    /// The socket's path.
    public let path: String
    private let device: dev_t
    private let inode: ino_t

    /// Takes over the socket file just bound at `path`.
    public init(boundAt path: String) throws(SystemCallError) {
        self.path = path
        _ = try retryingSystemCall("chmod", subject: path) { chmod(path, Self.mode) }
        var info = stat()
        _ = try retryingSystemCall("stat", subject: path) { stat(path, &info) }
        device = info.st_dev
        inode = info.st_ino
    }

    /// Whether a server accepts connections on the socket file at `path` now: a connection
    /// attempt (non-blocking, closed at once) succeeds, or finds the server's backlog full. A
    /// missing file, a stale socket nobody listens on, or a file that is not a socket is not
    /// served. Ask before replacing a socket file, so a second instance does not unlink the
    /// live socket of the first.
    public static func isServed(at path: String) -> Bool {
        guard let address = UnixSocketAddress(path: path) else { return false }
        let socketType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        guard let descriptor = try? retryingSystemCall("socket", { socket(AF_UNIX, socketType, 0) }) else { return false }
        defer { close(descriptor) }
        let connected = address.withSocketAddress { connect(descriptor, $0, $1) }
        return connected == 0 || errno == EAGAIN || errno == EINPROGRESS
    }

    /// Removes the file if it is still the one bound.
    public func remove() {
        var info = stat()
        guard stat(path, &info) == 0, info.st_dev == device, info.st_ino == inode else { return }
        unlink(path)
    }
}
