import TWMonCore

/// Turns a source's sockets into a `PortTable`, reusing its buffers from scan to scan.
public final class Scanner {
    /// Where the sockets come from.
    public let source: any SocketTableSource
    /// For a scanner made for `ScanSourceKind.auto`: which source was chosen and why, for the
    /// one log line that says so.
    public private(set) var autoChoice: String?
    private var builder = PortTableBuilder()
    /// Finds the owners of server ports; nil for a captured proc root (its ports are not this
    /// host's).
    public let owners: ListenerOwners?
    /// When the last scan that counted new closes started: its TIME_WAIT sockets younger than
    /// the time since are the new ones. A scanner shared by several tables (`OtherNamespaces`)
    /// sets it to the start of the previous read of the table it reads next.
    public var previousScan: ContinuousClock.Instant?

    public init(source: any SocketTableSource, owners: ListenerOwners? = nil) {
        self.source = source
        self.owners = owners
    }

    /// The procfs mount that `auto` may replace by netlink; any other root is a captured copy.
    public static let realProcRoot = "/proc"

    /// A scanner for `kind`, reading /proc under `procRoot`.
    ///
    /// `.auto` takes netlink when `procRoot` is the real /proc and a sock_diag dump works here
    /// (it makes one to find out), and /proc otherwise: a captured proc root, no `AF_NETLINK`
    /// (a sandbox's RestrictAddressFamilies=), no `tcp_diag` in the kernel.
    /// `openNetlink` opens the netlink source (a parameter so a test can make it fail).
    /// `ownerWalkBudget` is the directories of the cgroup2 mount each scan may walk for owners
    /// (`CgroupOwnerResolver.budget`): a one-shot scan, which has no next scan to go on in,
    /// passes `CgroupOwnerResolver.maximumDirectories`.
    public static func make(
        kind: ScanSourceKind, procRoot: String, ownerWalkBudget: Int = CgroupOwnerResolver.defaultBudget,
        openNetlink: () throws(ScanError) -> any SocketTableSource = { () throws(ScanError) in try NetlinkSource() }
    ) throws(ScanError) -> Scanner {
        // Owners are this host's: only for the real /proc.
        let owners = procRoot == realProcRoot ? ListenerOwners(resolver: CgroupOwnerResolver(budget: ownerWalkBudget)) : nil
        switch kind {
        case .proc:
            return Scanner(source: ProcNetSource(procRoot: procRoot), owners: owners)
        case .netlink:
            return Scanner(source: try openNetlink(), owners: owners)
        case .auto:
            guard procRoot == realProcRoot else {
                return Scanner(source: ProcNetSource(procRoot: procRoot), owners: owners, autoChoice: "proc (scan.proc_root is \(procRoot))")
            }
            do {
                let scanner = Scanner(source: try openNetlink(), owners: owners, autoChoice: "netlink (a sock_diag dump works here)")
                _ = try scanner.scan()
                return scanner
            } catch {
                return Scanner(source: ProcNetSource(procRoot: procRoot), owners: owners, autoChoice: "proc (netlink unusable: \(error))")
            }
        }
    }

    private convenience init(source: any SocketTableSource, owners: ListenerOwners?, autoChoice: String) {
        self.init(source: source, owners: owners)
        self.autoChoice = autoChoice
    }

    /// Scans once: the table and its by-products. TIME_WAIT peers are tallied for the ports in
    /// `peerPorts`, and the by-products keep the `topPeers` with the most sockets of each. With
    /// an `ephemeralRange` and a `clientFloor`, client sockets are tallied per destination and
    /// the destinations with at least `clientFloor` sockets kept. `newActiveCloses` counts the
    /// TIME_WAIT sockets made since the previous scan (none at the first).
    public func scan(
        watchingPeersOf peerPorts: some Sequence<UInt16> = [UInt16](), topPeers: Int = 5,
        tallyingClientsIn ephemeralRange: EphemeralPortRange? = nil, clientFloor: Int? = nil
    ) throws(ScanError) -> ScanResult {
        builder.reset(watchingPeersOf: peerPorts)
        builder.topPeerLimit = topPeers
        builder.tallyClients(in: ephemeralRange, floor: clientFloor)
        let started = ContinuousClock.now
        builder.newCloseWindowMilliseconds = 0
        if let previousScan {
            let milliseconds = (started - previousScan).inWholeMilliseconds
            builder.newCloseWindowMilliseconds = Int(min(max(milliseconds, 0), Int64(TimeWaitTimer.lifetimeMilliseconds)))
        }
        try source.collect(into: &builder)
        previousScan = started
        guard let owners else { return builder.result() }
        owners.collectListenerCgroups(after: source, into: &builder)
        return builder.result(ownerOf: owners.owner(of:))
    }

    /// Why server ports have no owner, or nil when they do (or the scan reads a captured root).
    public var ownersUnavailable: String? { owners?.unavailable }
}
