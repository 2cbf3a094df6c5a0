import Glibc

/// Replaces a file's contents atomically: the bytes go to a temporary file in the same
/// directory (`.NAME.PID.tmp`, which node_exporter's textfile collector ignores: it reads only
/// `*.prom`), mode 0644 whatever the umask, then `rename(2)` puts it in place. A reader sees
/// the old file or the new one, never a half-written one. No `fsync`: after a crash the file
/// may be empty or old, which the next scan repairs, and a scan must not wait for the disk.
public enum AtomicFileWriter {
    /// The mode of the written file: node_exporter runs as another user and must read it.
    public static let mode: mode_t = 0o644

    /// Writes `bytes` to `path`.
    public static func write(_ bytes: [UInt8], to path: String) throws(SystemCallError) {
        let slash = path.lastIndex(of: "/") ?? path.startIndex
        let directory = path[..<slash], name = path[path.index(after: slash)...]
        let temporary = "\(directory)/.\(name).\(getpid()).tmp"
        let descriptor = try retryingSystemCall("open", subject: temporary) {
            open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        }
        do throws(SystemCallError) {
            defer { close(descriptor) }
            _ = try retryingSystemCall("fchmod", subject: temporary) { fchmod(descriptor, mode) }
            var written = 0
            while written < bytes.count {
                let offset = written
                let count = bytes.withUnsafeBytes { buffer in
                    Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw SystemCallError(call: "write", subject: temporary, errno: errno)
                }
                written += count
            }
            _ = try retryingSystemCall("rename", subject: path) { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
