/// The reply of `io.twmon.Monitor.ListAlerts`: active alerts of every kind and recent transitions.
public struct AlertListing: Sendable, Equatable {
    /// Active alerts, by kind and subject.
    public var alerts: [Alert]
    /// Recent raised, reminder and cleared transitions, oldest first.
    public var history: [AlertEventRecord]

    /// The alerts of `snapshot`.
    public init(snapshot: MonitorSnapshot) {
        alerts = snapshot.alerts.sorted { ($0.kind, $0.netns, $0.subject) < ($1.kind, $1.netns, $1.subject) }
        history = snapshot.history
    }

    /// Writes the reply's parameters object. `namespace_alert` repeats the `tw_buckets` alert
    /// for clients written before alerts had kinds.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.array("alerts") { json in
            for alert in alerts { alert.write(into: &json) }
        }
        if let buckets = alerts.first(where: { $0.kind == .twBuckets }) {
            json.key("namespace_alert"); buckets.write(into: &json)
        }
        json.array("history") { json in
            for entry in history { entry.write(into: &json) }
        }
        json.endObject()
    }

    /// The alerts for people, as `twmonctl alerts` prints them; ages are relative to `now`.
    public func text(now: Double) -> String {
        var lines: [String] = []
        if alerts.isEmpty {
            lines.append("No active alerts.")
        } else {
            lines.append("ACTIVE")
            for alert in alerts { lines.append("  " + Self.line(alert, now: now)) }
        }
        lines.append("")
        if history.isEmpty {
            lines.append("No alert events since twmond started.")
        } else {
            lines.append("EVENTS (oldest first)")
            for entry in history {
                lines.append("\(UTCTimestamp.iso8601(entry.at))  \(Self.padded(entry.event.rawValue, 8))  \(Self.padded(entry.kind.rawValue, 15))  \(Self.padded(entry.place, 9))  \(entry.kind.countLabel) \(entry.count), threshold \(entry.threshold)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One active alert on one line: `time_wait        :8080  TIME_WAIT 12000 ≥ 5000, peak 12500, since … (1 h 2 min)`
    /// and what the kind adds.
    public static func line(_ alert: Alert, now: Double) -> String {
        var text = padded(alert.kind.rawValue, 15) + "  " + padded(alert.netns.own ? alert.subject.description + PortOwner.suffix(alert.figures.owner) : "\(alert.subject) in \(alert.netns.shownName)", 9) + "  "
            + "\(alert.kind.countLabel) \(alert.count) ≥ \(alert.limits.threshold), peak \(alert.peak), since \(UTCTimestamp.iso8601(alert.since)) (\(UTCTimestamp.span(now - alert.since)))"
        text += alert.figures.listingDetail(alert)
        return text
    }

    static func padded(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}
