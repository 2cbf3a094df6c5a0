/// The JSON shapes of the values the control socket reports (see the `io.twmon.Monitor`
/// interface definition), written by twmond and read back by `twmonctl`.
extension Alert {
    /// Writes the alert as a Varlink `Alert`: its kind, its subject, its count under the
    /// kind's name (`time_wait`, `close_wait`, `sockets`, `overflow`), limits, and its figures.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.member("kind", kind.rawValue)
        subject.write(into: &json)
        json.member(kind.countName, count)
        json.member("threshold", limits.threshold)
        json.member("clear_below", limits.clearBelow)
        json.member("clear_ratio", limits.clearRatio)
        json.member("sustain", limits.sustain)
        if let clearSustain = limits.clearSustain { json.member("clear_sustain", clearSustain) }
        json.member("peak", peak)
        json.member("since", UTCTimestamp.iso8601(since))
        json.member("since_unix", since)
        figures.write(into: &json)
        json.endObject()
    }

    /// Reads a Varlink `Alert`: the kind's rules read its subject and figures.
    public init(json: JSONValue) throws(JSONFieldError) {
        let rules = try AlertKind(json: json).rules
        self.init(
            subject: try AlertSubject(json: json, shape: rules.subjectShape), count: try json.int(rules.countName),
            limits: AlertLimits(
                threshold: try json.int("threshold"), clearRatio: try json.double("clear_ratio"), sustain: try json.int("sustain"),
                clearSustain: json.optionalField("clear_sustain") == nil ? nil : try json.int("clear_sustain")),
            since: try json.double("since_unix"), peak: try json.int("peak"), figures: try rules.init(json: json)
        )
    }
}

extension AlertKind {
    /// Reads the `"kind"` member of a Varlink `Alert` or `AlertEvent`.
    init(json: JSONValue) throws(JSONFieldError) {
        guard let kind = AlertKind(rawValue: try json.string("kind")) else {
            throw JSONFieldError(field: "kind", expected: AlertKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = kind
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

extension AlertEventRecord {
    /// Writes the record as a Varlink `AlertEvent`.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.member("event", event.rawValue)
        json.member("kind", kind.rawValue)
        subject.write(into: &json)
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
        let kind = try AlertKind(json: json)
        self.init(
            event: event, kind: kind, subject: try AlertSubject(json: json, shape: kind.rules.subjectShape), count: try json.int(kind.countName),
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
