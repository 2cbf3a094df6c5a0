/// Turns alert decisions into journal entries: fixed MESSAGE_IDs (explained by the catalog in
/// `systemd/twmond.catalog`), `TWMON_*` fields, and a message an operator reads at a glance.
public enum AlertJournal {
    /// A server port's TIME_WAIT alert was raised (also used for its reminders).
    public static let portRaisedID = AlertKind.timeWait.raisedMessageID
    /// A server port's TIME_WAIT alert cleared.
    public static let portClearedID = AlertKind.timeWait.clearedMessageID
    /// The namespace's TIME_WAIT total approaches net.ipv4.tcp_max_tw_buckets.
    public static let namespaceRaisedID = AlertKind.twBuckets.raisedMessageID
    /// The namespace alert cleared.
    public static let namespaceClearedID = AlertKind.twBuckets.clearedMessageID
    /// A reload failed; the running configuration was kept.
    public static let reloadFailedID = "535689ef080c4be1b69b827b0ecb44fd"

    public static let syslogIdentifier = "twmond"

    /// The entry for one action, whatever its kind; `peers` are the port's top TIME_WAIT
    /// remote addresses (`time_wait` only).
    public static func entry(for action: AlertAction, peers: [PeerCount] = [], now: Double) -> JournalEntry {
        let alert = action.alert
        let kind = alert.kind
        var fields: [(String, String)] = [
            ("MESSAGE_ID", action.event == .cleared ? kind.clearedMessageID : kind.raisedMessageID),
            ("SYSLOG_IDENTIFIER", syslogIdentifier),
            ("TWMON_ALERT", kind.rawValue),
            ("TWMON_EVENT", action.event.rawValue),
        ]
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
        for figure in alert.figures.entries { fields.append((figure.journalField, text(figure))) }
        if case .port = alert.subject { fields += ownerFields(alert.figures) }
        if kind == .timeWait { fields.append(("TWMON_TOP_PEERS", peerList(peers))) }
        fields += [("TWMON_PEAK", String(alert.peak)), ("TWMON_SINCE", UTCTimestamp.iso8601(alert.since))]
        let priority: JournalEntry.Priority = action.event == .cleared ? .notice : kind.raisedPriority
        return JournalEntry(message: message(action, now: now), priority: priority, fields: fields)
    }

    /// The line an operator reads at a glance.
    public static func message(_ action: AlertAction, now: Double) -> String {
        let alert = action.alert, figures = alert.figures
        let count = alert.count, threshold = alert.limits.threshold, clearBelow = alert.limits.clearBelow
        let active = UTCTimestamp.span(now - alert.since)
        let still = action.event == .reminder ? "still " : ""
        let text: String
        switch (alert.kind, action.event) {
        case (.timeWait, .raised), (.timeWait, .reminder):
            let age = action.event == .reminder ? ", alert active for \(active)" : ""
            let rate = figures.recentCloses.map { ", ≈ \(RecentCloses.rateText($0.perSecond60)) closes/s by the server" } ?? ""
            text = "\(portName(alert)): \(still)\(count) sockets in TIME_WAIT\(rate) (threshold \(threshold)\(age)) — the server is closing connections first"
        case (.timeWait, .cleared):
            let rate = figures.recentCloses.map { ", ≈ \(RecentCloses.rateText($0.perSecond60)) closes/s" } ?? ""
            text = "\(portName(alert)): TIME_WAIT down to \(count) (below \(clearBelow))\(rate); alert cleared after \(active), peak \(alert.peak)"
        case (.closeWait, .raised), (.closeWait, .reminder):
            text = "\(portName(alert)): \(still)\(count) sockets in CLOSE_WAIT for \(seconds(figures.minAgeSeconds ?? 0)) or more (threshold \(threshold), oldest \(UTCTimestamp.span(Double(figures.oldestAgeSeconds ?? 0)))) — the application does not close connections its peers closed"
        case (.closeWait, .cleared):
            text = "\(portName(alert)): CLOSE_WAIT sockets older than \(seconds(figures.minAgeSeconds ?? 0)) down to \(count) (below \(clearBelow)); alert cleared after \(active), peak \(alert.peak)"
        case (.ephemeralPorts, .raised), (.ephemeralPorts, .reminder):
            let usable = figures.usablePorts ?? 0
            text = "\(alert.subject): \(still)\(count) sockets hold local ports, \(percent(count, of: usable)) of the \(usable) usable ephemeral ports (\(figures.portRange ?? "?"), \(figures.timeWait ?? 0) in TIME_WAIT, tcp_tw_reuse=\(figures.twReuse.map(String.init) ?? "?")) — connect() to this destination fails with EADDRNOTAVAIL when they run out"
        case (.ephemeralPorts, .cleared):
            text = "\(alert.subject): down to \(count) sockets (below \(clearBelow)) of \(figures.usablePorts ?? 0) usable ephemeral ports; alert cleared after \(active), peak \(alert.peak)"
        case (.twBuckets, .raised):
            text = "namespace: \(count) sockets in TIME_WAIT, \(percent(count, of: figures.maxBuckets ?? 0)) of net.ipv4.tcp_max_tw_buckets=\(figures.maxBuckets ?? 0) (alert at \(threshold)) — beyond the limit the kernel skips TIME_WAIT"
        case (.twBuckets, .reminder):
            text = "namespace: still \(count) sockets in TIME_WAIT, \(percent(count, of: figures.maxBuckets ?? 0)) of net.ipv4.tcp_max_tw_buckets=\(figures.maxBuckets ?? 0)"
        case (.twBuckets, .cleared):
            text = "namespace: TIME_WAIT down to \(count) of net.ipv4.tcp_max_tw_buckets=\(figures.maxBuckets ?? 0); alert cleared"
        case (.twOverflow, .raised), (.twOverflow, .reminder):
            text = "namespace: the kernel \(still.isEmpty ? "" : "still ")destroyed \(count) TIME_WAIT sockets past net.ipv4.tcp_max_tw_buckets since the last scan (\(figures.overflowSinceStart ?? count) since twmond started) — those connections lost TIME_WAIT's protection"
        case (.twOverflow, .cleared):
            text = "namespace: no TIME_WAIT overflow for \(alert.limits.scansToClear) scans (\(figures.overflowSinceStart ?? 0) TIME_WAIT sockets destroyed since twmond started, peak \(alert.peak) in one interval); alert cleared after \(active)"
        }
        return text
    }

