import Foundation
import Glibc
import Testing
@testable import TWMonSystem

@Suite("Whole-file /proc reader")
struct ProcFileReaderTests {
    /// Lines of many lengths up to 400 bytes and a last line without a newline.
    static let content: [UInt8] = {
        var text = "  sl  local_address rem_address   st\n"
        for index in 0..<300 { text += String(repeating: "x", count: index % 97) + "\n" }
        text += String(repeating: "long", count: 100) + "\n\n"
        text += "last line without newline"
        return Array(text.utf8)
    }()

    private func withFile(_ bytes: [UInt8] = content, _ body: (String) throws -> Void) throws {
        let path = NSTemporaryDirectory() + "twmon-reader-\(getpid())-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }

    /// Pieces are whole lines, cut after a newline; together they are the file. The buffer
    /// never grows.
    @Test(arguments: [512, 1_000, 1 << 20])
    func readLinesHandsOverWholeLines(capacity: Int) throws {
        try withFile { (path: String) throws in
            let reader = ProcFileReader(initialCapacity: capacity)
            var pieces: [[UInt8]] = []
            #expect(try reader.readLines(path: path, maximumLineLength: 500) { pieces.append(Array($0)) })
            #expect(pieces.flatMap { $0 } == Self.content)
            #expect(pieces.dropLast().allSatisfy { $0.last == UInt8(ascii: "\n") })
            #expect(pieces.last == Array("last line without newline".utf8) || capacity == 1 << 20)
            #expect(reader.capacity == capacity)
        }
    }

    @Test func readKeepsTheWholeFile() throws {
        try withFile { (path: String) throws in
            let reader = ProcFileReader(initialCapacity: 64)
            #expect(try reader.read(path: path, limit: 1 << 20))
            #expect(reader.withBytes { Array($0) } == Self.content)
        }
    }

    /// A file over the limit is an error, read no further than one byte past the limit; a
    /// file of exactly the limit is fine.
    @Test func readStopsAtItsLimit() throws {
        try withFile { (path: String) throws in
            let reader = ProcFileReader(initialCapacity: 64)
            #expect(throws: FileReadError.tooLarge(path: path, limit: 1_000)) { try reader.read(path: path, limit: 1_000) }
            #expect(reader.capacity <= 1_001)
            #expect(try reader.read(path: path, limit: Self.content.count))
            #expect(reader.count == Self.content.count)
        }
    }

    /// A buffer grown for one large file goes back to its initial size for the next one.
    @Test func anOutlierDoesNotKeepItsBuffer() throws {
        let large = [UInt8](repeating: UInt8(ascii: "x"), count: 3 << 20)
        let reader = ProcFileReader(initialCapacity: 4_096)
        try withFile(large) { (path: String) throws in
            #expect(try reader.read(path: path, limit: 4 << 20))
            #expect(reader.capacity >= 3 << 20)
        }
        try withFile(Array("tw 3\n".utf8)) { (path: String) throws in
            #expect(try reader.read(path: path, limit: 1 << 20))
            #expect(reader.capacity == 4_096)
            #expect(reader.withBytes { Array($0) } == Array("tw 3\n".utf8))
        }
    }

    /// A 48 MiB line is refused as soon as the buffer holds more than a line may be; the
    /// buffer stays at its size.
    @Test func aHugeLineIsRefusedWithoutGrowingTheBuffer() throws {
        var bytes = Array("  sl  local_address\n".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "7"), count: 48 << 20)
        bytes.append(UInt8(ascii: "\n"))
        try withFile(bytes) { (path: String) throws in
            let reader = ProcFileReader(initialCapacity: 1 << 20)
            var handed = 0
            #expect(throws: FileReadError.lineTooLong(path: path, limit: ProcFileReader.defaultMaximumLineLength)) {
                try reader.readLines(path: path) { handed += $0.count }
            }
            #expect(handed == 20)
            #expect(reader.capacity == 1 << 20)
        }
    }

    /// A FIFO (no writer: reading would block for ever), a device that never ends and a
    /// directory are refused at once, by both ways of reading.
    @Test func specialFilesAreRefused() throws {
        let fifo = NSTemporaryDirectory() + "twmon-fifo-\(getpid())-\(UUID().uuidString)"
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let cases = [(fifo, "FIFO"), ("/dev/zero", "character device"), (NSTemporaryDirectory(), "directory")]
        let reader = ProcFileReader(initialCapacity: 64 * 1024)
        for (path, kind) in cases {
            #expect(throws: FileReadError.notRegularFile(path: path, kind: kind)) { try reader.read(path: path, limit: 1 << 20) }
            #expect(throws: FileReadError.notRegularFile(path: path, kind: kind)) {
                try reader.readLines(path: path) { _ in Issue.record("no lines expected from \(path)") }
            }
        }
        #expect(reader.capacity == 64 * 1024)
    }

    /// /proc files are regular files of size 0 that are read to their end.
    @Test func procFilesAreRead() throws {
        let reader = ProcFileReader(initialCapacity: 4_096)
        #expect(try reader.read(path: "/proc/self/stat", limit: 64 * 1024))
        #expect(reader.count > 0)
    }

    @Test func aMissingFileIsNotAnError() throws {
        let reader = ProcFileReader()
        #expect(try reader.read(path: "/nonexistent/twmon", limit: 1 << 20) == false)
        #expect(try reader.readLines(path: "/nonexistent/twmon") { _ in Issue.record("no lines expected") } == false)
    }
}
