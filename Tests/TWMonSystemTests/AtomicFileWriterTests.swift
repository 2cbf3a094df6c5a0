import Foundation
import Glibc
import Testing
@testable import TWMonSystem

/// The textfile writer without privileges: unpredictable temporary names, mode 0644 whatever
/// the umask, nothing left behind. (The shared-directory attack: TextfileTakeoverTests.)
@Suite struct AtomicFileWriterTests {
    @Test func temporaryNamesAreNewAndUnpredictable() throws {
        let directory = try TemporaryDirectory()
        let target = directory.file("twmond.prom")
        var names: Set<String> = []
        for _ in 0..<20 {
            let (descriptor, path) = try AtomicFileWriter.createTemporary(beside: target)
            close(descriptor)
            #expect(path.hasPrefix(directory.path + "/.twmond.prom.") && path.hasSuffix(".tmp"))
            let random = path.dropFirst((directory.path + "/.twmond.prom.").count).dropLast(".tmp".count)
            #expect(random.count == 16 && random.allSatisfy(\.isHexDigit), "\(path)")
            names.insert(path)
        }
        #expect(names.count == 20)
    }

    @Test func writesWithItsModeAndLeavesNothingBehind() throws {
        let directory = try TemporaryDirectory()
        let target = directory.file("twmond.prom")
        let saved = umask(0o077)
        defer { umask(saved) }
        try AtomicFileWriter.write(Array("first\n".utf8), to: target)
        try AtomicFileWriter.write(Array("second\n".utf8), to: target)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "second\n")
        var status = stat()
        #expect(stat(target, &status) == 0 && status.st_mode & 0o777 == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["twmond.prom"])
        // A target that cannot be replaced (a directory): the error, and no temporary file left.
        try FileManager.default.createDirectory(atPath: directory.file("taken.prom"), withIntermediateDirectories: false)
        #expect(throws: SystemCallError.self) { try AtomicFileWriter.write([1], to: directory.file("taken.prom")) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["taken.prom", "twmond.prom"])
    }
}
