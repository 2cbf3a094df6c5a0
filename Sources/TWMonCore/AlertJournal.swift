/// Turns alert decisions into journal entries: fixed MESSAGE_IDs (explained by the catalog in
/// `systemd/twmond.catalog`), `TWMON_*` fields, and a message an operator reads at a glance.
public enum AlertJournal {
    /// A server port's TIME_WAIT alert was raised (also used for its reminders).
    public static let portRaisedID = "b409c94814fd48d4b7a71e21b7432752"
    /// A server port's TIME_WAIT alert cleared.
    public static let portClearedID = "a779194c3e234e67b1716dd035ad43b6"
    /// The namespace's TIME_WAIT total approaches net.ipv4.tcp_max_tw_buckets.
    public static let namespaceRaisedID = "a2133443ca6847e79cbed5ba978024de"
    /// The namespace alert cleared.
    public static let namespaceClearedID = "d1a7d0d631ac4d0fa87cb3dac8b3892b"
    /// A reload failed; the running configuration was kept.
    public static let reloadFailedID = "535689ef080c4be1b69b827b0ecb44fd"

    public static let syslogIdentifier = "twmond"

    /// The entry for one action; `peers` are the port's top TIME_WAIT remote addresses.
    public static func entry(for action: AlertAction, peers: [PeerCount] = [], now: Double) -> JournalEntry {
        switch action {
        case .portRaised(let alert):
            return portEntry(alert, event: "raised", id: portRaisedID, priority: .warning, peers: peers,
                message: "\(portName(alert)): \(alert.timeWait) sockets in TIME_WAIT, ≈ \(closeRate(alert)) closes/s by the server (threshold \(alert.limits.threshold)) — the server is closing connections first")
        case .portReminder(let alert):
            return portEntry(alert, event: "reminder", id: portRaisedID, priority: .warning, peers: peers,
                message: "\(portName(alert)): still \(alert.timeWait) sockets in TIME_WAIT, ≈ \(closeRate(alert)) closes/s by the server (threshold \(alert.limits.threshold), alert active for \(UTCTimestamp.span(now - alert.since))) — the server is closing connections first")
        case .portCleared(let alert):
            return portEntry(alert, event: "cleared", id: portClearedID, priority: .notice, peers: peers,
                message: "\(portName(alert)): TIME_WAIT down to \(alert.timeWait) (below \(alert.limits.clearBelow)), ≈ \(closeRate(alert)) closes/s; alert cleared after \(UTCTimestamp.span(now - alert.since)), peak \(alert.peak)")
        case .namespaceRaised(let alert):
            return namespaceEntry(alert, event: "raised", id: namespaceRaisedID, priority: .warning,
                message: "namespace: \(alert.timeWait) sockets in TIME_WAIT, \(percent(alert.timeWait, of: alert.maxBuckets)) of net.ipv4.tcp_max_tw_buckets=\(alert.maxBuckets) (alert at \(alert.threshold)) — beyond the limit the kernel skips TIME_WAIT")
        case .namespaceReminder(let alert):
            return namespaceEntry(alert, event: "reminder", id: namespaceRaisedID, priority: .warning,
                message: "namespace: still \(alert.timeWait) sockets in TIME_WAIT, \(percent(alert.timeWait, of: alert.maxBuckets)) of net.ipv4.tcp_max_tw_buckets=\(alert.maxBuckets)")
        case .namespaceCleared(let alert):
            return namespaceEntry(alert, event: "cleared", id: namespaceClearedID, priority: .notice,
                message: "namespace: TIME_WAIT down to \(alert.timeWait) of net.ipv4.tcp_max_tw_buckets=\(alert.maxBuckets); alert cleared")
        }
    }

    /// A failed reload: logged at PRIORITY=3 with the problems, the old configuration kept.
    public static func reloadFailed(path: String, error: String) -> JournalEntry {
        JournalEntry(
            message: "configuration reload failed, running configuration kept: \(error)",
            priority: .error,
            fields: [("MESSAGE_ID", reloadFailedID), ("SYSLOG_IDENTIFIER", syslogIdentifier),
                     ("TWMON_CONFIG", path), ("TWMON_ERROR", error)]
        )
    }

