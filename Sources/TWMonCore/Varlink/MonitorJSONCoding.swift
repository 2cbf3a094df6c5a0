/// The JSON shapes of the values the control socket reports (see the `io.twmon.Monitor`
/// interface definition), written by twmond and read back by `twmonctl`.
extension Alert {
    /// Writes the alert as a Varlink `Alert`: its kind, its subject, its count under the
    /// kind's name (`time_wait`, `close_wait`, `sockets`, `overflow`), limits, and its figures.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.member("kind", kind.rawValue)
        Self.writeSubject(subject, into: &json)
        json.member(kind.countName, count)
        json.member("threshold", limits.threshold)
        json.member("clear_below", limits.clearBelow)
        json.member("clear_ratio", limits.clearRatio)
        json.member("sustain", limits.sustain)
        if let clearSustain = limits.clearSustain { json.member("clear_sustain", clearSustain) }
        json.member("peak", peak)
        json.member("since", UTCTimestamp.iso8601(since))
        json.member("since_unix", since)
        for figure in figures.entries { Self.write(figure, into: &json) }
        if let recentCloses = figures.recentCloses {
            json.key("closes_per_second"); ScanReport.writeCloseRates(recentCloses, into: &json)
        }
        if let owner = figures.owner { ScanReport.writeOwner(owner, into: &json) }
        json.endObject()
    }

    /// Reads a Varlink `Alert`.
    public init(json: JSONValue) throws(JSONFieldError) {
        let kind = try Self.kind(json)
        var figures = try AlertFigures(json: json)
        if kind.countName == "time_wait" { figures.timeWait = nil }
        self.init(
            kind: kind, subject: try Self.subject(json, kind: kind), count: try json.int(kind.countName),
            limits: AlertLimits(
                threshold: try json.int("threshold"), clearRatio: try json.double("clear_ratio"), sustain: try json.int("sustain"),
                clearSustain: json.optionalField("clear_sustain") == nil ? nil : try json.int("clear_sustain")),
            since: try json.double("since_unix"), peak: try json.int("peak"), figures: figures
        )
    }

    static func kind(_ json: JSONValue) throws(JSONFieldError) -> AlertKind {
        guard let kind = AlertKind(rawValue: try json.string("kind")) else {
            throw JSONFieldError(field: "kind", expected: AlertKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return kind
    }

    /// `"port":N`, or `"local_address"`, `"remote_address"`, `"remote_port"`; nothing for the namespace.
    static func writeSubject(_ subject: AlertSubject, into json: inout JSONWriter) {
        switch subject {
        case .namespace: break
        case .port(let port): json.member("port", Int(port))
        case .clientTuple(let tuple):
            json.member("local_address", tuple.localAddress.description)
            json.member("remote_address", tuple.remoteAddress.description)
            json.member("remote_port", Int(tuple.remotePort))
        }
    }

    static func subject(_ json: JSONValue, kind: AlertKind) throws(JSONFieldError) -> AlertSubject {
        switch kind {
        case .timeWait, .closeWait: return .port(try json.port("port"))
        case .twBuckets, .twOverflow: return .namespace
        case .ephemeralPorts:
            guard let local = IPAddress(text: try json.string("local_address")) else { throw JSONFieldError(field: "local_address", expected: "an IP address") }
            guard let remote = IPAddress(text: try json.string("remote_address")) else { throw JSONFieldError(field: "remote_address", expected: "an IP address") }
            return .clientTuple(ClientTuple(localAddress: local, remoteAddress: remote, remotePort: try json.port("remote_port")))
        }
    }

    static func write(_ figure: AlertFigures.Entry, into json: inout JSONWriter) {
        switch figure.value {
        case .integer(let value): json.member(figure.name, value)
        case .number(let value): json.member(figure.name, value)
        case .text(let value): json.member(figure.name, value)
        }
    }
}

extension NamespaceCounters {
    /// Writes the counters as a Varlink `NamespaceCounters` (the members present).
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        if let timeWait {
            json.member("time_wait", timeWait.timeWait)
            json.member("max_tw_buckets", timeWait.maxBuckets)
        }
        if let ephemeralPorts {
            json.member("ip_local_port_range", ephemeralPorts.text)
            json.member("usable_ephemeral_ports", ephemeralPorts.usable)
        }
        if let twReuse { json.member("tcp_tw_reuse", twReuse) }
        if let timeWaitEvents {
            json.member("tw_overflow", timeWaitEvents.overflow)
            json.member("tw_recycled", timeWaitEvents.recycled)
        }
        json.endObject()
    }

}

extension AlertHistoryEntry {
    /// Writes the entry as a Varlink `AlertEvent`.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.member("event", event.rawValue)
        json.member("kind", kind.rawValue)
        Alert.writeSubject(subject, into: &json)
        json.member(kind.countName, count)
        json.member("threshold", threshold)
        json.member("at", UTCTimestamp.iso8601(at))
        json.member("at_unix", at)
        json.endObject()
    }

    /// Reads a Varlink `AlertEvent`.
    public init(json: JSONValue) throws(JSONFieldError) {
        guard let event = AlertEvent(rawValue: try json.string("event")) else {
            throw JSONFieldError(field: "event", expected: "raised, reminder or cleared")
        }
        let kind = try Alert.kind(json)
        self.init(
            event: event, kind: kind, subject: try Alert.subject(json, kind: kind), count: try json.int(kind.countName),
            threshold: try json.int("threshold"), at: try json.double("at_unix")
        )
    }
}

extension RecentCloses {
    /// Reads `"closes_per_second":{"10s":…,"60s":…}` of a port or alert object; nil when absent.
    public init?(ratesIn json: JSONValue) throws(JSONFieldError) {
        guard json.optionalField("closes_per_second") != nil else { return nil }
        let rates = try json.field("closes_per_second")
        self.init(perSecond10: try rates.double("10s"), perSecond60: try rates.double("60s"))
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

}
