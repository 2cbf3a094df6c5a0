import Glibc

/// Reads whole files from /proc into one reusable buffer with large `read()` calls.
///
/// The rows of a /proc/net table are only consistent within one `read()` (the kernel resumes the
/// next one where the last stopped, and a socket that moved in between can be seen twice or
/// not at all), so a file is always read completely, in as few reads as the buffer allows, and
/// the buffer keeps its capacity across scans.
///
/// Each `read()` asks for all the room left in the buffer: the kernel fills as much of it as the
/// file has. The buffer should therefore be about as large as the files read: a /proc/sys file
/// makes the kernel allocate and zero a buffer of the size asked for.
public final class ProcFileReader {
    private var buffer: UnsafeMutableRawBufferPointer
    /// Bytes of the last file read with `read(path:)`.
    public private(set) var count = 0

    public init(initialCapacity: Int = 1 << 20) {
        buffer = .allocate(byteCount: max(initialCapacity, 64), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The buffer's capacity in bytes (it grows to the largest file `read(path:)` read).
    public var capacity: Int { buffer.count }

    /// Reads the file at `path` completely. Returns false when it does not exist (ENOENT), so
    /// an optional table (tcp6 with IPv6 disabled) is not an error; throws on any other failure.
    @discardableResult
    public func read(path: String) throws(SystemCallError) -> Bool {
        count = 0
        guard let descriptor = try open(path) else { return false }
        defer { close(descriptor) }
        while true {
            if count == buffer.count { grow() }
            let got = try read(descriptor, path, into: count)
            if got == 0 { return true }
            count += got
        }
    }

    /// Calls `body` with the bytes of the last file `read(path:)` read.
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }

    /// Reads the file at `path` completely, like `read(path:)`, but hands its text to `body` a
    /// buffer at a time as it arrives, cut after the last newline of each read (the rest is kept
    /// for the next call; the last call also gets a final line without a newline). The reads are
    /// as large as the buffer, and memory stays at the buffer's size however large the file is:
    /// a 120 000-socket /proc/net/tcp is 18 MB, which never needs to be resident at once, and
    /// each piece is parsed while the kernel's copy of it is still in the CPU's cache.
    ///
    /// Returns false when the file does not exist (ENOENT); throws on any other failure.
    @discardableResult
    public func readLines(path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws(SystemCallError) -> Bool {
        count = 0
        guard let descriptor = try open(path) else { return false }
        defer { close(descriptor) }
        var kept = 0
        while true {
            if kept == buffer.count { grow() }  // one line longer than the buffer
            let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let got = try read(descriptor, path, into: kept)
            let filled = kept + got
            if got == 0 {
                if kept > 0 { body(UnsafeRawBufferPointer(start: base, count: kept)) }
                return true
            }
            // The kept bytes hold no newline: only the new ones are searched, from their end.
            var end = filled
            while end > kept && base[end - 1] != UInt8(ascii: "\n") { end -= 1 }
            guard end > kept else {
                kept = filled
                continue
            }
            body(UnsafeRawBufferPointer(start: base, count: end))
            kept = filled - end
            if kept > 0 { memmove(base, base + end, kept) }
        }
    }

    private func open(_ path: String) throws(SystemCallError) -> Int32? {
        do {
            return try retryingSystemCall("open", subject: path) { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        } catch where error.errno == ENOENT {
            return nil
        }
    }

    /// One `read()` into the buffer from `offset` to its end.
    private func read(_ descriptor: Int32, _ path: String, into offset: Int) throws(SystemCallError) -> Int {
        let target = buffer.baseAddress! + offset
        let room = buffer.count - offset
        return try retryingSystemCall("read", subject: path) { Glibc.read(descriptor, target, room) }
    }

    private func grow() {
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
        larger.copyMemory(from: UnsafeRawBufferPointer(buffer))
        buffer.deallocate()
        buffer = larger
    }
}
