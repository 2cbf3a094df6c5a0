import TWMonCore

/// Where a scan gets the namespace's TCP sockets from.
public protocol SocketTableSource: AnyObject {
    /// A short name for logs and status: `proc` or `netlink`.
    var name: String { get }
    /// Adds every TCP socket of the namespace, both families, to `builder`.
    func collect(into builder: inout PortTableBuilder) throws(ScanError)
}
