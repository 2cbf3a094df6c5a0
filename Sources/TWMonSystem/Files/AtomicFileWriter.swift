import Glibc

/// Replaces a file's contents atomically: the bytes go to a new temporary file in the same
/// directory, then `rename(2)` puts it in place. A reader sees the old file or the new one,
/// never a half-written one. No `fsync`: after a crash the file may be empty or old, which the
/// next scan repairs, and a scan must not wait for the disk.
///
/// Safe in a directory other users may write to (a shared, sticky textfile directory): the
/// temporary file is `.NAME.RANDOM.tmp` (16 hex digits from the kernel's random source, which
/// node_exporter's textfile collector ignores: it reads only `*.prom`), created with
/// `O_CREAT | O_EXCL | O_NOFOLLOW`, so a file or symlink someone else put there is never opened,
/// only skipped for another name; its mode is set on the descriptor, 0644 whatever the umask.
/// A temporary file is removed when anything fails.
public enum AtomicFileWriter {
    /// The mode of the written file: node_exporter runs as another user and must read it.
    public static let mode: mode_t = 0o644

    /// Names tried before giving up when each one exists already (`EEXIST`).
    static let attempts = 8

    /// Writes `bytes` to `path`.
    public static func write(_ bytes: [UInt8], to path: String) throws(SystemCallError) {
        let (descriptor, temporary) = try createTemporary(beside: path)
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

    /// `.NAME.RANDOM.tmp` in `path`'s directory: a new file, opened for writing, and its path.
    static func createTemporary(beside path: String) throws(SystemCallError) -> (descriptor: Int32, path: String) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? "", name = slash.map { path[path.index(after: $0)...] } ?? path[...]
        var generator = SystemRandomNumberGenerator()
        var attempt = 1
        while true {
            let random = String(generator.next() as UInt64, radix: 16)
            let temporary = "\(directory).\(name).\(String(repeating: "0", count: 16 - random.count))\(random).tmp"
            do {
                let descriptor = try retryingSystemCall("open", subject: temporary) {
                    open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
                }
                return (descriptor, temporary)
            } catch where error.errno == EEXIST && attempt < attempts {
                attempt += 1
            }
        }
    }
}
