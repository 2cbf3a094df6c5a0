/// Reads a Varlink `Port` (`ScanReport.writePort`): counts per family, the close rates and
/// the owner when known.
extension PortStats: Decodable {
    enum CodingKeys: String, CodingKey {
        case port, ipv4, ipv6
        case closesPerSecond = "closes_per_second"
        case closesSource = "closes_source"
        case closers
        case cgroup, unit, container
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard let port = UInt16(exactly: try container.decode(Int.self, forKey: .port)) else {
            throw WireDecoding.invalid(CodingKeys.port, in: container, expected: "a port number")
        }
        self.init(port: port, ipv4: try container.decode(StateCounts.self, forKey: .ipv4), ipv6: try container.decode(StateCounts.self, forKey: .ipv6))
        if let rates = try container.decodeIfPresent(CloseRates.self, forKey: .closesPerSecond) {
            recentCloses = RecentCloses(perSecond10: rates.perSecond10, perSecond60: rates.perSecond60,
                                        source: try container.decodeIfPresent(CloseRateSource.self, forKey: .closesSource) ?? .timers)
        }
        closers = try container.decodeIfPresent([Closer].self, forKey: .closers) ?? []
        if let cgroup = try container.decodeIfPresent(String.self, forKey: .cgroup) {
            owner = PortOwner(
                cgroup: cgroup, unit: try container.decodeIfPresent(String.self, forKey: .unit),
                container: try container.decodeIfPresent(ContainerWire.self, forKey: .container).map {
                    PortOwner.Container(runtime: $0.runtime, id: $0.id, podUID: $0.podUID)
                }
            )
        }
    }

    /// `"closes_per_second":{"10s":…,"60s":…}`.
    struct CloseRates: Decodable {
        var perSecond10: Double
        var perSecond60: Double
        enum CodingKeys: String, CodingKey {
            case perSecond10 = "10s", perSecond60 = "60s"
        }
    }

    /// A Varlink `Container`.
    struct ContainerWire: Decodable {
        var runtime: String
        var id: String
        var podUID: String?
        enum CodingKeys: String, CodingKey {
            case runtime, id, podUID = "pod_uid"
        }
    }
}

/// A Varlink `Closer` (`ScanReport.writeCloseSource`); its certain closes are not on the wire.
extension Closer: Decodable {
    enum CodingKeys: String, CodingKey { case pid, comm, closes }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let closes = try container.decode(UInt64.self, forKey: .closes)
        self.init(pid: try container.decode(UInt32.self, forKey: .pid), comm: try container.decode(String.self, forKey: .comm),
                  closes: closes, certainCloses: closes)
    }
}
