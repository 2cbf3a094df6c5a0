import TWMonCore

/// Turns a source's sockets into a `PortTable`, reusing its buffers from scan to scan.
public final class Scanner {
    /// Where the sockets come from.
    public let source: any SocketTableSource
    private var builder = PortTableBuilder()

    public init(source: any SocketTableSource) {
        self.source = source
    }

    /// A scanner for `kind`, reading /proc under `procRoot`.
    public static func make(kind: ScanSourceKind, procRoot: String) throws(ScanError) -> Scanner {
        switch kind {
        case .proc: return Scanner(source: ProcNetSource(procRoot: procRoot))
        case .netlink: return Scanner(source: try NetlinkSource())
        }
    }

    /// Scans once; TIME_WAIT peers are tallied for the ports in `peerPorts`, and the table
    /// keeps the `topPeers` with the most sockets of each.
    public func scan(watchingPeersOf peerPorts: some Sequence<UInt16> = [UInt16](), topPeers: Int = 5) throws(ScanError) -> PortTable {
        builder.reset(watchingPeersOf: peerPorts)
        builder.topPeerLimit = topPeers
        try source.collect(into: &builder)
        return builder.build()
    }
}
