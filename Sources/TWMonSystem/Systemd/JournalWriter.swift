import CSystemd
import Glibc
import TWMonCore

/// Where journal entries go. A test records them; the daemon uses `JournalWriter`.
public protocol JournalSink: Sendable {
    func send(_ entry: JournalEntry)
}

/// Writes structured entries to journald with `sd_journal_sendv`, and echoes them to stderr
/// when stderr is not the journal (a foreground run), since without a journald socket
/// `sd_journal_sendv` silently does nothing.
public struct JournalWriter: JournalSink {
    /// Also write entries to stderr.
    public let echoesToStandardError: Bool
    /// Entries below this priority are dropped (debug < info < notice …).
    public let maximumPriority: JournalEntry.Priority

    public init(echoesToStandardError: Bool = !JournalWriter.standardErrorIsJournal(), maximumPriority: JournalEntry.Priority = .debug) {
        self.echoesToStandardError = echoesToStandardError
        self.maximumPriority = maximumPriority
    }

    public func send(_ entry: JournalEntry) {
        guard entry.priority <= maximumPriority else { return }
        let fields = entry.allFields.map { Array("\($0.name)=\($0.value)".utf8) }
        withIOVectors(fields) { vectors in
            _ = sd_journal_sendv(vectors.baseAddress, Int32(vectors.count))
        }
        if echoesToStandardError {
            FileDescriptorOutput.standardError.writeForPeople("twmond: \(entry.terminalLine)\n")
        }
    }

    /// True when stderr is the journal stream systemd connected (`JOURNAL_STREAM=dev:inode`
    /// names the same file as fd 2).
    public static func standardErrorIsJournal() -> Bool {
        guard let value = getenv("JOURNAL_STREAM") else { return false }
        let parts = String(cString: value).split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(2, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    private func withIOVectors(_ fields: [[UInt8]], _ body: (UnsafeBufferPointer<iovec>) -> Void) {
        var vectors: [iovec] = []
        func nest(_ index: Int) {
            if index == fields.count {
                vectors.withUnsafeBufferPointer(body)
                return
            }
            fields[index].withUnsafeBytes { bytes in
                vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count))
                nest(index + 1)
            }
        }
        nest(0)
    }
}
