import Glibc
import TWMonCore

/// A namespace's `sockstat` and `dev`, opened once and read again at every scan (`pread` at
/// offset 0 makes the kernel print them afresh).
///
/// Opening costs more than reading: the path walk through `/proc/PID/net` and the open and
/// close of two files were a third of the per-namespace cost of a pass (perf, release build).
/// An open file holds a reference on its namespace, so the namespace lives on while the files
/// are open, and its key (the inode of its proc entries) cannot be reused meanwhile:
/// `OtherNamespaces` closes them at the first scan that no longer finds a process in it.
final class NamespaceActivityFiles {
    private let sockstat: Int32
    private let dev: Int32
    /// The paths they were opened by, for errors.
    let sockstatPath: String
    let devPath: String

    /// Opens `base` + `sockstat` and `dev` (`base` is `/proc/PID/net/`).
    init(base: String) throws(FileReadError) {
        sockstatPath = base + "sockstat"
        devPath = base + "dev"
        sockstat = try Self.open(sockstatPath)
        do {
            dev = try Self.open(devPath)
        } catch {
            close(sockstat)
            throw error
        }
    }

    deinit {
        close(sockstat)
        close(dev)
    }

    /// Reads both files into the two buffers and parses them.
    func read(sockstatBuffer: UnsafeMutableRawBufferPointer, devBuffer: UnsafeMutableRawBufferPointer) throws -> NamespaceActivity {
        let sockstatBytes = try Self.read(sockstat, into: sockstatBuffer, path: sockstatPath)
        let devBytes = try Self.read(dev, into: devBuffer, path: devPath)
        return try NamespaceActivity.parse(sockstat: sockstatBytes, dev: devBytes, sockstatSource: sockstatPath, devSource: devPath)
    }

    private static func open(_ path: String) throws(FileReadError) -> Int32 {
        let descriptor: Int32
        do {
            descriptor = try retryingSystemCall("open", subject: path) { Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }
        } catch {
            throw .system(error)
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw .notRegularFile(path: path, kind: "special file")
        }
        return descriptor
    }

    /// The whole file from offset 0; longer than the buffer is `.tooLarge`.
    private static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(FileReadError) -> UnsafeRawBufferPointer {
        var count = 0
        while true {
            guard count < buffer.count else { throw .tooLarge(path: path, limit: buffer.count) }
            let got: Int
            do {
                got = try retryingSystemCall("read", subject: path) { pread(descriptor, buffer.baseAddress! + count, buffer.count - count, off_t(count)) }
            } catch {
                throw .system(error)
            }
            if got == 0 { return UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }
            count += got
        }
    }
}
