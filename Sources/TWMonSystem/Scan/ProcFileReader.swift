import Glibc

/// Reads whole files from /proc (and small configuration files) into one reusable buffer with
/// large `read()` calls, refusing what could block or never end.
///
/// The rows of a /proc/net table are only consistent within one `read()` (the kernel resumes the
/// next one where the last stopped, and a socket that moved in between can be seen twice or
/// not at all), so a file is always read completely, in as few reads as the buffer allows, and
/// the buffer keeps its capacity across scans.
///
/// Each `read()` asks for all the room left in the buffer: the kernel fills as much of it as the
/// file has. The buffer should therefore be about as large as the files read: a /proc/sys file
/// makes the kernel allocate and zero a buffer of the size asked for.
///
/// Bounds: files are opened with `O_NONBLOCK` and must be regular files (`fstat`; /proc files
/// are regular files of size 0), so a FIFO, a device such as /dev/zero or a directory is an
/// error at once and never a hang or an endless read. `read(path:limit:)` stops at its limit;
/// `readLines` never holds more than `maximumLineLength` bytes of an unfinished line and never
/// grows. A buffer that `read(path:limit:)` grew for an outlier is shrunk back to its initial
/// capacity when the next file is read.
public final class ProcFileReader {
    private var buffer: UnsafeMutableRawBufferPointer
    private let initialCapacity: Int
    /// Bytes of the last file read with `read(path:limit:)`.
    public private(set) var count = 0

    /// The longest line `readLines` accepts by default: a real row is about 150 bytes.
    public static let defaultMaximumLineLength = 4_096

    public init(initialCapacity: Int = 1 << 20) {
        self.initialCapacity = max(initialCapacity, 64)
        buffer = .allocate(byteCount: self.initialCapacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The buffer's capacity in bytes.
    public var capacity: Int { buffer.count }

    /// Reads the file at `path` completely, up to `limit` bytes. Returns false when it does not
    /// exist (ENOENT), so an optional file is not an error; throws on any other failure and
    /// when the file is longer than `limit` (`.tooLarge`).
    @discardableResult
    public func read(path: String, limit: Int) throws(FileReadError) -> Bool {
        count = 0
        shrinkAfterOutlier()
        guard let descriptor = try open(path) else { return false }
        defer { close(descriptor) }
        while true {
            // Full but not over the limit (that threw below): room up to one byte past it.
            if count == buffer.count { grow(to: buffer.count <= limit / 2 ? buffer.count * 2 : limit + 1) }
            let got = try read(descriptor, path, into: count)
            if got == 0 { return true }
            count += got
            guard count <= limit else {
                count = 0
                throw .tooLarge(path: path, limit: limit)
            }
        }
    }

    /// Calls `body` with the bytes of the last file `read(path:limit:)` read.
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }

    /// Reads the file at `path` completely, like `read(path:limit:)`, but hands its text to `body`
    /// a buffer at a time as it arrives, cut after the last newline of each read (the rest is
    /// kept for the next call; the last call also gets a final line without a newline). The
    /// reads are as large as the buffer, and memory stays at the buffer's size however large the
    /// file is: a 120 000-socket /proc/net/tcp is 18 MB, which never needs to be resident at
    /// once, and each piece is parsed while the kernel's copy of it is still in the CPU's cache.
    ///
    /// An unfinished line longer than `maximumLineLength` (less than the buffer's capacity) is
    /// `.lineTooLong`. Returns false when the file does not exist (ENOENT); throws on any other
    /// failure.
    @discardableResult
    public func readLines(
        path: String, maximumLineLength: Int = defaultMaximumLineLength, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(FileReadError) -> Bool {
        precondition(maximumLineLength < buffer.count, "a line must fit in the buffer")
        count = 0
        guard let descriptor = try open(path) else { return false }
        defer { close(descriptor) }
        var kept = 0
        while true {
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
            if end > kept {
                body(UnsafeRawBufferPointer(start: base, count: end))
                kept = filled - end
                if kept > 0 { memmove(base, base + end, kept) }
            } else {
                kept = filled
            }
            guard kept <= maximumLineLength else { throw .lineTooLong(path: path, limit: maximumLineLength) }
        }
    }

    /// Opens `path` without blocking and checks that it is a regular file; nil when it does
    /// not exist.
    private func open(_ path: String) throws(FileReadError) -> Int32? {
        let descriptor: Int32
        do {
            descriptor = try retryingSystemCall("open", subject: path) {
                Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
            }
        } catch where error.errno == ENOENT {
            return nil
        } catch {
            throw .system(error)
        }
        var status = stat()
        do {
            _ = try retryingSystemCall("fstat", subject: path) { fstat(descriptor, &status) }
        } catch {
            close(descriptor)
            throw .system(error)
        }
        let type = status.st_mode & S_IFMT
        guard type == S_IFREG else {
            close(descriptor)
            throw .notRegularFile(path: path, kind: Self.kind(of: type))
        }
        return descriptor
    }

    private static func kind(of type: mode_t) -> String {
        switch type {
        case S_IFIFO: "FIFO"
        case S_IFCHR: "character device"
        case S_IFBLK: "block device"
        case S_IFDIR: "directory"
        case S_IFSOCK: "socket"
        default: "special file"
        }
    }

    /// One `read()` into the buffer from `offset` to its end.
    private func read(_ descriptor: Int32, _ path: String, into offset: Int) throws(FileReadError) -> Int {
        let target = buffer.baseAddress! + offset
        let room = buffer.count - offset
        do {
            return try retryingSystemCall("read", subject: path) { Glibc.read(descriptor, target, room) }
        } catch {
            throw .system(error)
        }
    }

    private func grow(to byteCount: Int) {
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 16)
        larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        buffer.deallocate()
        buffer = larger
    }

    /// A file larger than the initial capacity leaves no lasting mark: the next read starts
    /// with a buffer of the initial size again.
    private func shrinkAfterOutlier() {
        guard buffer.count > initialCapacity else { return }
        buffer.deallocate()
        buffer = .allocate(byteCount: initialCapacity, alignment: 16)
    }
}
