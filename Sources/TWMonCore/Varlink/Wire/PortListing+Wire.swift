/// Reads the parameters of an `io.twmon.Monitor.ListPorts` reply.
extension PortListing: Decodable {
    enum CodingKeys: String, CodingKey {
        case ports, totals
        case malformedRows = "malformed_rows"
        case portCount = "port_count"
        case serverPorts = "server_ports"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ports = try container.decode([Entry].self, forKey: .ports)
        totals = try container.decode(StateCounts.self, forKey: .totals)
        malformedRows = try container.decode(Int.self, forKey: .malformedRows)
        portCount = try container.decode(Int.self, forKey: .portCount)
        serverPorts = try container.decode(Int.self, forKey: .serverPorts)
    }
}

/// Reads a Varlink `Port` with its namespace; a port without `"netns"` (from a twmond older
/// than namespaces) is in the host's.
extension PortListing.Entry: Decodable {
    public init(from decoder: any Decoder) throws {
        let members = try decoder.container(keyedBy: WireKey.self)
        self.init(netns: try members.decodeIfPresent(NetworkNamespace.self, forKey: "netns") ?? .ownHost, stats: try PortStats(from: decoder))
    }
}
