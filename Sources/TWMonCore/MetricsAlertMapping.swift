/// How today's alert model maps onto the metrics' alert kinds: a port alert is kind
/// `time_wait`, the namespace alert kind `tw_buckets`. (With one alert model where a kind is
/// data, this file becomes a read of that field.)
public enum MetricsAlertMapping {
    /// The kind of alert `action` raised, or nil for a reminder or a clearing.
    public static func raisedKind(_ action: AlertAction) -> String? {
        switch action {
        case .portRaised: "time_wait"
        case .namespaceRaised: "tw_buckets"
        case .portReminder, .portCleared, .namespaceReminder, .namespaceCleared: nil
        }
    }

    /// The alerts active now, as `twmon_alert_active` shows them.
    public static func active(ports: [PortAlert], namespace: NamespaceAlert?) -> [MetricsInput.ActiveAlert] {
        ports.map { MetricsInput.ActiveAlert(kind: "time_wait", port: $0.port) }
            + (namespace == nil ? [] : [MetricsInput.ActiveAlert(kind: "tw_buckets", port: nil)])
    }
}
