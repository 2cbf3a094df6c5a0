import Glibc
import TWMonCore

/// A namespace's `sockstat` and `snmp`, opened once and read again at every scan (`pread` at
/// offset 0 makes the kernel print them afresh).
///
/// Opening costs more than reading: the path walk through `/proc/PID/net` and the open and
/// close of two files were a third of the per-namespace cost of a pass (perf, release build).
/// An open file holds a reference on its namespace, so the namespace lives on while the files
/// are open, and its key (the inode of its proc entries) cannot be reused meanwhile:
/// `OtherNamespaces` closes them at the first scan that no longer finds a process in it.
final class NamespaceActivityFiles {
    private let sockstat: Int32
    private let snmp: Int32
    /// The paths they were opened by, for errors.
    let sockstatPath: String
    let snmpPath: String

    /// Opens `base` + `sockstat` and `snmp` (`base` is `/proc/PID/net/`).
    init(base: String) throws(FileReadError) {
        sockstatPath = base + "sockstat"
        snmpPath = base + "snmp"
        sockstat = try Self.open(sockstatPath)
        do {
            snmp = try Self.open(snmpPath)
        } catch {
            close(sockstat)
            throw error
        }
    }

    deinit {
        close(sockstat)
        close(snmp)
    }

    /// Reads both files into the two buffers and parses them.
    func read(sockstatBuffer: UnsafeMutableRawBufferPointer, snmpBuffer: UnsafeMutableRawBufferPointer) throws -> NamespaceActivity {
        let sockstatBytes = try Self.read(sockstat, into: sockstatBuffer, path: sockstatPath)
        let snmpBytes = try Self.read(snmp, into: snmpBuffer, path: snmpPath)
        return try NamespaceActivity.parse(sockstat: sockstatBytes, snmp: snmpBytes, sockstatSource: sockstatPath, snmpSource: snmpPath)
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
