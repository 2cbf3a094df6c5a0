import Glibc
import TWMonCore

/// Writes text straight to a file descriptor (stdout, stderr), retrying EINTR and short writes;
/// one `write()` per chunk, so lines from several threads do not interleave.
public struct FileDescriptorOutput: Sendable {
    public static let standardOutput = FileDescriptorOutput(descriptor: 1)
    public static let standardError = FileDescriptorOutput(descriptor: 2)

    /// The descriptor written to.
    public var descriptor: Int32

    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Writes text laid out for people: its lines as they are, anything else a terminal would act
    /// on escaped (`TerminalText.escapedLines`). JSON goes through `write(_:)`.
    public func writeForPeople(_ text: String) {
        write(TerminalText.escapedLines(text))
    }

    public func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}
