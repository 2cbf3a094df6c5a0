import Foundation
import Testing
@testable import TWMonSystem

@Suite("Whole-file /proc reader")
struct ProcFileReaderTests {
    /// Lines of many lengths, one longer than the buffer, and a last line without a newline.
    static let content: [UInt8] = {
        var text = "  sl  local_address rem_address   st\n"
        for index in 0..<300 { text += String(repeating: "x", count: index % 97) + "\n" }
        text += String(repeating: "long", count: 100) + "\n\n"
        text += "last line without newline"
        return Array(text.utf8)
    }()

    private func withFile(_ body: (String) throws -> Void) throws {
        let path = NSTemporaryDirectory() + "twmon-reader-\(getpid())-\(UUID().uuidString)"
        try Data(Self.content).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }

    /// Pieces are whole lines, cut after a newline; together they are the file. A buffer smaller
    /// than a line grows to hold it.
    @Test(arguments: [64, 100, 1_000, 1 << 20])
    func readLinesHandsOverWholeLines(capacity: Int) throws {
        try withFile { (path: String) throws in
            let reader = ProcFileReader(initialCapacity: capacity)
            var pieces: [[UInt8]] = []
            #expect(try reader.readLines(path: path) { pieces.append(Array($0)) })
            #expect(pieces.flatMap { $0 } == Self.content)
            #expect(pieces.dropLast().allSatisfy { $0.last == UInt8(ascii: "\n") })
            #expect(pieces.last == Array("last line without newline".utf8) || capacity == 1 << 20)
            // The buffer only grew for the line longer than it.
            #expect(reader.capacity <= max(capacity, 1_024))
        }
    }

    @Test func readKeepsTheWholeFile() throws {
        try withFile { (path: String) throws in
            let reader = ProcFileReader(initialCapacity: 64)
            #expect(try reader.read(path: path))
            #expect(reader.withBytes { Array($0) } == Self.content)
        }
    }

    @Test func aMissingFileIsNotAnError() throws {
        let reader = ProcFileReader()
        #expect(try reader.read(path: "/nonexistent/twmon") == false)
        #expect(try reader.readLines(path: "/nonexistent/twmon") { _ in Issue.record("no lines expected") } == false)
    }
}
