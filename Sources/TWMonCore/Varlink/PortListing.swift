/// The reply of `io.twmon.Monitor.ListPorts`: selected ports of the latest scan, in the shape
/// of `twmonctl scan --json`, with counts that describe the whole namespace.
public struct PortListing: Sendable, Equatable {
    /// The selected ports, most TIME_WAIT first.
    public var ports: [PortStats]
    /// Sockets per state in the whole namespace.
    public var totals: StateCounts
    /// Rows of the kernel's table that could not be read.
    public var malformedRows: Int
    /// Local ports with at least one socket.
    public var portCount: Int
    /// Ports with a LISTEN socket.
    public var serverPorts: Int

    /// Selects ports of `table` as `PortTable.ranked` does.
    public init(table: PortTable, listeningOnly: Bool = false, state: TCPState? = nil, limit: Int? = nil) {
        ports = table.ranked(listeningOnly: listeningOnly, state: state, limit: limit)
        totals = table.totals
        malformedRows = table.malformedRows
        portCount = table.ports.count
        serverPorts = table.ports.count(where: \.listening)
    }

    /// Writes the reply's parameters object.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.array("ports") { json in
            for stats in ports { ScanReport.writePort(stats, into: &json) }
        }
        json.key("totals"); ScanReport.writeStates(totals, into: &json)
        json.member("malformed_rows", malformedRows)
        json.member("port_count", portCount)
        json.member("server_ports", serverPorts)
        json.endObject()
    }

    /// The table for people, as `twmonctl scan` prints it.
    public var text: String {
        ScanReport.text(ports: ports, summary: ScanReport.summary(
            totals: totals, portCount: portCount, serverPorts: serverPorts, malformedRows: malformedRows, shown: ports.count
        ))
    }
}
