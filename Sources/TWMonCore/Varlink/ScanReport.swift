/// Renders ports for `twmonctl scan` and `ports` (`PortListing`): JSON for scripts, an aligned
/// table for people.
public enum ScanReport {
    /// Writes `{"STATE":count,…}` with only non-zero states, in kernel order.
    public static func writeStates(_ counts: StateCounts, into json: inout JSONWriter) {
        json.beginObject()
        for (state, count) in counts.nonZero { json.member(state.name, count) }
        json.endObject()
    }

    /// Writes one port as `{"port":…,"listening":…,"states":{…},"ipv4":{…},"ipv6":{…},
    /// "closes_per_second":{"10s":…,"60s":…},"closes_source":…,"netns":{…}}`, with `"closers"`
    /// when the close-event source named some, with `"unit"`, `"cgroup"` and
    /// `"container"` when the port's owner is known and names them; `"netns"` is the Varlink
    /// `Netns` of the namespace the port is in (`NetworkNamespace.write(into:)`).
    public static func writePort(_ stats: PortStats, netns: NetworkNamespace, into json: inout JSONWriter) {
        json.beginObject()
        json.member("port", Int(stats.port))
        json.member("listening", stats.listening)
        json.key("states"); writeStates(stats.states, into: &json)
        json.key("ipv4"); writeStates(stats.ipv4, into: &json)
        json.key("ipv6"); writeStates(stats.ipv6, into: &json)
        json.key("closes_per_second"); writeCloseRates(stats.recentCloses, into: &json)
        writeCloseSource(stats.recentCloses, closers: stats.closers, into: &json)
        if let owner = stats.owner { writeOwner(owner, into: &json) }
        json.key("netns"); netns.write(into: &json)
        json.endObject()
    }

    /// `{"10s":12.3,"60s":11.9}`: active closes per second in each window.
    public static func writeCloseRates(_ closes: RecentCloses, into json: inout JSONWriter) {
        json.beginObject()
        json.member("10s", closes.perSecond10)
        json.member("60s", closes.perSecond60)
        json.endObject()
    }

    /// `"closes_source":"ebpf"` when `closes_per_second` comes from the close-event source
    /// (absent: from the TIME_WAIT timers, as before events existed) and, when it named some, `"closers":[{"pid":…,"comm":…,"closes":…},…]`, most
    /// closes first; `comm` exactly as the kernel gave it.
    public static func writeCloseSource(_ closes: RecentCloses, closers: [Closer], into json: inout JSONWriter) {
        guard closes.source == .ebpf else { return }
        json.member("closes_source", closes.source.rawValue)
        guard !closers.isEmpty else { return }
        json.array("closers") { json in
            for closer in closers {
                json.beginObject()
                json.member("pid", Int(closer.pid))
                json.member("comm", closer.comm)
                json.member("closes", closer.closes < UInt64(Int.max) ? Int(closer.closes) : .max)
                json.endObject()
            }
        }
    }

    /// The owner's members in the object being written: `"unit"` (when the cgroup names one),
    /// `"cgroup"`, and `"container":{"runtime":…,"id":…,"pod_uid":…}` for a container.
    public static func writeOwner(_ owner: PortOwner, into json: inout JSONWriter) {
        if let unit = owner.unit { json.member("unit", unit) }
        json.member("cgroup", owner.cgroup)
        if let container = owner.container {
            json.object("container") { json in
                json.member("runtime", container.runtime)
                json.member("id", container.id)
                if let pod = container.podUID { json.member("pod_uid", pod) }
            }
        }
    }

    /// The human-readable table: one row per port, its role, owner (a listener's, else its
    /// namespace's) and non-zero states, then
    /// `summary` as the last line; a NAMESPACE column first when the ports are in more than one
    /// namespace. Names are escaped for a terminal.
    public static func text(ports: [PortListing.Entry], summary: String) -> String {
        let namespaces = ports.first.map { first in ports.contains { $0.netns != first.netns } } ?? false
        var header = ["PORT", "ROLE", "OWNER", "TIME_WAIT", "CLOSES/S 10s", "60s", "TOTAL", "STATES"]
        if namespaces { header.insert("NAMESPACE", at: 0) }
        let firstNumber = header.firstIndex(of: "TIME_WAIT") ?? header.count
        var lines = [header]
        for entry in ports {
            let stats = entry.stats
            // A listener in another namespace without an owner of its own is its namespace's.
            let owner = stats.owner ?? (stats.listening ? entry.netns.owner : nil)
            let states = stats.states.nonZero.map { "\($0.state.name)=\($0.count)" }.joined(separator: " ")
            var line = [
                String(stats.port), stats.listening ? "server" : "client", owner?.shownName ?? "-",
                String(stats.timeWait), rateText(stats.recentCloses.perSecond10), rateText(stats.recentCloses.perSecond60),
                String(stats.total), states,
            ]
            if namespaces { line.insert(TerminalText.name(entry.netns.name), at: 0) }
            lines.append(line)
        }
        var widths = [Int](repeating: 0, count: header.count)
        for line in lines { for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) } }
        var output = ""
        for line in lines {
            var row = ""
            for (index, cell) in line.enumerated() {
                if index == line.count - 1 {
                    row += cell
                } else if index >= firstNumber {
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

    /// A rate with one decimal (`0.0`, `12.5`, `100.0`).
    static func rateText(_ perSecond: Double) -> String {
        DecimalText.fixed(perSecond.isFinite && perSecond >= 0 && perSecond < 1e12 ? perSecond : 0, decimals: 1) ?? "0.0"
    }

    /// The summary line from the listing's counts (what a `ListPorts` reply carries), e.g.
    /// `42 of 57 ports shown (3 server); 130211 sockets: TIME_WAIT=120000 …; 0 malformed rows`.
    public static func summary(totals: StateCounts, portCount: Int, serverPorts: Int, malformedRows: Int, shown: Int) -> String {
        let states = totals.nonZero.map { "\($0.state.name)=\($0.count)" }.joined(separator: " ")
        var line = "\(shown) of \(portCount) ports shown (\(serverPorts) server); "
        line += "\(totals.total) sockets" + (states.isEmpty ? "" : ": " + states)
        line += "; \(malformedRows) malformed rows"
        return line
    }
}
