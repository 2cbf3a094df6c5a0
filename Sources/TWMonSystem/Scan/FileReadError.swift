/// Why `ProcFileReader` refused or failed to read a file.
public enum FileReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed (`open`, `fstat`, `read`).
    case system(SystemCallError)
    /// The path is not a regular file (a FIFO, a device, a directory, a socket): reading it
    /// could block for ever or never end.
    case notRegularFile(path: String, kind: String)
    /// A small file (configuration, sockstat, a /proc/sys value) is longer than it can be.
    case tooLarge(path: String, limit: Int)
    /// A line of a table is longer than any real row.
    case lineTooLong(path: String, limit: Int)

    public var description: String {
        switch self {
        case .system(let error): "\(error)"
        case .notRegularFile(let path, let kind): "\(path) is a \(kind), not a regular file"
        case .tooLarge(let path, let limit): "\(path) is larger than \(limit) bytes"
        case .lineTooLong(let path, let limit): "\(path) has a line longer than \(limit) bytes"
        }
    }
}
