/// One scan of the namespace's TCP sockets: the per-port table, which snapshots carry, and the
/// by-products only the scan step consumes.
public struct ScanResult: Sendable, Equatable {
    /// The per-port table.
    public var table: PortTable
    /// What the scan found besides the table.
    public var byproducts: ScanByproducts

    public init(table: PortTable, byproducts: ScanByproducts = ScanByproducts()) {
        self.table = table
        self.byproducts = byproducts
    }
}

/// What a scan finds besides the per-port table, for the scan step (CLOSE_WAIT ages, active
/// closes, the alert policy); never part of a snapshot.
public struct ScanByproducts: Sendable, Equatable {
    /// For the ports the scan was asked to watch, the remote addresses holding the most
    /// TIME_WAIT sockets, largest first.
    public var topPeers: [UInt16: [PeerCount]]
    /// The CLOSE_WAIT sockets of the scan, with their inodes (for `CloseWaitAges`).
    public var closeWaitSockets: [CloseWaitSocket]
    /// Client destinations (local address, remote address, remote port) whose sockets hold
    /// ephemeral ports, those with at least the scan's `clientTupleFloor` sockets.
    public var clientTuples: [ClientTupleCount]
    /// Per port, the TIME_WAIT sockets that are younger than the time since the previous scan
    /// (`PortTableBuilder.newCloseWindowMilliseconds`): the active closes since then, each
    /// counted by exactly one scan. Empty for a scan that had no previous one.
    public var newActiveCloses: [UInt16: Int]

    public init(
        topPeers: [UInt16: [PeerCount]] = [:], closeWaitSockets: [CloseWaitSocket] = [],
        clientTuples: [ClientTupleCount] = [], newActiveCloses: [UInt16: Int] = [:]
    ) {
        self.topPeers = topPeers
        self.closeWaitSockets = closeWaitSockets
        self.clientTuples = clientTuples
        self.newActiveCloses = newActiveCloses
    }
}
