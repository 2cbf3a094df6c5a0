/// The one-line `STATUS=` text systemd shows in `systemctl status`, e.g.
/// `2 alerts: :8080 TIME_WAIT 12345≥5000, :443 TIME_WAIT 6000≥5000; 130211 sockets, scan 41 ms`.
public enum StatusLine {
    /// Alerts listed by name before the rest are summarised as `+N more`.
    static let listedAlerts = 3

    public static func render(
        table: PortTable, alerts: [Alert], scanMilliseconds: Int, problem: String? = nil
    ) -> String {
        var parts: [String] = []
        // Namespace-wide kinds first, then the largest counts.
        func rank(_ alert: Alert) -> (Int, Int) { (alert.subject == .namespace ? 0 : 1, -alert.count) }
        let alertTexts = alerts.sorted { rank($0) < rank($1) }.map { "\($0.subject) \($0.kind.countLabel) \($0.count)≥\($0.limits.threshold)" }
        if alertTexts.isEmpty {
            parts.append("OK, no alerts")
        } else {
            var listed = alertTexts.prefix(listedAlerts).joined(separator: ", ")
            if alertTexts.count > listedAlerts { listed += ", +\(alertTexts.count - listedAlerts) more" }
            parts.append("\(alertTexts.count) alert\(alertTexts.count == 1 ? "" : "s"): \(listed)")
        }
        let totals = table.totals
        let servers = table.ports.filter(\.listening).count
        parts.append("\(totals.total) sockets, \(totals[.timeWait]) TIME_WAIT, \(servers) server ports, scan \(scanMilliseconds) ms")
        if let problem { parts.append(problem) }
        return oneLine(parts.joined(separator: "; "))
    }

    /// Newlines would start new `KEY=VALUE` fields in an sd_notify message: fold them into
    /// spaces, and escape any other character a terminal would act on (`TerminalText`), since
    /// `systemctl status` shows the line as it is.
    public static func oneLine(_ text: String) -> String {
        TerminalText.escaped(String(text.map { $0.isNewline ? " " : $0 }))
    }
}
