import TWMonCore

/// Where a scan gets the namespace's TCP sockets from.
public protocol SocketTableSource: AnyObject {
    /// A short name for logs and status: `proc` or `netlink`.
    var name: String { get }
    /// Adds every TCP socket of the namespace, both families, to `builder`.
    func collect(into builder: inout PortTableBuilder) throws(ScanError)
    /// True when `collect` also notes the cgroup ids of LISTEN sockets (netlink); a source
    /// without them (/proc) gets them from a separate LISTEN-only sock_diag dump.
    var suppliesListenerCgroups: Bool { get }
}

extension SocketTableSource {
    public var suppliesListenerCgroups: Bool { false }
}
