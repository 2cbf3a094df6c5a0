/// The JSON shapes of the values the control socket reports (see the `io.twmon.Monitor`
/// interface definition), written by twmond and read back by `twmonctl`.
extension PortAlert {
    /// Writes the alert as a Varlink `PortAlert`.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.member("port", Int(port))
        json.member("time_wait", timeWait)
        json.member("established", established)
        json.member("threshold", limits.threshold)
        json.member("clear_below", limits.clearBelow)
        json.member("clear_ratio", limits.clearRatio)
        json.member("sustain", limits.sustain)
        json.member("peak", peak)
        json.member("since", UTCTimestamp.iso8601(since))
        json.member("since_unix", since)
        json.key("closes_per_second"); ScanReport.writeCloseRates(recentCloses, into: &json)
        if let owner { ScanReport.writeOwner(owner, into: &json) }
        json.endObject()
    }

    /// Reads a Varlink `PortAlert`.
    public init(json: JSONValue) throws(JSONFieldError) {
        self.init(
            port: try json.port("port"), timeWait: try json.int("time_wait"), established: try json.int("established"),
            limits: AlertLimits(threshold: try json.int("threshold"), clearRatio: try json.double("clear_ratio"), sustain: try json.int("sustain")),
            since: try json.double("since_unix"), peak: try json.int("peak")
        )
        if json.optionalField("closes_per_second") != nil {
            let rates = try json.field("closes_per_second")
            recentCloses = RecentCloses(perSecond10: try rates.double("10s"), perSecond60: try rates.double("60s"))
        }
        owner = try PortOwner(portJSON: json)
    }
}

extension NamespaceAlert {
    /// Writes the alert as a Varlink `NamespaceAlert`.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.member("time_wait", timeWait)
        json.member("max_tw_buckets", maxBuckets)
        json.member("ratio", ratio)
        json.member("threshold", threshold)
        json.member("since", UTCTimestamp.iso8601(since))
        json.member("since_unix", since)
        json.endObject()
    }

    /// Reads a Varlink `NamespaceAlert`.
    public init(json: JSONValue) throws(JSONFieldError) {
        self.init(
            timeWait: try json.int("time_wait"), maxBuckets: try json.int("max_tw_buckets"), ratio: try json.double("ratio"),
            threshold: try json.int("threshold"), since: try json.double("since_unix")
        )
    }
}

extension NamespaceTimeWait {
    /// Writes the counters as a Varlink `NamespaceTimeWait`.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.member("time_wait", timeWait)
        json.member("max_tw_buckets", maxBuckets)
        json.endObject()
    }

    /// Reads a Varlink `NamespaceTimeWait`.
    public init(json: JSONValue) throws(JSONFieldError) {
        self.init(timeWait: try json.int("time_wait"), maxBuckets: try json.int("max_tw_buckets"))
    }
}

extension AlertHistoryEntry {
    /// Writes the entry as a Varlink `AlertEvent`.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.member("event", event)
        if let port { json.member("port", Int(port)) }
        json.member("time_wait", timeWait)
        json.member("threshold", threshold)
        json.member("at", UTCTimestamp.iso8601(at))
        json.member("at_unix", at)
        json.endObject()
    }

    /// Reads a Varlink `AlertEvent`.
    public init(json: JSONValue) throws(JSONFieldError) {
        self.init(
            event: try json.string("event"), port: json.optionalField("port") == nil ? nil : try json.port("port"),
            timeWait: try json.int("time_wait"), threshold: try json.int("threshold"), at: try json.double("at_unix")
        )
    }
}

extension PortStats {
    /// Reads a port as `ScanReport.writePort` writes it (a Varlink `Port`).
    public init(json: JSONValue) throws(JSONFieldError) {
        self.init(port: try json.port("port"), ipv4: try json.stateCounts("ipv4"), ipv6: try json.stateCounts("ipv6"))
        if json.optionalField("closes_per_second") != nil {
            let rates = try json.field("closes_per_second")
            recentCloses = RecentCloses(perSecond10: try rates.double("10s"), perSecond60: try rates.double("60s"))
        }
        owner = try PortOwner(portJSON: json)
    }
}

extension PortOwner {
    /// Reads the owner members `ScanReport.writeOwner` writes into a port (or alert) object;
    /// nil when it has no `"cgroup"`.
    public init?(portJSON json: JSONValue) throws(JSONFieldError) {
        guard json.optionalField("cgroup") != nil else { return nil }
        var container: Container?
        if let value = json.optionalField("container") {
            container = Container(
                runtime: try value.string("runtime"), id: try value.string("id"),
                podUID: value.optionalField("pod_uid") == nil ? nil : try value.string("pod_uid")
            )
        }
        self.init(
            cgroup: try json.string("cgroup"), unit: json.optionalField("unit") == nil ? nil : try json.string("unit"),
            container: container
        )
    }
}

extension JSONValue {
    /// A member holding a port number (0 ... 65535).
    func port(_ key: String) throws(JSONFieldError) -> UInt16 {
        guard let port = UInt16(exactly: try int(key)) else { throw JSONFieldError(field: key, expected: "a port number") }
        return port
    }

    /// A member holding sockets per state, as `ScanReport.writeStates` writes them.
    public func stateCounts(_ key: String) throws(JSONFieldError) -> StateCounts {
        var counts = StateCounts()
        for member in try members(key) {
            guard let state = TCPState(name: member.key), case .integer(let count) = member.value, count >= 0 else {
                throw JSONFieldError(field: "\(key).\(member.key)", expected: "a TCP state name with a socket count")
            }
            counts[state] = count
        }
        return counts
    }
}