    /// TWMON_OWNER (always, for a port: the owner in words, or `unknown`), TWMON_UNIT and
    /// TWMON_CGROUP (when known), the container's, and TWMON_CLOSE_RATE (active closes per
    /// second over the last 60 s) with TWMON_CLOSE_RATE_10S, when the kind counts closes.
    private static func ownerFields(_ figures: AlertFigures) -> [(String, String)] {
        var fields: [(String, String)] = [("TWMON_OWNER", figures.owner?.alertName ?? "unknown")]
        if let owner = figures.owner {
            if let unit = owner.unit { fields.append(("TWMON_UNIT", unit)) }
            fields.append(("TWMON_CGROUP", owner.cgroup))
            if let container = owner.container {
                fields.append(("TWMON_CONTAINER_RUNTIME", container.runtime))
                fields.append(("TWMON_CONTAINER_ID", container.id))
                if let pod = container.podUID { fields.append(("TWMON_POD_UID", pod)) }
            }
        }
        if let closes = figures.recentCloses {
            fields.append(("TWMON_CLOSE_RATE", ScanReport.rateText(closes.perSecond60)))
            fields.append(("TWMON_CLOSE_RATE_10S", ScanReport.rateText(closes.perSecond10)))
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
    /// (which says nothing: every process of a host without systemd is there).
    public static func portName(_ alert: Alert) -> String {
        "port \(alert.port ?? 0)" + PortOwner.suffix(alert.figures.owner)
    }

    /// `10.0.0.7=8123, 10.0.0.9=2011`
    public static func peerList(_ peers: [PeerCount]) -> String {
        peers.map { "\($0.address)=\($0.count)" }.joined(separator: ", ")
    }

    /// A figure's value as journal text: `0.80` for a ratio, `60` for a whole number.
    static func text(_ figure: AlertFigures.Entry) -> String {
        switch figure.value {
        case .integer(let value): String(value)
        case .text(let value): value
        case .number(let value): figure.name == "ratio" ? ratioText(value) : number(value)
        }
    }

    /// `60` or `0.5`.
    static func number(_ value: Double) -> String { DecimalText.shortest(value) }

    /// `60 s`, `0.5 s`.
    static func seconds(_ value: Double) -> String { number(value) + " s" }

    /// `part` as a whole percentage of `whole`; never overflows, whatever the figures.
    private static func percent(_ part: Int, of whole: Int) -> String {
        guard whole > 0, part >= 0 else { return "?" }
        // Whole shares times 100, plus the remainder's hundredths (below 100: no overflow).
        let (scaled, overflow) = (part / whole).multipliedReportingOverflow(by: 100)
        guard !overflow else { return "?" }
        return "\(scaled + Int(Double(part % whole) / Double(whole) * 100))%"
    }

    /// `0.80`
    private static func ratioText(_ ratio: Double) -> String { DecimalText.fixed(ratio, decimals: 2) ?? "?" }
}
