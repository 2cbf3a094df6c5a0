/// Why a scan of the socket tables failed.
public enum ScanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `net/tcp` is missing under the proc root: the root is wrong or /proc/net is hidden.
    case missingTable(path: String)
    /// A table exists but could not be read, or is not what a table can be (not a regular
    /// file, a line longer than any row).
    case unreadable(FileReadError)
    /// The netlink sock_diag dump failed.
    case netlink(String)

    public var description: String {
        switch self {
        case .missingTable(let path): "\(path) does not exist (is the proc root right, and /proc/net visible?)"
        case .unreadable(let error): "cannot read socket table: \(error)"
        case .netlink(let reason): "netlink sock_diag: \(reason)"
        }
    }
}
