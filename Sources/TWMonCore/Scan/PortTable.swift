/// The per-port view of one scan of the namespace's TCP sockets.
public struct PortTable: Sendable, Equatable {
    /// Ports with at least one socket, ascending by port number.
    public var ports: [PortStats]
    /// Rows of the kernel's tables that could not be read.
    public var malformedRows: Int
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
    public var newActiveCloses: [UInt16: Int] = [:]

    public init(
        ports: [PortStats] = [], malformedRows: Int = 0, topPeers: [UInt16: [PeerCount]] = [:],
        closeWaitSockets: [CloseWaitSocket] = [], clientTuples: [ClientTupleCount] = []
    ) {
        self.ports = ports
        self.malformedRows = malformedRows
        self.topPeers = topPeers
        self.closeWaitSockets = closeWaitSockets
        self.clientTuples = clientTuples
    }

    /// Socket counts per state for the whole namespace, both families.
    public var totals: StateCounts {
        ports.reduce(into: StateCounts()) { $0 += $1.states }
    }

    /// Socket counts per state for one family.
    public func totals(for family: AddressFamily) -> StateCounts {
        ports.reduce(into: StateCounts()) { $0 += family == .ipv4 ? $1.ipv4 : $1.ipv6 }
    }

    /// The stats of one port, if it has sockets.
    public subscript(port port: UInt16) -> PortStats? {
        var low = 0, high = ports.count
        while low < high {
            let middle = (low + high) / 2
            if ports[middle].port < port { low = middle + 1 } else { high = middle }
        }
        return low < ports.count && ports[low].port == port ? ports[low] : nil
    }

    /// Ports selected as an operator asks for them, most TIME_WAIT first (then most sockets,
    /// then lowest port).
    public func ranked(listeningOnly: Bool = false, state: TCPState? = nil, limit: Int? = nil) -> [PortStats] {
        var selected = ports.filter { stats in
            (!listeningOnly || stats.listening) && (state.map { stats.states[$0] > 0 } ?? true)
        }
        selected.sort { lhs, rhs in
            if lhs.timeWait != rhs.timeWait { return lhs.timeWait > rhs.timeWait }
            if lhs.total != rhs.total { return lhs.total > rhs.total }
            return lhs.port < rhs.port
        }
        if let limit, selected.count > limit { selected.removeSubrange(limit...) }
        return selected
    }
}
