import TWMonCore

/// Turns a source's sockets into a `PortTable`, reusing its buffers from scan to scan.
public final class Scanner {
    /// Where the sockets come from.
    public let source: any SocketTableSource
    /// For a scanner made for `ScanSourceKind.auto`: which source was chosen and why, for the
    /// one log line that says so.
    public private(set) var autoChoice: String?
    private var builder = PortTableBuilder()

    public init(source: any SocketTableSource) {
        self.source = source
    }

    /// The procfs mount that `auto` may replace by netlink; any other root is a captured copy.
    public static let realProcRoot = "/proc"

    /// A scanner for `kind`, reading /proc under `procRoot`.
    ///
    /// `.auto` takes netlink when `procRoot` is the real /proc and a sock_diag dump works here
    /// (it makes one to find out), and /proc otherwise: a captured proc root, no `AF_NETLINK`
    /// (a sandbox's RestrictAddressFamilies=), no `tcp_diag` in the kernel.
    /// `openNetlink` opens the netlink source (a parameter so a test can make it fail).
    public static func make(
        kind: ScanSourceKind, procRoot: String,
        openNetlink: () throws(ScanError) -> any SocketTableSource = { () throws(ScanError) in try NetlinkSource() }
    ) throws(ScanError) -> Scanner {
        switch kind {
        case .proc:
            return Scanner(source: ProcNetSource(procRoot: procRoot))
        case .netlink:
            return Scanner(source: try openNetlink())
        case .auto:
            guard procRoot == realProcRoot else {
                return Scanner(source: ProcNetSource(procRoot: procRoot), autoChoice: "proc (scan.proc_root is \(procRoot))")
            }
            do {
                let scanner = Scanner(source: try openNetlink(), autoChoice: "netlink (a sock_diag dump works here)")
                _ = try scanner.scan()
                return scanner
            } catch {
                return Scanner(source: ProcNetSource(procRoot: procRoot), autoChoice: "proc (netlink unusable: \(error))")
            }
        }
    }

    private convenience init(source: any SocketTableSource, autoChoice: String) {
        self.init(source: source)
        self.autoChoice = autoChoice
    }

    /// Scans once; TIME_WAIT peers are tallied for the ports in `peerPorts`, and the table
    /// keeps the `topPeers` with the most sockets of each. With an `ephemeralRange` and a
    /// `clientFloor`, client sockets are tallied per destination and the table keeps the
    /// destinations with at least `clientFloor` sockets.
    public func scan(
        watchingPeersOf peerPorts: some Sequence<UInt16> = [UInt16](), topPeers: Int = 5,
        tallyingClientsIn ephemeralRange: EphemeralPortRange? = nil, clientFloor: Int? = nil
    ) throws(ScanError) -> PortTable {
        builder.reset(watchingPeersOf: peerPorts)
        builder.topPeerLimit = topPeers
        builder.tallyClients(in: ephemeralRange, floor: clientFloor)
        try source.collect(into: &builder)
        return builder.build()
    }
}