    /// `port 8080 (nginx.service)`, or `port 8080` when nobody is known to listen there. A
    /// cgroup that names no unit or container is named by its path, unless it is the root
    /// (which says nothing: every process of a host without systemd is there).
    public static func portName(_ alert: PortAlert) -> String {
        "port \(alert.port)" + PortOwner.suffix(alert.owner)
    }

    /// Active closes per second over the last 60 s, as the message reads it.
    static func closeRate(_ alert: PortAlert) -> String {
        RecentCloses.rateText(alert.recentCloses.perSecond60)
    }

    /// `10.0.0.7=8123, 10.0.0.9=2011`
    public static func peerList(_ peers: [PeerCount]) -> String {
        peers.map { "\($0.address)=\($0.count)" }.joined(separator: ", ")
    }

    private static func portEntry(
        _ alert: PortAlert, event: String, id: String, priority: JournalEntry.Priority, peers: [PeerCount], message: String
    ) -> JournalEntry {
        JournalEntry(message: message, priority: priority, fields: [
            ("MESSAGE_ID", id),
            ("SYSLOG_IDENTIFIER", syslogIdentifier),
            ("TWMON_EVENT", event),
            ("TWMON_PORT", String(alert.port)),
            ("TWMON_TIME_WAIT", String(alert.timeWait)),
            ("TWMON_THRESHOLD", String(alert.limits.threshold)),
            ("TWMON_CLEAR_BELOW", String(alert.limits.clearBelow)),
            ("TWMON_ESTABLISHED", String(alert.established)),
            ("TWMON_TOP_PEERS", peerList(peers)),
            ("TWMON_PEAK", String(alert.peak)),
            ("TWMON_SINCE", UTCTimestamp.iso8601(alert.since)),
        ] + ownerFields(alert))
    }

    /// TWMON_OWNER (always: the owner in words, or `unknown`), TWMON_UNIT and TWMON_CGROUP
    /// (when known), the container's, and TWMON_CLOSE_RATE (active closes per second over the
    /// last 60 s) with TWMON_CLOSE_RATE_10S.
    private static func ownerFields(_ alert: PortAlert) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [("TWMON_OWNER", alert.owner?.alertName ?? "unknown")]
        if let owner = alert.owner {
            if let unit = owner.unit { fields.append(("TWMON_UNIT", unit)) }
            fields.append(("TWMON_CGROUP", owner.cgroup))
            if let container = owner.container {
                fields.append(("TWMON_CONTAINER_RUNTIME", container.runtime))
                fields.append(("TWMON_CONTAINER_ID", container.id))
                if let pod = container.podUID { fields.append(("TWMON_POD_UID", pod)) }
            }
        }
        fields.append(("TWMON_CLOSE_RATE", ScanReport.rateText(alert.recentCloses.perSecond60)))
        fields.append(("TWMON_CLOSE_RATE_10S", ScanReport.rateText(alert.recentCloses.perSecond10)))
        return fields
    }

    private static func namespaceEntry(
        _ alert: NamespaceAlert, event: String, id: String, priority: JournalEntry.Priority, message: String
    ) -> JournalEntry {
        JournalEntry(message: message, priority: priority, fields: [
            ("MESSAGE_ID", id),
            ("SYSLOG_IDENTIFIER", syslogIdentifier),
            ("TWMON_EVENT", event),
            ("TWMON_TIME_WAIT", String(alert.timeWait)),
            ("TWMON_MAX_TW_BUCKETS", String(alert.maxBuckets)),
            ("TWMON_RATIO", ratioText(alert.ratio)),
            ("TWMON_THRESHOLD", String(alert.threshold)),
            ("TWMON_SINCE", UTCTimestamp.iso8601(alert.since)),
        ])
    }

    /// `part` as a whole percentage of `whole`; never overflows, whatever the figures.
    private static func percent(_ part: Int, of whole: Int) -> String {
        guard whole > 0, part >= 0 else { return "?" }
        // Whole shares times 100, plus the remainder's hundredths (below 100: no overflow).
        let (scaled, overflow) = (part / whole).multipliedReportingOverflow(by: 100)
        guard !overflow else { return "?" }
        return "\(scaled + Int(Double(part % whole) / Double(whole) * 100))%"
    }

    /// `0.80`
    private static func ratioText(_ ratio: Double) -> String {
        let hundredths = Int((ratio * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }
}
