/// The reply of `io.twmon.Monitor.ListPorts`, and what `twmonctl scan` shows: the selected
/// ports of every namespace listed (or of the one asked for), ranked together, with counts that
/// describe all the namespaces listed.
public struct PortListing: Sendable, Equatable {
    /// One listed port and the network namespace it is in.
    public struct Entry: Sendable, Equatable {
        /// The namespace and its table, shared by every entry of it: a listing of 50 000 ports
        /// holds a reference and an index each, not 50 000 copies of the namespace's names and
        /// of the ports' counts (15 MB more at each encoding of the reply).
        fileprivate let namespace: ListedNamespace
        /// Where the port is in the namespace's table.
        fileprivate let index: Int

        /// The port's sockets.
        public var stats: PortStats { namespace.table.ports[index] }

        /// The namespace.
        public var netns: NetworkNamespace { namespace.netns }

        public init(netns: NetworkNamespace, stats: PortStats) {
            self.init(ListedNamespace(netns, position: 0, table: PortTable(ports: [stats])), index: 0)
        }

        fileprivate init(_ namespace: ListedNamespace, index: Int) {
            self.namespace = namespace
            self.index = index
        }

        /// Its namespace's position among those listed (own first, then by name).
        fileprivate var position: Int { namespace.position }

        public static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.stats == rhs.stats && lhs.netns == rhs.netns
        }
    }

    /// A namespace as its entries share it.
    fileprivate final class ListedNamespace: Sendable {
        let netns: NetworkNamespace
        let position: Int
        /// The namespace's table (shared with the snapshot: not copied).
        let table: PortTable

        init(_ netns: NetworkNamespace, position: Int, table: PortTable) {
            self.netns = netns
            self.position = position
            self.table = table
        }
    }

    /// One namespace's table, as a listing is made from.
    public struct NamespaceTable: Sendable {
        public var netns: NetworkNamespace
        public var table: PortTable

        public init(netns: NetworkNamespace, table: PortTable) {
            self.netns = netns
            self.table = table
        }
    }

    /// `netns` names no namespace of the scan.
    public struct NamespaceNotFound: Error, Sendable, Equatable {
        /// The name asked for.
        public var netns: String
    }

    /// About how many bytes one port's object takes in the JSON reply (its states in both
    /// families, close rates, owner and namespace), to size the reply's buffer.
    public static let typicalPortBytes = 200

    /// The selected ports, most TIME_WAIT first (then most sockets, lowest port, and the
    /// namespaces' order: own first, then by name).
    public var ports: [Entry]
    /// Sockets per state in the namespaces listed.
    public var totals: StateCounts
    /// Rows of the kernel's tables that could not be read.
    public var malformedRows: Int
    /// Local ports with at least one socket, counted once per namespace.
    public var portCount: Int
    /// Ports with a LISTEN socket, counted once per namespace.
    public var serverPorts: Int

    /// Selects ports of `namespaces` (of the one named `netns` when given) as
    /// `PortTable.ranked` does, all ranked together; the counts are those of the namespaces
    /// selected. Throws when no namespace is named `netns`.
    public init(
        namespaces: [NamespaceTable], netns: String? = nil, listeningOnly: Bool = false, state: TCPState? = nil, limit: Int? = nil
    ) throws(NamespaceNotFound) {
        let selected = netns.map { name in namespaces.filter { $0.netns.name == name } } ?? namespaces
        if let netns, selected.isEmpty { throw NamespaceNotFound(netns: netns) }
        self.init(selected: selected, listeningOnly: listeningOnly, state: state, limit: limit)
    }

    /// Selects ports of one namespace's `table`.
    public init(table: PortTable, netns: NetworkNamespace = .ownHost, listeningOnly: Bool = false, state: TCPState? = nil, limit: Int? = nil) {
        self.init(selected: [NamespaceTable(netns: netns, table: table)], listeningOnly: listeningOnly, state: state, limit: limit)
    }

    private init(selected: [NamespaceTable], listeningOnly: Bool, state: TCPState?, limit: Int?) {
        ports = []
        totals = StateCounts()
        (malformedRows, portCount, serverPorts) = (0, 0, 0)
        for (position, namespace) in selected.enumerated() {
            let table = namespace.table
            let listed = ListedNamespace(namespace.netns, position: position, table: table)
            for (index, stats) in table.ports.enumerated() where (!listeningOnly || stats.listening) && (state.map { stats.states[$0] > 0 } ?? true) {
                ports.append(Entry(listed, index: index))
            }
            totals += table.totals
            malformedRows += table.malformedRows
            portCount += table.ports.count
            serverPorts += table.ports.count(where: \.listening)
        }
        ports.sort { lhs, rhs in
            let (left, right) = (lhs.namespace.table.ports[lhs.index], rhs.namespace.table.ports[rhs.index])
            if PortStats.ranksBefore(left, right) { return true }
            if PortStats.ranksBefore(right, left) { return false }
            return lhs.position < rhs.position
        }
        if let limit, ports.count > limit { ports.removeSubrange(limit...) }
    }

    /// Selects ports of every namespace of `snapshot`: its own, then the others.
    public init(
        snapshot: MonitorSnapshot, netns: String? = nil, listeningOnly: Bool = false, state: TCPState? = nil, limit: Int? = nil
    ) throws(NamespaceNotFound) {
        try self.init(namespaces: snapshot.namespaceTables, netns: netns, listeningOnly: listeningOnly, state: state, limit: limit)
    }

    /// Writes the reply's parameters object.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.array("ports") { json in
            for entry in ports { ScanReport.writePort(entry.stats, netns: entry.netns, into: &json) }
        }
        json.key("totals"); ScanReport.writeStates(totals, into: &json)
        json.member("malformed_rows", malformedRows)
        json.member("port_count", portCount)
        json.member("server_ports", serverPorts)
        json.endObject()
    }

    /// The table for people, as `twmonctl ports` and `twmonctl scan` print it: with a
    /// NAMESPACE column when the ports shown are in more than one namespace.
    public var text: String {
        ScanReport.text(ports: ports, summary: ScanReport.summary(
            totals: totals, portCount: portCount, serverPorts: serverPorts, malformedRows: malformedRows, shown: ports.count
        ))
    }
}

extension MonitorSnapshot {
    /// Its own namespace's table, then the other namespaces' (as `ListPorts` lists them).
    public var namespaceTables: [PortListing.NamespaceTable] {
        [PortListing.NamespaceTable(netns: ownNamespace, table: table)]
            + otherNamespaces.map { PortListing.NamespaceTable(netns: $0.netns, table: $0.table) }
    }

    /// Local ports with sockets in all its namespaces: the most a `ListPorts` reply lists.
    public var listablePortCount: Int {
        otherNamespaces.reduce(table.ports.count) { $0 + $1.table.ports.count }
    }
}
