/// The per-port view of one scan of the namespace's TCP sockets: the table only (what else a
/// scan finds is in `ScanByproducts`).
public struct PortTable: Sendable, Equatable {
    /// Ports with at least one socket, ascending by port number.
    public var ports: [PortStats]
    /// Rows of the kernel's tables that could not be read.
    public var malformedRows: Int

    public init(ports: [PortStats] = [], malformedRows: Int = 0) {
        self.ports = ports
        self.malformedRows = malformedRows
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
        selected.sort(by: PortStats.ranksBefore)
        if let limit, selected.count > limit { selected.removeSubrange(limit...) }
        return selected
    }
}

extension PortStats {
    /// The order of `PortTable.ranked`: most TIME_WAIT first, then most sockets, then lowest
    /// port.
    public static func ranksBefore(_ lhs: PortStats, _ rhs: PortStats) -> Bool {
        if lhs.timeWait != rhs.timeWait { return lhs.timeWait > rhs.timeWait }
        if lhs.total != rhs.total { return lhs.total > rhs.total }
        return lhs.port < rhs.port
    }
}
