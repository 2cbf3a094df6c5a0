/// Renders a `PortTable` for `twmonctl scan`: JSON for scripts, an aligned table for people.
public enum ScanReport {
    /// Writes `{"STATE":count,…}` with only non-zero states, in kernel order.
    public static func writeStates(_ counts: StateCounts, into json: inout JSONWriter) {
        json.beginObject()
        for (state, count) in counts.nonZero { json.member(state.name, count) }
        json.endObject()
    }

    /// Writes one port as `{"port":…,"listening":…,"states":{…},"ipv4":{…},"ipv6":{…}}`.
    public static func writePort(_ stats: PortStats, into json: inout JSONWriter) {
        json.beginObject()
        json.member("port", Int(stats.port))
        json.member("listening", stats.listening)
        json.key("states"); writeStates(stats.states, into: &json)
        json.key("ipv4"); writeStates(stats.ipv4, into: &json)
        json.key("ipv6"); writeStates(stats.ipv6, into: &json)
        json.endObject()
    }

    /// `{"ports":[…],"totals":{…},"malformed_rows":N}` for the selected ports; totals are the
    /// whole namespace's, whatever the selection.
    public static func json(_ table: PortTable, ports: [PortStats]) -> String {
        var json = JSONWriter()
        json.beginObject()
        json.array("ports") { json in
            for stats in ports { writePort(stats, into: &json) }
        }
        json.key("totals"); writeStates(table.totals, into: &json)
        json.member("malformed_rows", table.malformedRows)
        json.endObject()
        return json.string
    }

    /// The human-readable table: one row per port, its role and its non-zero states, then a
    /// summary line.
    public static func text(_ table: PortTable, ports: [PortStats]) -> String {
        text(ports: ports, summary: summary(table, shown: ports.count))
    }

    /// The rows of `ports`, then `summary` as the last line.
    public static func text(ports: [PortStats], summary: String) -> String {
        var lines: [[String]] = [["PORT", "ROLE", "TIME_WAIT", "TOTAL", "STATES"]]
        for stats in ports {
            let states = stats.states.nonZero.map { "\($0.state.name)=\($0.count)" }.joined(separator: " ")
            lines.append([
                String(stats.port), stats.listening ? "server" : "client",
                String(stats.timeWait), String(stats.total), states,
            ])
        }
        var widths = [Int](repeating: 0, count: 5)
        for line in lines { for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) } }
        var output = ""
        for line in lines {
            var row = ""
            for (index, cell) in line.enumerated() {
                if index == line.count - 1 {
                    row += cell
                } else if index >= 2 {
                    row += String(repeating: " ", count: widths[index] - cell.count) + cell + "  "
                } else {
                    row += cell + String(repeating: " ", count: widths[index] - cell.count) + "  "
                }
            }
            while row.hasSuffix(" ") { row.removeLast() }
            output += row + "\n"
        }
        output += summary + "\n"
        return output
    }

    /// `42 ports shown of 57 (3 server); 130211 sockets: TIME_WAIT=120000 ESTABLISHED=…; 0 malformed rows`
    public static func summary(_ table: PortTable, shown: Int) -> String {
        summary(
            totals: table.totals, portCount: table.ports.count, serverPorts: table.ports.count(where: \.listening),
            malformedRows: table.malformedRows, shown: shown
        )
    }

    /// The summary line from the namespace's counts (what a `ListPorts` reply carries).
    public static func summary(totals: StateCounts, portCount: Int, serverPorts: Int, malformedRows: Int, shown: Int) -> String {
        let states = totals.nonZero.map { "\($0.state.name)=\($0.count)" }.joined(separator: " ")
        var line = "\(shown) of \(portCount) ports shown (\(serverPorts) server); "
        line += "\(totals.total) sockets" + (states.isEmpty ? "" : ": " + states)
        line += "; \(malformedRows) malformed rows"
        return line
    }
}
