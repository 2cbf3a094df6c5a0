/// Where scans read the namespace's TCP sockets from.
public enum ScanSourceKind: String, Sendable, CaseIterable {
    /// netlink where a sock_diag dump works and procfs is the real `/proc`, else `/proc` (the
    /// default); decided at start and at every reload.
    case auto
    /// `/proc/net/tcp` and `/proc/net/tcp6`.
    case proc
    /// The kernel's sock_diag netlink interface.
    case netlink

    /// The values a configuration or a command line may name, for error messages.
    public static let spelled = allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
}
