/// The JSON shapes of the values the control socket reports (see the `io.twmon.Monitor`
/// interface definition), written by twmond (`twmonctl` reads them through the `Decodable` types of `Varlink/Wire`).
extension Alert {
    /// Writes the alert as a Varlink `Alert`: its kind, its subject, its count under the
    /// kind's name (`time_wait`, `close_wait`, `sockets`, `overflow`), limits, and its figures.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.member("kind", kind.rawValue)
        subject.write(into: &json)
        json.key("netns"); netns.write(into: &json)
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
}


extension NamespaceCounters {
    /// Writes the counters as a Varlink `NamespaceCounters` (the members present).
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        if let timeWait {
            json.member("time_wait", timeWait.timeWait)
            if let maxBuckets = timeWait.maxBuckets { json.member("max_tw_buckets", maxBuckets) }
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
        json.key("netns"); netns.write(into: &json)
        if let reason { json.member("reason", reason.rawValue) }
        json.member(kind.countName, count)
        json.member("threshold", threshold)
        json.member("at", UTCTimestamp.iso8601(at))
        json.member("at_unix", at)
        json.endObject()
    }
}
