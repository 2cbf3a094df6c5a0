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

    /// Removes the file if it is still the one bound.
    public func remove() {
        var info = stat()
        guard stat(path, &info) == 0, info.st_dev == device, info.st_ino == inode else { return }
        unlink(path)
    }
}
