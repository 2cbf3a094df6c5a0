/// What the alert policy decided after one scan about one alert: each is one journal entry.
///
/// One shape for every kind: an event (raised, reminder, cleared) about an `Alert`, which
/// names its kind and subject.
public struct AlertAction: Sendable, Equatable {
    /// What happened.
    public var event: AlertEvent
    /// The alert it happened to, with the figures of the scan that decided it.
    public var alert: Alert
    /// Why a `cleared` alert ended, when not because its count fell (or it was switched off).
    public var reason: Reason?

    /// Why an alert cleared.
    public enum Reason: String, Sendable, Equatable {
        /// Its network namespace is gone: no process lives in it any more.
        case namespaceGone = "namespace_gone"

        /// `namespace gone`.
        public var words: String {
            switch self {
            case .namespaceGone: "namespace gone"
            }
        }
    }

    public init(_ event: AlertEvent, _ alert: Alert, reason: Reason? = nil) {
        self.event = event
        self.alert = alert
        self.reason = reason
    }
}

/// A transition of one alert, as `HysteresisTracker` decides it.
public enum AlertEvent: String, Sendable, Equatable, CaseIterable {
    /// The condition held for `sustain` scans.
    case raised
    /// The alert is still active; a reminder with the current figures.
    case reminder
    /// The condition stayed below the clear level for `sustain` scans (or its subject was
    /// switched off).
    case cleared
}
