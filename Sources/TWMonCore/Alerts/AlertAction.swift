/// What the alert policy decided after one scan about one alert: each is one journal entry.
///
/// One shape for every kind: an event (raised, reminder, cleared) about an `Alert`, which
/// names its kind and subject.
public struct AlertAction: Sendable, Equatable {
    /// What happened.
    public var event: AlertEvent
    /// The alert it happened to, with the figures of the scan that decided it.
    public var alert: Alert

    public init(_ event: AlertEvent, _ alert: Alert) {
        self.event = event
        self.alert = alert
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
