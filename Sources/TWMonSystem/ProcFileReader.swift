import Glibc

/// Reads whole files from /proc into one reusable buffer with large `read()` calls.
///
/// The rows of a /proc/net table are only consistent within one read of the whole file, so a
/// file is always read completely, and the buffer keeps its capacity across scans.
public final class ProcFileReader {
    /// The size of one `read()`; the kernel fills as much of it as it can per call.
    public static let readSize = 512 * 1024

    private var buffer: UnsafeMutableRawBufferPointer
    /// Bytes of the last file read.
    public private(set) var count = 0

    public init(initialCapacity: Int = 1 << 20) {
        buffer = .allocate(byteCount: max(initialCapacity, Self.readSize), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The buffer's capacity in bytes (it grows to the largest file read).
    public var capacity: Int { buffer.count }

    /// Reads the file at `path` completely. Returns false when it does not exist (ENOENT), so
    /// an optional table (tcp6 with IPv6 disabled) is not an error; throws on any other failure.
    @discardableResult
    public func read(path: String) throws(SystemCallError) -> Bool {
        count = 0
        let descriptor: Int32
        do {
            descriptor = try retryingSystemCall("open", subject: path) { open(path, O_RDONLY | O_CLOEXEC) }
        } catch where error.errno == ENOENT {
            return false
        }
        defer { close(descriptor) }
        while true {
            if buffer.count - count < Self.readSize { grow() }
            let target = buffer.baseAddress! + count
            let room = buffer.count - count
            let got = try retryingSystemCall("read", subject: path) { Glibc.read(descriptor, target, room) }
            if got == 0 { return true }
            count += got
        }
    }

    /// Calls `body` with the bytes of the last file read.
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }

    private func grow() {
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
        larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        buffer.deallocate()
        buffer = larger
    }
}
