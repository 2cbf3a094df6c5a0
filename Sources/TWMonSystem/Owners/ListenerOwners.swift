import TWMonCore

/// Finds the owners of a scan's server ports: the cgroup ids of their LISTEN sockets (from the
/// scan's own netlink dump, or from a LISTEN-only sock_diag dump when the scan reads /proc),
/// mapped to owners by a `CgroupOwnerResolver`. Never fails a scan: without sock_diag or
/// cgroup2, ports have no owner and `unavailable` says why.
public final class ListenerOwners {
    private let resolver: CgroupOwnerResolver
    /// The netlink socket of the LISTEN-only dump, opened at the first scan that needs it.
    private var listenerDump: NetlinkSource?
    private var dumpProblem: String?
    /// Opens the netlink source of the LISTEN-only dump (a parameter so a test can make it fail).
    private let openDump: () throws(ScanError) -> NetlinkSource

    public init(
        resolver: CgroupOwnerResolver = CgroupOwnerResolver(),
        openDump: @escaping () throws(ScanError) -> NetlinkSource = { () throws(ScanError) in try NetlinkSource() }
    ) {
        self.resolver = resolver
        self.openDump = openDump
    }

    /// Why ports have no owner now, or nil when owners are found.
    public var unavailable: String? {
        if let dumpProblem { return "no sock_diag dump of LISTEN sockets: \(dumpProblem)" }
        if let problem = resolver.unavailable { return "cgroup ids cannot be mapped to paths: \(problem)" }
        return nil
    }

    /// Adds the cgroup ids of the LISTEN sockets to `builder`, which `source` has just filled:
    /// nothing to do when its dump carried them.
    public func collectListenerCgroups(after source: any SocketTableSource, into builder: inout PortTableBuilder) {
        resolver.beginScan()
        guard !source.suppliesListenerCgroups, resolver.mountPoint != nil else { return }
        do {
            if listenerDump == nil { listenerDump = try openDump() }
            try listenerDump?.collectListenerCgroups(into: &builder)
            dumpProblem = nil
        } catch {
            dumpProblem = "\(error)"
            listenerDump = nil
        }
    }

    /// How far the walk of the cgroup2 mount got (see `CgroupOwnerResolver`).
    public var walkProgress: CgroupOwnerResolver.Progress { resolver.progress }

    /// Directories the walk may visit per scan.
    public var walkBudget: Int { resolver.budget }

    /// The owner of the cgroup with `id`, or nil when it is not known (yet).
    public func owner(of id: UInt64) -> PortOwner? {
        resolver.owner(of: id)
    }
}
