/// Turns alert decisions into journal entries: fixed MESSAGE_IDs (explained by the catalog in
/// `systemd/twmond.catalog`), `TWMON_*` fields, and a message an operator reads at a glance.
public enum AlertJournal {
    /// A reload failed; the running configuration was kept.
    public static let reloadFailedID = "535689ef080c4be1b69b827b0ecb44fd"

    public static let syslogIdentifier = "twmond"

    /// The entry for one action, whatever its kind: the common fields, then the fields of the
    /// alert's figures, then peak and start.
    public static func entry(for action: AlertAction, now: Double) -> JournalEntry {
        let alert = action.alert
        let kind = alert.kind
        var fields: [(String, String)] = [
            ("MESSAGE_ID", action.event == .cleared ? kind.clearedMessageID : kind.raisedMessageID),
            ("SYSLOG_IDENTIFIER", syslogIdentifier),
            ("TWMON_ALERT", kind.rawValue),
            ("TWMON_EVENT", action.event.rawValue),
            ("TWMON_NETNS", alert.netns.name),
        ]
        if !alert.netns.own, alert.figures.owner == nil, let owner = alert.netns.owner {
            // A port's owner fields already name its namespace's owner.
            fields += ownerIdentityFields(owner)
        }
        switch alert.subject {
        case .namespace: break
        case .port(let port): fields.append(("TWMON_PORT", String(port)))
        case .clientTuple(let tuple):
            fields += [("TWMON_LOCAL_ADDRESS", tuple.localAddress.description), ("TWMON_REMOTE_ADDRESS", tuple.remoteAddress.description),
                       ("TWMON_REMOTE_PORT", String(tuple.remotePort))]
        }
        fields += [
            (kind.countField, String(alert.count)),
            ("TWMON_THRESHOLD", String(alert.limits.threshold)),
            ("TWMON_CLEAR_BELOW", String(alert.limits.clearBelow)),
        ]
        fields += alert.figures.journalFields(alert)
        fields += [("TWMON_PEAK", String(alert.peak)), ("TWMON_SINCE", UTCTimestamp.iso8601(alert.since))]
        if let reason = action.reason { fields.append(("TWMON_CLEAR_REASON", reason.rawValue)) }
        let priority: JournalEntry.Priority = action.event == .cleared ? .notice : kind.raisedPriority
        return JournalEntry(message: message(action, now: now), priority: priority, fields: fields)
    }

    /// The line an operator reads at a glance.
    public static func message(_ action: AlertAction, now: Double) -> String {
        let alert = action.alert
        let active = UTCTimestamp.span(now - alert.since)
        if let reason = action.reason {
            return "\(place(alert)): \(reason.words); \(alert.kind.rawValue) alert cleared after \(active), peak \(alert.peak)"
        }
        return alert.figures.message(action.event, alert, active: active)
    }

    /// What the alert is about, in words: `port 8080 (nginx.service)`, `port 8080 in docker
    /// 3f2a9c1b7d0e`, `namespace`, `namespace demo-private.service`, a client destination.
    public static func place(_ alert: Alert) -> String {
        switch alert.subject {
        case .namespace: namespaceName(alert)
        case .port: portName(alert)
        case .clientTuple(let tuple): tuple.description + (alert.netns.own ? "" : " in \(alert.netns.shownName)")
        }
    }

    /// `namespace` for twmond's own, `namespace docker 3f2a9c1b7d0e` for another.
    public static func namespaceName(_ alert: Alert) -> String {
        alert.netns.own ? "namespace" : "namespace \(alert.netns.shownName)"
    }

    /// The fields of a port's listener: TWMON_OWNER (always: the owner in words, or `unknown`),
    /// TWMON_UNIT and TWMON_CGROUP (when known), the container's, and TWMON_CLOSE_RATE (active
    /// closes per second over the last 60 s) with TWMON_CLOSE_RATE_10S when `recentCloses` is known.
    static func ownerFields(_ owner: PortOwner?, recentCloses: RecentCloses?) -> [(String, String)] {
        var fields: [(String, String)] = [("TWMON_OWNER", owner?.alertName ?? "unknown")]
        if let owner { fields += ownerIdentityFields(owner) }
        if let closes = recentCloses {
            fields.append(("TWMON_CLOSE_RATE", ScanReport.rateText(closes.perSecond60)))
            fields.append(("TWMON_CLOSE_RATE_10S", ScanReport.rateText(closes.perSecond10)))
        }
        return fields
    }

    /// TWMON_UNIT (when known), TWMON_CGROUP, and the container's TWMON_CONTAINER_RUNTIME,
    /// TWMON_CONTAINER_ID and TWMON_POD_UID.
    static func ownerIdentityFields(_ owner: PortOwner) -> [(String, String)] {
        var fields: [(String, String)] = []
        if let unit = owner.unit { fields.append(("TWMON_UNIT", unit)) }
        fields.append(("TWMON_CGROUP", owner.cgroup))
        if let container = owner.container {
            fields.append(("TWMON_CONTAINER_RUNTIME", container.runtime))
            fields.append(("TWMON_CONTAINER_ID", container.id))
            if let pod = container.podUID { fields.append(("TWMON_POD_UID", pod)) }
        }
        return fields
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
    /// (which says nothing: every process of a host without systemd is there). In another
    /// namespace, whose owner is its ports' owner: `port 8080 in docker 3f2a9c1b7d0e`.
    public static func portName(_ alert: Alert) -> String {
        if !alert.netns.own { return "port \(alert.port ?? 0) in \(alert.netns.shownName)" }
        return "port \(alert.port ?? 0)" + PortOwner.suffix(alert.figures.owner)
    }

    /// `10.0.0.7=8123, 10.0.0.9=2011`
    public static func peerList(_ peers: [PeerCount]) -> String {
        peers.map { "\($0.address)=\($0.count)" }.joined(separator: ", ")
    }

    /// `60` or `0.5`.
    static func number(_ value: Double) -> String { DecimalText.shortest(value) }

    /// `60 s`, `0.5 s`.
    static func seconds(_ value: Double) -> String { number(value) + " s" }

    /// `part` as a whole percentage of `whole`; never overflows, whatever the figures.
    static func percent(_ part: Int, of whole: Int) -> String {
        guard whole > 0, part >= 0 else { return "?" }
        // Whole shares times 100, plus the remainder's hundredths (below 100: no overflow).
        let (scaled, overflow) = (part / whole).multipliedReportingOverflow(by: 100)
        guard !overflow else { return "?" }
        return "\(scaled + Int(Double(part % whole) / Double(whole) * 100))%"
    }

    /// `0.80`
    static func ratioText(_ ratio: Double) -> String { DecimalText.fixed(ratio, decimals: 2) ?? "?" }
}
