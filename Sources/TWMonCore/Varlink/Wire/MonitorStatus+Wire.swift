/// Reads the parameters of an `io.twmon.Monitor.GetStatus` reply.
extension MonitorStatus: Decodable {
    enum CodingKeys: String, CodingKey {
        case version
        case uptimeSeconds = "uptime_seconds"
        case scanIntervalSeconds = "scan_interval_seconds"
        case timeWaitThreshold = "time_wait_threshold"
        case source
        case lastScan = "last_scan_unix"
        case scanAgeSeconds = "scan_age_seconds"
        case scanDurationMilliseconds = "scan_duration_ms"
        case scanCount = "scan_count"
        case totals
        case portCount = "port_count"
        case serverPorts = "server_ports"
        case malformedRows = "malformed_rows"
        case namespace, alerts, problem
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(String.self, forKey: .version)
        uptimeSeconds = try container.decode(Int.self, forKey: .uptimeSeconds)
        scanIntervalSeconds = try container.decode(Double.self, forKey: .scanIntervalSeconds)
        timeWaitThreshold = try container.decode(Int.self, forKey: .timeWaitThreshold)
        source = try container.decode(String.self, forKey: .source)
        lastScan = try container.decode(Double.self, forKey: .lastScan)
        scanAgeSeconds = try container.decode(Int.self, forKey: .scanAgeSeconds)
        guard scanAgeSeconds >= 0 else {
            throw WireDecoding.invalid(CodingKeys.scanAgeSeconds, in: container, expected: "a count of seconds, not negative")
        }
        scanDurationMilliseconds = try container.decode(Double.self, forKey: .scanDurationMilliseconds)
        scanCount = try container.decode(Int.self, forKey: .scanCount)
        totals = try container.decode(StateCounts.self, forKey: .totals)
        portCount = try container.decode(Int.self, forKey: .portCount)
        serverPorts = try container.decode(Int.self, forKey: .serverPorts)
        malformedRows = try container.decode(Int.self, forKey: .malformedRows)
        namespace = try container.decodeIfPresent(NamespaceCounters.self, forKey: .namespace)
        alerts = try container.decode([Alert].self, forKey: .alerts)
        problem = try container.decodeIfPresent(String.self, forKey: .problem)
    }
}
