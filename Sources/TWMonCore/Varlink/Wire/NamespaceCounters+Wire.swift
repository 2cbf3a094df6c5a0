/// Reads a Varlink `NamespaceCounters`: each group of counters when its members are present.
extension NamespaceCounters: Decodable {
    enum CodingKeys: String, CodingKey {
        case timeWait = "time_wait", maxBuckets = "max_tw_buckets"
        case portRange = "ip_local_port_range", usablePorts = "usable_ephemeral_ports"
        case twReuse = "tcp_tw_reuse"
        case overflow = "tw_overflow", recycled = "tw_recycled"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        if let count = try container.decodeIfPresent(Int.self, forKey: .timeWait) {
            timeWait = NamespaceTimeWait(timeWait: count, maxBuckets: try container.decode(Int.self, forKey: .maxBuckets))
        }
        if let text = try container.decodeIfPresent(String.self, forKey: .portRange) {
            let bounds = text.split(separator: "-").compactMap { UInt16($0) }
            guard bounds.count == 2, bounds[0] <= bounds[1] else {
                throw WireDecoding.invalid(CodingKeys.portRange, in: container, expected: "LOW-HIGH")
            }
            let usable = try container.decode(Int.self, forKey: .usablePorts)
            ephemeralPorts = EphemeralPortRange(low: bounds[0], high: bounds[1], reserved: Int(bounds[1]) - Int(bounds[0]) + 1 - usable)
        }
        twReuse = try container.decodeIfPresent(Int.self, forKey: .twReuse)
        if let overflow = try container.decodeIfPresent(Int.self, forKey: .overflow) {
            timeWaitEvents = TimeWaitEventCounters(overflow: overflow, recycled: try container.decode(Int.self, forKey: .recycled))
        }
    }
}
