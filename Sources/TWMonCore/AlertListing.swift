/// The reply of `io.twmon.Monitor.ListAlerts`: active alerts and recent transitions.
public struct AlertListing: Sendable, Equatable {
    /// Active port alerts, by port.
    public var alerts: [PortAlert]
    /// The active namespace alert.
    public var namespaceAlert: NamespaceAlert?
    /// Recent raised, reminder and cleared transitions, oldest first.
    public var history: [AlertHistoryEntry]

    /// The alerts of `snapshot`.
    public init(snapshot: MonitorSnapshot) {
        alerts = snapshot.alerts.sorted { $0.port < $1.port }
        namespaceAlert = snapshot.namespaceAlert
        history = snapshot.history
    }

    /// Reads a `ListAlerts` reply's parameters.
    public init(json: JSONValue) throws(JSONFieldError) {
        alerts = try json.array("alerts").map { value throws(JSONFieldError) in try PortAlert(json: value) }
        namespaceAlert = try json.optionalField("namespace_alert").map { value throws(JSONFieldError) in try NamespaceAlert(json: value) }
        history = try json.array("history").map { value throws(JSONFieldError) in try AlertHistoryEntry(json: value) }
    }

    /// Writes the reply's parameters object.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.array("alerts") { json in
            for alert in alerts { alert.write(into: &json) }
        }
        if let namespaceAlert {
            json.key("namespace_alert"); namespaceAlert.write(into: &json)
        }
        json.array("history") { json in
            for entry in history { entry.write(into: &json) }
        }
        json.endObject()
    }

    /// The alerts for people, as `twmonctl alerts` prints them; ages are relative to `now`.
    public func text(now: Double) -> String {
        var lines: [String] = []
        if alerts.isEmpty && namespaceAlert == nil {
            lines.append("No active alerts.")
        } else {
            // The owner column is as wide as its longest name.
            let owners = alerts.map { $0.owner?.alertName ?? "-" }
            let ownerWidth = max(5, owners.map(\.count).max() ?? 0)
            lines.append("ACTIVE     \(Self.padded("OWNER", ownerWidth))  TIME_WAIT  THRESHOLD   PEAK  CLOSES/S  SINCE")
            if let namespaceAlert {
                lines.append(Self.row("namespace", owner: Self.padded("-", ownerWidth), namespaceAlert.timeWait, namespaceAlert.threshold, nil,
                                      closes: nil, since: namespaceAlert.since, now: now))
            }
            for (alert, owner) in zip(alerts, owners) {
                lines.append(Self.row(":\(alert.port)", owner: Self.padded(owner, ownerWidth), alert.timeWait, alert.limits.threshold, alert.peak,
                                      closes: alert.recentCloses.perSecond60, since: alert.since, now: now))
            }
        }
        lines.append("")
        if history.isEmpty {
            lines.append("No alert events since twmond started.")
        } else {
            lines.append("EVENTS (oldest first)")
            for entry in history {
                let subject = entry.port.map { ":\($0)" } ?? "namespace"
                lines.append("\(UTCTimestamp.iso8601(entry.at))  \(Self.padded(entry.event, 8))  \(Self.padded(subject, 9))  TIME_WAIT \(entry.timeWait), threshold \(entry.threshold)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func row(
        _ subject: String, owner: String, _ timeWait: Int, _ threshold: Int, _ peak: Int?, closes: Double?, since: Double, now: Double
    ) -> String {
        let rate = closes.map { RecentCloses.rateText($0) } ?? "-"
        return padded(subject, 9) + "  " + owner + "  " + rightAligned(timeWait, 9) + "  " + rightAligned(threshold, 9) + "  "
            + (peak.map { rightAligned($0, 5) } ?? "    -") + "  " + String(repeating: " ", count: max(0, 8 - rate.count)) + rate
            + "  " + UTCTimestamp.iso8601(since) + " (\(UTCTimestamp.span(now - since)))"
    }

    private static func padded(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    private static func rightAligned(_ number: Int, _ width: Int) -> String {
        let text = String(number)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
