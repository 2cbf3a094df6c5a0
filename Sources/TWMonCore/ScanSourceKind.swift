/// Where scans read the namespace's TCP sockets from.
public enum ScanSourceKind: String, Sendable, CaseIterable {
    /// `/proc/net/tcp` and `/proc/net/tcp6` (the default).
    case proc
    /// The kernel's sock_diag netlink interface.
    case netlink
}
